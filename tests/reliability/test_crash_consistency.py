"""A load killed with SIGKILL at any point, then run again, ends in the graph of one clean load.

One demo extract (one trust, 150 people, seed 7: about 1,500 source records) is loaded
cleanly into a fresh graph (ontology applied) and fingerprinted (``graph_fingerprint`` leaves
out the load timestamps).
Then, for each of ten kill points spread over the load, the graph is reset, ``openfdp load
csv`` runs as a real process with small write batches, and it is SIGKILLed as soon as the
graph holds at least the kill point's number of source records; the test checks that part,
but not all, of the load is in the graph and that the batch is unfinished. The same load then
runs to completion and the graph must equal the clean one, fingerprint for fingerprint.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.cli.load import load_feed
from openfdp.loaders.generate import generate
from openfdp.ontology import Ontology, load_ontology
from openfdp.settings import Settings
from openfdp.store.fingerprint import graph_counts, graph_fingerprint
from openfdp.store.schema import apply_ontology
from tests.conftest import wipe
from tests.data_paths import REFERENCE_DATA_DIR as DATA

pytestmark = pytest.mark.reliability

KILL_POINTS = 10
BATCH = 50  # records per write transaction in the killed loads, so kills land mid-load
LOAD_BOUND_S = 180.0


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("crash-extract")
    generate(out, data_dir=DATA, trusts=1, patients=150, seed=7)
    return out


def _env(settings: Settings) -> dict[str, str]:
    env = {
        **os.environ,
        "OPENFDP_STATE_DIR": str(settings.state_dir),
        "OPENFDP_NEO4J__BOLT_PORT": str(settings.neo4j.bolt_port),
        "OPENFDP_NEO4J__PASSWORD": settings.neo4j.password.get_secret_value(),
        "COLUMNS": "200",
    }
    if not settings.neo4j.external:
        env.pop("NEO4J_URI", None)
    return env


def _source_records(driver: Driver) -> int:
    records, _, _ = driver.execute_query("MATCH (s:SourceRecord) RETURN count(s) AS n")
    return int(records[0]["n"])


def _unfinished_batches(driver: Driver) -> int:
    records, _, _ = driver.execute_query(
        "MATCH (b:LoadBatch) WHERE b.finished_at IS NULL RETURN count(b) AS n"
    )
    return int(records[0]["n"])


def _reset(driver: Driver, ontology: Ontology) -> None:
    wipe(driver)
    apply_ontology(driver, ontology)


def _load_to_completion(
    settings: Settings, driver: Driver, ontology: Ontology, extract: Path, qdir: Path
) -> int:
    summary = load_feed(
        "csv", [extract], cfg=settings, driver=driver, ontology=ontology, quarantine_dir=qdir
    )
    assert summary.reconciles and summary.quarantined == 0
    return summary.loaded


def _kill_when(driver: Driver, proc: subprocess.Popen[bytes], target: int) -> int:
    """SIGKILL `proc` once the graph holds `target` source records; the count seen then."""
    deadline = time.monotonic() + LOAD_BOUND_S
    seen = 0
    while time.monotonic() < deadline and proc.poll() is None:
        seen = _source_records(driver)
        if seen >= target:
            break
        time.sleep(0.02)  # polling interval, not an assertion
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return seen


def test_killed_loads_rerun_to_the_clean_graph(
    neo4j_driver: Driver, test_settings: Settings, extract: Path, tmp_path: Path
) -> None:
    ontology = load_ontology()
    settings = test_settings.model_copy(update={"state_dir": tmp_path / "state"})
    qdir = tmp_path / "quarantine"
    _reset(neo4j_driver, ontology)
    total = _load_to_completion(settings, neo4j_driver, ontology, extract, qdir)
    clean_fp = graph_fingerprint(neo4j_driver)
    clean_counts = graph_counts(neo4j_driver)
    assert _source_records(neo4j_driver) == total > 1000

    cmd = [
        sys.executable, "-m", "openfdp.cli", "load", "csv", str(extract),
        "--batch-size", str(BATCH), "--quarantine", str(qdir),
    ]  # fmt: skip
    report = []
    for k in range(KILL_POINTS):
        target = max(1, total * (2 * k + 1) // (2 * KILL_POINTS + 2))
        _reset(neo4j_driver, ontology)
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd, env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _kill_when(neo4j_driver, proc, target)
        killed_after = time.monotonic() - started
        assert proc.returncode == -signal.SIGKILL, (
            f"the load ended by itself before kill point {target} "
            f"(exit {proc.returncode}): {proc.stderr.read().decode()[-500:] if proc.stderr else ''}"
        )
        written = _source_records(neo4j_driver)
        assert 0 < written < total, f"kill point {target}: {written} of {total} records written"
        assert _unfinished_batches(neo4j_driver) == 1  # the killed batch never finished
        assert graph_counts(neo4j_driver) != clean_counts

        _load_to_completion(settings, neo4j_driver, ontology, extract, qdir)
        assert _unfinished_batches(neo4j_driver) == 0
        assert graph_counts(neo4j_driver) == clean_counts
        assert graph_fingerprint(neo4j_driver) == clean_fp, f"kill point {k} ({written} records)"
        report.append((target, written, killed_after))

    print(f"\ncrash consistency: {total} records, batches of {BATCH}; kill point -> records")
    for target, written, after in report:
        print(f"  kill at >= {target:5d}: {written:5d} records written, killed after {after:.1f} s")
