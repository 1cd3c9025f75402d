"""`openfdp link run|status|explain|review` as a user runs them, against the real Neo4j."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.settings import Settings
from tests.conftest import TEST_BOLT_PORT, TEST_PASSWORD, make_test_settings
from tests.integration.test_linkage import _review_model, load, population

pytestmark = pytest.mark.integration
OPENFDP = str(Path(sys.executable).parent / "openfdp")


def openfdp(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENFDP_STATE_DIR": str(state_dir),
        "OPENFDP_NEO4J__BOLT_PORT": str(TEST_BOLT_PORT),
        "OPENFDP_NEO4J__PASSWORD": TEST_PASSWORD,
        "COLUMNS": "200",
    }
    return subprocess.run(
        [OPENFDP, "link", *args], check=False, env=env, capture_output=True, text=True, timeout=300
    )


def test_link_commands(clean_graph: Driver, tmp_path: Path) -> None:
    settings: Settings = make_test_settings(state_dir=tmp_path)
    a, b, people = population(settings)
    load(clean_graph, settings, a + b)

    run = openfdp(tmp_path, "run", "--model", str(_review_model(tmp_path)))
    assert run.returncode == 0, run.stderr
    assert "review tasks created" in run.stdout and "default@2" in run.stdout
    run2 = openfdp(tmp_path, "run")
    assert run2.returncode == 0 and "evidence records linked this run" in run2.stdout

    listing = openfdp(tmp_path, "review")
    assert listing.returncode == 0 and "task(s)" in listing.stdout
    task = next(
        line.split("│")[1].strip()
        for line in listing.stdout.splitlines()
        if line.count("│") > 5 and "open" in line
    )

    accepted = openfdp(tmp_path, "review", "--accept", task, "--by", "dr.reviewer")
    assert accepted.returncode == 0 and f"accepted {task} (by dr.reviewer)" in accepted.stdout
    again = openfdp(tmp_path, "review", "--reject", task, "--by", "dr.reviewer")
    assert again.returncode == 3 and "already accepted" in again.stderr
    assert "Traceback" not in again.stderr and len(again.stderr.strip().splitlines()) == 1
    no_by = openfdp(tmp_path, "review", "--accept", task)
    assert no_by.returncode == 3 and "--by NAME" in no_by.stderr

    person = a[0].ev.person_ref["pseudo_id"]
    explain = openfdp(tmp_path, "explain", person)
    assert explain.returncode == 0 and person in explain.stdout and "cluster" in explain.stdout
    assert "RAA (1)" in explain.stdout
    unknown = openfdp(tmp_path, "explain", "nobody")
    assert unknown.returncode == 3 and "no person" in unknown.stderr

    # a pair: the waterfall from the prior to the match weight, the decision, and a PNG
    other = next(t for t in b if t.person == a[0].person).ev.person_ref["pseudo_id"]
    picture = tmp_path / "pair.png"
    pair = openfdp(tmp_path, "explain", person, "--with", other, "--png", str(picture))
    assert pair.returncode == 0, pair.stderr
    assert "prior" in pair.stdout and "date_of_birth: " in pair.stdout
    assert "match weight" in pair.stdout and "decision " in pair.stdout
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # the operating point chosen without labels, and the reviewer's decision as a label
    status = openfdp(tmp_path, "status")
    assert status.returncode == 0 and "SAME_PERSON_AS links" in status.stdout
    assert "auto-link threshold (chosen without labels)" in status.stdout
    assert "expected precision of the auto-links" in status.stdout
    assert "review decisions: accepted / decided" in status.stdout
    assert "corrected by review labels" in status.stdout

    outputs = json.dumps(
        [p.stdout + p.stderr for p in (run, run2, listing, accepted, explain, pair, status)]
    )
    raw = {v for p in people for k, v in p.items() if k != "sex"}
    assert not [v for v in raw | {v.upper() for v in raw} if v in outputs]
