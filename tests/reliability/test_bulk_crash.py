"""A bulk import (`openfdp db import`) killed at any step, then run again, ends in the graph of
one clean load: killed while mapping (the database untouched), while `neo4j-admin` writes
the store (the server stopped, the store half written), and while the ontology's
constraints are applied (the imported graph served without its schema, and the server
SIGKILLed too). Each kill takes the command's whole process group (its mapping and the
import tool) with SIGKILL, as a crash would. Until a run finishes, `openfdp load` refuses
the half-imported database with one line; the run that finishes replaces the partial
import and leaves the graph of the incremental load of the same extracts, fingerprint for
fingerprint (docs/reliability.md, "Crash consistency").

The bulk server uses its own state folder and port (OPENFDP_TEST_BULK_CRASH_PORT, default
the test port + 103).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.loaders.generate import generate
from openfdp.loaders.pipeline import run_load
from openfdp.loaders.pipeline_inputs import fingerprint_files, map_context
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import trust_csv
from openfdp.ontology import load_ontology
from openfdp.settings import REFERENCE_DATA_DIR, Settings
from openfdp.store import local_server
from openfdp.store.bulk_import import unfinished_marker
from openfdp.store.driver import open_driver
from openfdp.store.fingerprint import graph_counts, graph_fingerprint
from openfdp.store.schema import apply_ontology
from tests.conftest import TEST_BOLT_PORT, cli_env, make_test_settings, wipe

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(900)]
PORT = int(os.environ.get("OPENFDP_TEST_BULK_CRASH_PORT", str(TEST_BOLT_PORT + 103)))
KEY, DOMAIN, PASSWORD = "bulk-crash-test-key", "bulk-crash-test", "openfdp-bulk-crash-password"


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("extracts")
    generate(out, data_dir=REFERENCE_DATA_DIR, trusts=2, patients=60, seed=8)
    return sorted(p for p in out.glob("*.csv") if p.name not in {"answers.csv", "rtt_answers.csv"})


@pytest.fixture(scope="module")
def bulk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, dict[str, str]]]:
    if make_test_settings().neo4j.external:
        pytest.fail("bulk import needs the local server; unset NEO4J_URI for this test")
    state = tmp_path_factory.mktemp("bulk-crash-state")
    s = make_test_settings(
        state_dir=state,
        neo4j={"bolt_port": PORT, "password": PASSWORD, "heap": "512m", "pagecache": "256m"},
    )
    env = cli_env(
        OPENFDP_MODE="development",
        OPENFDP_STATE_DIR=str(state),
        OPENFDP_NEO4J__BOLT_PORT=str(PORT),
        OPENFDP_NEO4J__PASSWORD=PASSWORD,
        OPENFDP_NEO4J__HEAP="512m",
        OPENFDP_NEO4J__PAGECACHE="256m",
        OPENFDP_PRIVACY__HMAC_KEY=KEY,
        OPENFDP_PRIVACY__DOMAIN=DOMAIN,
        COLUMNS="200",
    )
    yield s, env
    local_server.stop(s)


def start_import(extracts: list[Path], env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "openfdp.cli", "db", "import", "--workers", "1"]
    for path in extracts:
        args += ["--csv", str(path)]
    with log.open("w") as out:  # the summary; the steps come on stderr
        return subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.PIPE, text=True, start_new_session=True
        )


def wait_for_step(proc: subprocess.Popen[str], step: str) -> list[str]:
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line.rstrip())
        if step in line:
            return seen
    pytest.fail(f"`openfdp db import` ended (exit {proc.wait()}) before {step!r}: {seen}")


def crash(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the command and every process it started in its group (the import tool)."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def import_tool_pids(session: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) != session:
                continue
            if b"org.neo4j.cli.AdminTool" in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except (OSError, ProcessLookupError):
            continue
    return pids


def newest_store_write(settings: Settings) -> float:
    data = local_server.home_dir(settings) / "data"
    times = [0.0]
    for sub in ("databases", "transactions"):
        for f in (data / sub / settings.neo4j.database).rglob("*"):
            try:
                times.append(f.stat().st_mtime)
            except OSError:
                continue
    return max(times)


def kill_while_importing(proc: subprocess.Popen[str], settings: Settings) -> None:
    """Wait until the import tool runs and has written store files, then crash."""
    deadline = time.monotonic() + 300
    started = None
    while time.monotonic() < deadline:
        if started is None and import_tool_pids(proc.pid):
            started = time.time()
        if started is not None and newest_store_write(settings) > started:
            crash(proc)
            return
        if proc.poll() is not None or (started is not None and not import_tool_pids(proc.pid)):
            pytest.fail("the import tool finished before the test could kill it")
        time.sleep(0.02)
    pytest.fail("the import tool did not start writing within 300 s")


def test_killed_bulk_imports_rerun_to_the_clean_graph(
    bulk: tuple[Settings, dict[str, str]], extracts: list[Path], clean_graph: Driver,
    tmp_path: Path,
) -> None:  # fmt: skip
    settings, env = bulk
    # the reference: the incremental load of the same extracts, same key, on the test server
    ontology = load_ontology()
    wipe(clean_graph)
    apply_ontology(clean_graph, ontology)
    ctx = map_context(
        pseudonymiser=Pseudonymiser(key=KEY.encode(), domain=DOMAIN), ontology=ontology
    )
    run_load(
        clean_graph, source="csv", outcomes=trust_csv.outcomes(extracts, ctx), ontology=ontology,
        input_fingerprint=fingerprint_files(extracts), quarantine_dir=tmp_path / "q-reference",
    )  # fmt: skip
    expected = (graph_counts(clean_graph), graph_fingerprint(clean_graph))
    marker = unfinished_marker(settings)

    # 1. killed while mapping: nothing was imported, nothing is marked
    proc = start_import(extracts, env, tmp_path / "run1.log")
    wait_for_step(proc, "reading, validating and mapping")
    crash(proc)
    assert not marker.exists()

    # 2. killed while neo4j-admin writes the store (the server is stopped for it)
    proc = start_import(extracts, env, tmp_path / "run2.log")
    wait_for_step(proc, "importing ")
    kill_while_importing(proc, settings)
    assert marker.exists()
    assert local_server.running_pid(settings) is None

    # the half-imported database takes no incremental load, with one line saying why
    res = subprocess.run(
        [sys.executable, "-m", "openfdp.cli", "load", "csv", str(extracts[0])],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert res.returncode == 3, res.stdout + res.stderr
    assert "bulk import into this database did not finish" in res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    # nor the demo feeds (which would otherwise apply the ontology first)
    res = subprocess.run(
        [sys.executable, "-m", "openfdp.cli", "demo", "load", "--patients", "20",
         "--out", str(tmp_path / "demo")],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert res.returncode == 3, res.stdout + res.stderr
    assert "bulk import into this database did not finish" in res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert local_server.running_pid(settings) is None

    # 3. killed while the constraints are applied, and the server killed with it
    proc = start_import(extracts, env, tmp_path / "run3.log")
    seen = wait_for_step(proc, "applying the ontology's constraints")
    assert any("did not finish: importing over it" in line for line in seen), seen
    crash(proc)
    pid = local_server.running_pid(settings)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert marker.exists()

    # 4. run to the end: the graph of one clean load, and nothing marked
    proc = start_import(extracts, env, tmp_path / "run4.log")
    assert proc.stderr is not None
    steps = proc.stderr.read()
    code = proc.wait(timeout=600)
    assert code in (0, 1), steps + (tmp_path / "run4.log").read_text()
    assert "did not finish: importing over it" in steps
    assert not marker.exists()
    with open_driver(settings) as driver:
        assert (graph_counts(driver), graph_fingerprint(driver)) == expected
