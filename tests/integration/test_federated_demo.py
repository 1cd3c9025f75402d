"""`openfdp demo run --federated` on real servers (docs/federation.md, "The federated demo"):
3 trust instances and 1 ICS instance, each with its own Neo4j. The ICS instance's answers to
the questions of docs/tour.md equal those of the central graph loaded, as the central demo
does, from the same generated extracts; each trust instance holds only its own records.

Small population and heaps (384m) so it runs in minutes; the four instance servers use the
ports OPENFDP_TEST_FED_BOLT_BASE (default 7741) .. +3 and are stopped at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from neo4j import Driver
from openfdp.api.app import create_app
from openfdp.cli.demo_tour import tour_answers
from openfdp.cli.instance_env import instance_settings
from openfdp.services.auth import mint_token
from openfdp.settings import Settings
from openfdp.store import local_server
from openfdp.store.driver import open_driver
from tests.conftest import cli_env, make_test_settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(3600)]
PATIENTS, SEED, ICB = 150, 4, "QOP"
BOLT_BASE = int(os.environ.get("OPENFDP_TEST_FED_BOLT_BASE", "7741"))
API_BASE = BOLT_BASE + 1000


def openfdp(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        [sys.executable, "-m", "openfdp.cli", *args],
        capture_output=True, text=True, env={**env, "COLUMNS": "200"}, timeout=3000, check=False,
    )  # fmt: skip
    assert res.returncode in (0, 1), f"{args}: {res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The federated demo, built once (no API served; the test asks in-process)."""
    state = tmp_path_factory.mktemp("federated-demo")
    root = state / "federated"
    try:
        res = openfdp(
            ["demo", "run", "--federated", "--patients", str(PATIENTS), "--seed", str(SEED),
             "--no-serve", "--bolt-port-base", str(BOLT_BASE), "--api-port-base", str(API_BASE),
             "--heap", "384m"],
            cli_env(OPENFDP_STATE_DIR=str(state)),
        )  # fmt: skip
        assert res.returncode == 0, f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
        yield root
    finally:  # the four servers stopped at once (each waits for its clean shutdown)
        folders = sorted(root.glob("*/instance.env"))
        with ThreadPoolExecutor(max_workers=max(1, len(folders))) as pool:
            list(pool.map(local_server.stop, [instance_settings(f.parent) for f in folders]))


def answers(s: Settings, trust: str) -> dict[str, Any]:
    with TestClient(create_app(s)) as client:

        def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
            return client.post(path, json=body, headers=headers).json()

        return tour_answers(
            post,
            planner=mint_token(s, "demo-planner", ICB, ["ics_user"], "planning"),
            analyst=mint_token(s, "demo-analyst", ICB, ["analyst", "ics_user"], "research"),
            icb=ICB, trust=trust, start=date.today(),
        )  # fmt: skip


def test_ics_answers_the_tour_as_the_central_graph_does(
    federation: Path, clean_graph: Driver, test_settings: Settings, tmp_path: Path
) -> None:
    if test_settings.neo4j.external:
        pytest.fail("this test starts instance servers next to the local test server")
    central_state = tmp_path / "central"
    central = make_test_settings(state_dir=central_state)
    env = cli_env(
        OPENFDP_STATE_DIR=str(central_state),
        OPENFDP_NEO4J__BOLT_PORT=str(central.neo4j.bolt_port),
        OPENFDP_NEO4J__PASSWORD=central.neo4j.password.get_secret_value(),
    )
    # the central demo's load and linkage steps (`openfdp demo run` = demo load + link run)
    # on the same extracts: same generator, seed, trusts and census date
    openfdp(
        ["demo", "load", "--patients", str(PATIENTS), "--seed", str(SEED), "--trusts", "3",
         "--icb", ICB, "--out", str(tmp_path / "extracts"),
         "--as-of", date.today().isoformat()],
        env,
    )  # fmt: skip
    assert (tmp_path / "extracts" / "waiting_list-RM3.csv").read_bytes() == (
        federation / "extracts" / "waiting_list-RM3.csv"
    ).read_bytes()
    openfdp(["link", "run"], env)
    ics = instance_settings(federation / ICB)
    expected = answers(central, "RM3")
    got = answers(ics, "RM3")
    total = expected["1 waiting list by provider"]["waitingList"]["total"]
    assert total["incompletePathways"] > 0
    assert expected["2 linked pathway"] is not None, "no person with pathways at two trusts"
    assert expected["3 unbooked theatre capacity"]["unbookedCapacity"]["totalCount"] > 0
    assert expected["4 who processes a trust's data"]["whoProcesses"]["suppliers"]
    assert expected["5 analyst Cypher"]["rows"]
    assert not [q for q, a in expected.items() if "errors" in (a or {})]
    for question, answer in expected.items():
        assert got[question] == answer, question


def test_each_trust_instance_holds_only_its_own_records(federation: Path) -> None:
    for ods in ("RM3", "R0A", "RRF"):
        s = instance_settings(federation / ods)
        assert (s.instance.role, s.instance.ods) == ("trust", ods)
        with open_driver(s) as driver:
            rows = driver.execute_query(
                "MATCH (n) WHERE n.provider_ods IS NOT NULL "
                "RETURN n.provider_ods AS ods, count(*) AS n"
            ).records
        assert {r["ods"] for r in rows} == {ods}
