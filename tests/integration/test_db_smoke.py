"""The project's own Neo4j server: start, reuse, status, and read/write through the store."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from neo4j import Driver, GraphDatabase
from openfdp.settings import Settings
from openfdp.store import local_server
from openfdp.store.driver import open_driver
from openfdp.store.fingerprint import graph_counts, graph_fingerprint

pytestmark = pytest.mark.integration


def _cli(
    settings: Settings, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENFDP_STATE_DIR": str(settings.state_dir),
        "OPENFDP_NEO4J__BOLT_PORT": str(settings.neo4j.bolt_port),
        "OPENFDP_NEO4J__PASSWORD": settings.neo4j.password.get_secret_value(),
        "OPENFDP_NEO4J__HEAP": settings.neo4j.heap,
        "OPENFDP_NEO4J__PAGECACHE": settings.neo4j.pagecache,
        "COLUMNS": "200",
        **(extra_env or {}),
    }
    env.pop("NEO4J_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "openfdp.cli", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_server_is_a_real_5_26_community(neo4j_server: local_server.ServerInfo) -> None:
    assert neo4j_server.version.startswith("5.26.")
    assert neo4j_server.edition == "community"
    assert neo4j_server.uri.startswith("bolt://127.0.0.1:")


def test_write_then_read_through_the_store(clean_graph: Driver) -> None:
    empty = graph_fingerprint(clean_graph)
    assert graph_counts(clean_graph) == {"nodes": 0, "relationships": 0}
    clean_graph.execute_query(
        "CREATE (:Smoke {k: $k})-[:NEXT {w: 1}]->(:Smoke {k: $k2})", k="a", k2="b"
    )
    assert graph_counts(clean_graph) == {"nodes": 2, "relationships": 1}
    fp = graph_fingerprint(clean_graph)
    assert fp != empty
    # the fingerprint ignores element ids: rebuilding the same content gives the same digest
    clean_graph.execute_query("MATCH (n:Smoke) DETACH DELETE n")
    clean_graph.execute_query(
        "CREATE (:Smoke {k: $k})-[:NEXT {w: 1}]->(:Smoke {k: $k2})", k="a", k2="b"
    )
    assert graph_fingerprint(clean_graph) == fp


def test_cli_status_shows_uri_version_and_pid(
    neo4j_server: local_server.ServerInfo, test_settings: Settings
) -> None:
    if test_settings.neo4j.external:
        pytest.fail("this test needs the project's own local server")
    proc = _cli(test_settings, "db", "status")
    assert proc.returncode == 0, proc.stderr
    assert f"bolt://127.0.0.1:{test_settings.neo4j.bolt_port}" in proc.stdout
    assert "5.26." in proc.stdout
    assert f"pid:     {local_server.running_pid(test_settings)}" in proc.stdout


def test_cli_start_twice_reuses_the_running_server(
    neo4j_server: local_server.ServerInfo, test_settings: Settings
) -> None:
    pid_before = local_server.running_pid(test_settings)
    first = _cli(test_settings, "db", "start")
    second = _cli(test_settings, "db", "start")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "Reusing running Neo4j" in second.stdout
    assert local_server.running_pid(test_settings) == pid_before


def test_cli_start_on_a_taken_port_says_so(
    neo4j_server: local_server.ServerInfo, test_settings: Settings, tmp_path: Path
) -> None:
    other = test_settings.model_copy(update={"state_dir": tmp_path / "other"})
    proc = _cli(other, "db", "start")  # same port as the running test server
    assert proc.returncode == 3  # runtime failure (graph_service/cli/exit_codes.py)
    assert "already in use" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_cli_start_without_java_says_so(test_settings: Settings, tmp_path: Path) -> None:
    other = test_settings.model_copy(update={"state_dir": tmp_path / "nojava"})
    proc = _cli(other, "db", "start", extra_env={"PATH": str(Path(sys.executable).parent)})
    assert proc.returncode == 3  # runtime failure (graph_service/cli/exit_codes.py)
    assert "java is not on PATH" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_status_of_a_stopped_server(test_settings: Settings, tmp_path: Path) -> None:
    other = test_settings.model_copy(
        update={
            "state_dir": tmp_path / "never",
            "neo4j": test_settings.neo4j.model_copy(update={"bolt_port": 7599}),
        }
    )
    proc = _cli(other, "db", "status")
    assert proc.returncode == 1
    assert "not running" in proc.stdout


def test_the_store_driver_requests_no_schema_hints(
    test_settings: Settings, clean_graph: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    """A query naming a property no node has ever had (e.g. the latest snapshot's
    `removed_from_list_date` on a graph where no pathway has left a list yet) makes the server
    attach a "property does not exist" notification, which the driver logs as a warning with
    the query text; the product's driver does not request them, so a load's output stays free
    of them. The property here is new to the store on every run (a property name, once used,
    stays known to the server even when no node has it any more)."""
    caplog.set_level(logging.DEBUG, logger="neo4j.notifications")
    prop = f"never_set_{uuid.uuid4().hex}"
    query = f"MATCH (p:RTTPathway) WHERE p.{prop} IS NOT NULL RETURN count(p) AS n"
    clean_graph.execute_query("CREATE (:RTTPathway {provider_ods: 'RX1'})")
    with open_driver(test_settings) as driver:
        assert driver.execute_query(query).records[0]["n"] == 0
    assert not [r for r in caplog.records if r.name.startswith("neo4j.notifications")]
    # the same query through a driver that asks for them: the hint is there to be missed
    with GraphDatabase.driver(
        test_settings.neo4j.effective_uri,
        auth=(test_settings.neo4j.user, test_settings.neo4j.password.get_secret_value()),
    ) as plain:
        plain.execute_query(query)
    assert any(prop in r.getMessage() for r in caplog.records)
