"""Every request has an id: returned as X-Request-ID, in its audit event and in the logs.

The last test runs the real `openfdp serve` (uvicorn, real Neo4j) and reads its stderr: every
line is a JSON object with timestamp, level and request id, and the access line of a request
carries the id the client sent.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from neo4j import Driver
from openfdp.api.log_format import JsonFormatter
from openfdp.api.request_id import current_request_id
from openfdp.settings import Settings
from openfdp.store.audit_log import AuditLog
from tests.api.conftest import AuthFactory, TokenFactory
from tests.api.graphql_support import seed
from tests.reliability.served_api import free_port

pytestmark = pytest.mark.api

ORG = {"query": '{ organisation(odsCode: "RR8") { odsCode } }'}


@pytest.fixture()
def seeded(clean_graph: Driver) -> Driver:
    seed(clean_graph)
    return clean_graph


def test_each_answer_has_a_new_request_id(seeded: Driver, client: TestClient) -> None:
    ids = [client.post("/graphql", json=ORG).headers["x-request-id"] for _ in range(3)]
    ids.append(client.get("/healthz").headers["x-request-id"])
    assert len(set(ids)) == 4
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_a_sane_client_id_is_kept_and_an_odd_one_replaced(
    seeded: Driver, client: TestClient
) -> None:
    kept = client.post("/graphql", json=ORG, headers={"X-Request-ID": "airflow.run-42_a"})
    assert kept.headers["x-request-id"] == "airflow.run-42_a"
    for odd in ("x" * 65, "has space", "semi;colon"):
        r = client.post("/graphql", json=ORG, headers={"X-Request-ID": odd})
        assert r.headers["x-request-id"] != odd and len(r.headers["x-request-id"]) == 32


def test_audit_events_carry_the_request_id(
    seeded: Driver, client: TestClient, auth: AuthFactory, audit_log: AuditLog
) -> None:
    sent = [
        client.post("/graphql", json=ORG, headers=auth()),  # direct path
        client.post("/graphql", json={**ORG, "clientHint": "x"}, headers=auth()),  # router
        client.post("/graphql", json=ORG, headers={"Authorization": "Bearer nope"}),  # refused
    ]
    assert [r.status_code for r in sent] == [200, 200, 401]
    events = list(audit_log.events())
    assert [e["request_id"] for e in events] == [r.headers["x-request-id"] for r in sent]
    assert events[2]["outcome"] == "denied"
    assert audit_log.verify().ok


def test_errors_and_timeouts_carry_the_header_too(seeded: Driver, client: TestClient) -> None:
    r = client.post("/graphql", content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.headers["x-request-id"]
    assert client.get("/no/such/route").headers["x-request-id"]


def test_json_formatter_fields() -> None:
    token = current_request_id.set("rid-1")
    try:
        record = logging.LogRecord(
            "openfdp.api", logging.WARNING, __file__, 1, "a %s", ("b",), None
        )
        record.status = 503
        line = json.loads(JsonFormatter().format(record))
    finally:
        current_request_id.reset(token)
    assert line["level"] == "WARNING" and line["message"] == "a b"
    assert line["request_id"] == "rid-1" and line["status"] == 503
    assert line["timestamp"].endswith("+00:00")


def _serve(settings: Settings, state: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OPENFDP_STATE_DIR": str(state),
        "OPENFDP_NEO4J__BOLT_PORT": str(settings.neo4j.bolt_port),
        "OPENFDP_NEO4J__PASSWORD": settings.neo4j.password.get_secret_value(),
        "OPENFDP_API__LOG_FORMAT": "json",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "openfdp.cli", "serve", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=out,
        )  # fmt: skip


def test_openfdp_serve_logs_json_lines_with_the_request_id(
    api_settings: Settings, seeded: Driver, make_token: TokenFactory, tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    proc = _serve(api_settings, api_settings.state_dir, port, log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        headers = {"Authorization": f"Bearer {make_token()}", "X-Request-ID": "cron-7"}
        r = httpx.post(f"{base}/graphql", json=ORG, headers=headers, timeout=30)
        assert r.status_code == 200 and r.headers["x-request-id"] == "cron-7"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lines: list[dict[str, Any]] = [json.loads(x) for x in log.read_text().splitlines() if x]
    assert lines, "no log lines"
    for line in lines:
        assert {"timestamp", "level", "logger", "message", "request_id"} <= line.keys()
    access = [x for x in lines if x["logger"] == "openfdp.access" and x["request_id"] == "cron-7"]
    assert len(access) == 1
    assert access[0]["path"] == "/graphql" and access[0]["status"] == 200
    assert access[0]["duration_ms"] >= 0
    audit = AuditLog(api_settings.state_dir / "audit")
    assert [e["request_id"] for e in audit.events()] == ["cron-7"]
