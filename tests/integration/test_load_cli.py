"""`openfdp load csv` as a user runs it: summary, exit codes 0/1/2, one-line errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.loaders.generate import generate
from openfdp.ontology import load_ontology
from openfdp.settings import Settings
from openfdp.store.schema import apply_ontology
from tests.data_paths import REFERENCE_DATA_DIR as DATA

pytestmark = pytest.mark.integration


def run(
    args: list[str], settings: Settings, state: Path, port: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENFDP_STATE_DIR": str(state),
        "OPENFDP_NEO4J__BOLT_PORT": str(port or settings.neo4j.bolt_port),
        "OPENFDP_NEO4J__PASSWORD": settings.neo4j.password.get_secret_value(),
        "COLUMNS": "160",
    }
    return subprocess.run(
        [sys.executable, "-m", "openfdp.cli", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli-extracts")
    generate(out, data_dir=DATA, trusts=1, patients=60, seed=3)
    return out


def test_load_exit_codes_summary_and_quarantine(
    clean_graph: Driver, test_settings: Settings, extracts: Path, tmp_path: Path
) -> None:
    if test_settings.neo4j.external:
        pytest.fail("this test drives the CLI against the local test server")
    apply_ontology(clean_graph, load_ontology())
    ok = run(["load", "csv", str(extracts)], test_settings, tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "openfdp load" in ok.stdout and "records/s" in ok.stdout
    again = run(["load", "csv", str(extracts)], test_settings, tmp_path)
    assert again.returncode == 0
    broken = tmp_path / "staff.csv"
    broken.write_text("provider_ods,staff_local_id,role_code\nRJ1,E1,CONS\nRJ1,,CONS\n")
    bad = run(
        ["load", "csv", str(broken), "--quarantine", str(tmp_path / "q")], test_settings, tmp_path
    )
    assert bad.returncode == 1
    assert "required field is missing" in bad.stdout
    assert len(list((tmp_path / "q").glob("*.jsonl"))) == 1


def test_dry_run_needs_no_database(test_settings: Settings, extracts: Path, tmp_path: Path) -> None:
    res = run(
        ["load", "csv", str(extracts), "--dry-run"], test_settings, tmp_path, port=free_port()
    )
    assert res.returncode == 0, res.stderr
    assert "(dry run)" in res.stdout


def test_neo4j_down_is_one_line_and_exit_3(
    test_settings: Settings, extracts: Path, tmp_path: Path
) -> None:
    res = run(["load", "csv", str(extracts)], test_settings, tmp_path, port=free_port())
    assert res.returncode == 3  # runtime failure
    assert "Traceback" not in res.stderr
    assert "does not answer" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_a_file_that_is_no_extract_is_exit_3(test_settings: Settings, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    res = run(["load", "csv", str(odd)], test_settings, tmp_path, port=free_port())
    assert res.returncode == 3  # runtime failure
    assert "matches none of the trust extracts" in res.stderr and "Traceback" not in res.stderr
