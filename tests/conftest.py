"""Test fixtures: one real Neo4j server per test run, and a clean graph per test.

The test server runs from its own state folder and port (``OPENFDP_TEST_STATE_DIR``,
default ``.openfdp/test``; ``OPENFDP_TEST_BOLT_PORT``, default 7697) with a small heap and
page cache, and is started by the first test that needs it (or reused if already running).
When ``NEO4J_URI`` is set, that server is used instead and nothing is started.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from neo4j import Driver
from openfdp.settings import REPO_ROOT, Settings
from openfdp.store import local_server
from openfdp.store.driver import open_driver

TEST_STATE_DIR = Path(
    os.environ.get("OPENFDP_TEST_STATE_DIR", str(REPO_ROOT / ".openfdp" / "test"))
)
TEST_BOLT_PORT = int(os.environ.get("OPENFDP_TEST_BOLT_PORT", "7697"))
TEST_PASSWORD = "openfdp-test-password"
# Test servers live for seconds to minutes on small graphs: HotSpot's optimising compiler
# (C2) spends more CPU compiling than it saves them, and the test groups share two cores.
# The servers the tests start, directly or through `openfdp` child processes (which inherit
# this variable), run with the quick compiler only. Set OPENFDP_TEST_JVM_OPTIONS to change
# it ("" for HotSpot's defaults).
TEST_JVM_OPTIONS = os.environ.get("OPENFDP_TEST_JVM_OPTIONS", "-XX:TieredStopAtLevel=1")
os.environ.setdefault("OPENFDP_NEO4J__JVM_OPTIONS", TEST_JVM_OPTIONS)


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of an `openfdp` child process with settings of its own: this one's
    without OPENFDP_* and NEO4J_* variables, except the test servers' JVM options, plus
    `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENFDP_", "NEO4J_"))}
    jvm = os.environ.get("OPENFDP_NEO4J__JVM_OPTIONS", "")
    return {**env, "OPENFDP_NEO4J__JVM_OPTIONS": jvm, **extra}


def make_test_settings(**overrides: object) -> Settings:
    base: dict[str, object] = {
        "mode": "development",
        "state_dir": TEST_STATE_DIR,
        "neo4j": {
            "bolt_port": TEST_BOLT_PORT,
            "password": TEST_PASSWORD,
            "heap": "1g",
            "pagecache": "512m",
        },
    }
    base.update(overrides)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def test_settings() -> Settings:
    return make_test_settings()


@pytest.fixture(scope="session")
def neo4j_server(test_settings: Settings) -> Iterator[local_server.ServerInfo]:
    """The real Neo4j server for this run (started here unless NEO4J_URI points elsewhere).

    The server is left running after the run so the next run reuses it (about 10 s saved);
    `scripts/test.sh` stops it at the end unless OPENFDP_TEST_KEEP_NEO4J=1.
    """
    if test_settings.neo4j.external:
        yield local_server.probe(test_settings)
        return
    yield local_server.start(test_settings)


@pytest.fixture(scope="session")
def neo4j_driver(
    neo4j_server: local_server.ServerInfo, test_settings: Settings
) -> Iterator[Driver]:
    driver = open_driver(test_settings)
    yield driver
    driver.close()


def wipe(driver: Driver) -> None:
    # CALL { } IN TRANSACTIONS needs an auto-commit transaction (session.run, not execute_query)
    with driver.session() as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS").consume()


@pytest.fixture()
def clean_graph(neo4j_driver: Driver) -> Driver:
    """A driver to an empty graph (all nodes and relationships removed; schema kept)."""
    wipe(neo4j_driver)
    return neo4j_driver
