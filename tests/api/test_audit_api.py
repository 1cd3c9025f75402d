"""Every request is audited; an unwritable audit log refuses service; the CLI reads the log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import strawberry
from fastapi.testclient import TestClient
from strawberry.types import Info

from neo4j import Driver
from openfdp.api.app import create_app
from openfdp.api.deps import GraphQLContext
from openfdp.services.audit import audit_dir
from openfdp.settings import Settings
from openfdp.store.audit_log import AuditLog
from tests.api.conftest import AuthFactory
from tests.api.fixtures_graph import PERSONS

pytestmark = pytest.mark.api

SEEN = [p.pseudo_id for p in PERSONS[:2]]


@strawberry.type
class PeopleQuery:
    @strawberry.field
    async def people(self, info: Info[GraphQLContext, None]) -> list[str]:
        ctx = info.context
        ctx.count_round_trip()
        ctx.audit.record(rows=len(SEEN), pseudo_ids=SEEN)
        return SEEN


def people_app(settings: Settings) -> TestClient:
    return TestClient(create_app(settings, schema=strawberry.Schema(query=PeopleQuery)))


def test_event_count_equals_requests_served(
    client: TestClient, graph: Driver, auth: AuthFactory, audit_log: AuditLog
) -> None:
    requests = [
        ({"query": "{ __typename }"}, {}),
        ({"query": "{ __typename }"}, auth()),
        (
            {"query": "query Named { __typename }", "operationName": "Named"},
            auth(purpose="planning"),
        ),
        ({"query": "{ nosuchfield }"}, auth()),
        ({"query": "{ __typename }"}, {"Authorization": "Bearer nonsense"}),
    ]
    for body, headers in requests:
        client.post("/graphql", json=body, headers=headers)
    client.get("/healthz")  # not a data request: not audited
    client.get("/graphql", headers={"Accept": "text/html"})  # the GraphiQL page: not audited
    events = list(audit_log.events())
    assert len(events) == len(requests)
    assert [e["outcome"] for e in events] == ["ok", "ok", "ok", "error", "denied"]
    assert events[0]["subject"] is None and events[0]["purpose"] == "public"
    assert events[1]["subject"] == "user-1" and events[1]["organisation"] == "RR8"
    assert events[2]["operation"] == "Named"
    assert events[4]["status"] == 401
    assert audit_log.verify().ok


def test_pseudo_ids_returned_are_recorded(
    api_settings: Settings, graph: Driver, auth: AuthFactory
) -> None:
    with people_app(api_settings) as c:
        r = c.post("/graphql", json={"query": "{ people }"}, headers=auth(purpose="direct_care"))
    assert r.json()["data"]["people"] == SEEN
    log = AuditLog(audit_dir(api_settings))
    (event,) = log.events()
    assert event["pseudo_ids"] == sorted(SEEN)
    assert event["result_size"] == 2


def test_unwritable_audit_log_refuses_service(
    api_settings: Settings, graph: Driver, auth: AuthFactory
) -> None:
    api_settings.state_dir.mkdir(parents=True, exist_ok=True)
    audit_dir(api_settings).write_text("a file where the audit folder should be")
    with people_app(api_settings) as c:
        r = c.post("/graphql", json={"query": "{ people }"}, headers=auth())
        assert r.status_code == 503
        assert "audit" in r.json()["errors"][0]["message"]
        assert r.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        assert SEEN[0] not in r.text
        cy = c.post(
            "/cypher",
            json={"query": "MATCH (t:NHSTrust) RETURN count(*) AS n"},
            headers=auth(roles=["analyst"], purpose="planning"),
        )
        assert cy.status_code == 503


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENFDP_STATE_DIR": str(settings.state_dir), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "openfdp.cli", "audit", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_who_accessed_verify_and_tamper(
    api_settings: Settings, graph: Driver, auth: AuthFactory
) -> None:
    with people_app(api_settings) as c:
        c.post(
            "/graphql",
            json={"query": "{ people }"},
            headers=auth(sub="clinician-7", purpose="direct_care"),
        )
        c.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers=auth(sub="planner-2", purpose="planning"),
        )
        c.post(
            "/graphql",
            json={"query": "{ people }"},
            headers=auth(sub="planner-2", purpose="planning"),
        )
    who = _cli(api_settings, "who-accessed", SEEN[0], "--json")
    assert who.returncode == 0, who.stderr
    hits = [json.loads(line) for line in who.stdout.splitlines()]
    assert [(h["subject"], h["purpose"]) for h in hits] == [
        ("clinician-7", "direct_care"),
        ("planner-2", "planning"),
    ]
    assert all(h["time"] for h in hits)
    ok = _cli(api_settings, "verify")
    assert ok.returncode == 0 and "3 events verified" in ok.stdout
    anchor = ok.stdout.split("anchor: ", 1)[1].split()[0]
    assert anchor.startswith("2:")
    anchored = _cli(api_settings, "verify", "--anchor", anchor)
    assert anchored.returncode == 0 and "1 anchor(s) matched" in anchored.stdout
    wrong = _cli(api_settings, "verify", "--anchor", "2:" + "0" * 64)
    assert wrong.returncode == 1 and "anchored" in wrong.stderr
    malformed = _cli(api_settings, "verify", "--anchor", "two:abc")
    assert malformed.returncode == 2 and "SEQ:HASH" in malformed.stderr
    tail = _cli(api_settings, "tail", "-n", "2", "--json")
    assert [json.loads(x)["seq"] for x in tail.stdout.splitlines()] == [1, 2]

    log_path = Path(audit_dir(api_settings)) / "audit.jsonl"
    lines = log_path.read_text().splitlines()
    log_path.write_text("\n".join([lines[0], lines[2]]) + "\n")  # delete the middle event
    bad = _cli(api_settings, "verify")
    assert bad.returncode == 1
    assert "event 1" in bad.stderr
