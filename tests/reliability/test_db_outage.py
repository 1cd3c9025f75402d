"""Neo4j goes away under a running API, and comes back; the audit log goes away, and comes back.

A throw-away Neo4j (own port and state folder) serves an API run by uvicorn on loopback. While
Neo4j is stopped every data request is a 503 with a JSON error body, within a bound, and
``/readyz`` says not ready; when Neo4j is started again the same API process serves data
again by itself. A request whose audit event cannot be written is refused (503) and its data
never sent; every response the API gave is in the audit log, which still verifies.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openfdp.api.errors import UNAVAILABLE_MESSAGE
from openfdp.services.audit import AUDIT_REFUSED, audit_dir
from openfdp.services.auth import mint_token
from openfdp.settings import Settings
from openfdp.store import local_server
from openfdp.store.audit_log import LOG_NAME, AuditLog
from tests.conftest import make_test_settings
from tests.reliability.served_api import free_port, served_api

pytestmark = pytest.mark.reliability

REQUEST_BOUND_S = 20.0  # no request may hang: each answers within this (behaviour, not speed)
RECOVERY_BOUND_S = 30.0
GQL = {"query": '{ organisation(odsCode: "RR8") { odsCode name } }'}
CYPHER = {"query": "MATCH (t:NHSTrust) RETURN count(t) AS n"}


def _message(r: httpx.Response) -> str:
    """The error message: GraphQL-over-HTTP shape on /graphql, {"error"} on /cypher."""
    body = r.json()
    return str(body["errors"][0]["message"] if "errors" in body else body["error"]["message"])


def _code(r: httpx.Response) -> str:
    body = r.json()
    if "errors" in body:
        return str(body["errors"][0]["extensions"]["code"])
    return str(body["error"]["code"])


@pytest.fixture(scope="module")
def neo4j_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    state = tmp_path_factory.mktemp("outage")
    settings = make_test_settings(
        state_dir=state,
        neo4j={
            "bolt_port": free_port(),
            "password": "outage-pass-1",
            "heap": "512m",
            "pagecache": "128m",
        },
    )
    local_server.start(settings)
    try:
        yield settings
    finally:
        local_server.stop(settings)


class Calls:
    """Every audited request made through here, with its status and how long it took."""

    def __init__(self, base: str, settings: Settings) -> None:
        self.base = base
        self.client = httpx.Client(timeout=REQUEST_BOUND_S + 10)
        self.audited: list[int] = []  # statuses of GraphQL/Cypher responses (audited ones)
        self.refused_unaudited = 0
        self.slowest = 0.0
        ics = mint_token(settings, "rel-ics", "QOP", ["ics_user"], "planning", 3600)
        analyst = mint_token(settings, "rel-analyst", "QOP", ["analyst"], "planning", 3600)
        self.headers = {
            "graphql": {"Authorization": f"Bearer {ics}"},
            "cypher": {"Authorization": f"Bearer {analyst}"},
        }

    def _timed(self, method: str, path: str, **kw: Any) -> httpx.Response:
        started = time.monotonic()
        r = self.client.request(method, f"{self.base}{path}", **kw)
        took = time.monotonic() - started
        self.slowest = max(self.slowest, took)
        assert took < REQUEST_BOUND_S, f"{path} took {took:.1f} s"
        return r

    def data(self, channel: str) -> httpx.Response:
        path, body = ("/graphql", GQL) if channel == "graphql" else ("/cypher", CYPHER)
        r = self._timed("POST", path, json=body, headers=self.headers[channel])
        assert r.status_code in {200, 503}, (channel, r.status_code, r.text[:300])  # never 500
        assert r.headers["content-type"].startswith("application/json")
        if r.status_code == 200 and channel == "graphql":  # not a 200 carrying masked errors
            assert not r.json().get("errors"), r.text[:300]
        if r.status_code == 503 and _message(r) == AUDIT_REFUSED:
            self.refused_unaudited += 1
        else:
            self.audited.append(r.status_code)
        return r

    def ready(self) -> httpx.Response:
        return self._timed("GET", "/readyz")


class Background(threading.Thread):
    """Requests in a loop while Neo4j stops and starts: each must be a 200 or a 503, in time."""

    def __init__(self, calls: Calls) -> None:
        super().__init__(name="outage-requests", daemon=True)
        self.calls = calls
        self.halt = threading.Event()
        self.failures: list[str] = []

    def run(self) -> None:
        n = 0
        while not self.halt.is_set():
            try:
                self.calls.data(("graphql", "cypher")[n % 2])
            except Exception as exc:  # reported by the test thread
                self.failures.append(repr(exc)[:300])
            n += 1
            self.halt.wait(0.1)  # pacing, not an assertion

    def finish(self) -> Calls:
        self.halt.set()
        self.join(timeout=REQUEST_BOUND_S + 15)
        assert not self.is_alive(), "a request during the outage never returned"
        assert not self.failures, self.failures[:3]
        return self.calls


def _all_ok(calls: Calls) -> bool:
    return all(calls.data(ch).status_code == 200 for ch in ("graphql", "cypher"))


def _kill(settings: Settings) -> None:
    """A crash, not a shutdown: SIGKILL the server and wait until its process is gone."""
    pid = local_server.running_pid(settings)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while local_server.running_pid(settings) is not None:
        assert time.monotonic() < deadline, "Neo4j survived SIGKILL"
        time.sleep(0.1)  # polling interval, not an assertion


@pytest.mark.parametrize("how", ["stopped", "killed"])
def test_neo4j_outage_gives_503_and_the_api_recovers_by_itself(
    neo4j_settings: Settings, tmp_path: Path, how: str
) -> None:
    api_settings = neo4j_settings.model_copy(update={"state_dir": tmp_path / "api"})
    with served_api(api_settings) as base:
        calls = Calls(base, api_settings)
        assert calls.ready().status_code == 200
        assert _all_ok(calls)
        during = Background(Calls(base, api_settings))
        during.start()

        if how == "stopped":
            local_server.stop(neo4j_settings)
        else:
            _kill(neo4j_settings)
        for _ in range(3):
            for channel in ("graphql", "cypher"):
                r = calls.data(channel)
                assert r.status_code == 503, (channel, r.status_code, r.text[:300])
                assert _message(r) == UNAVAILABLE_MESSAGE
                assert _code(r) in {"unavailable", "UNAVAILABLE"}
            ready = calls.ready()
            assert ready.status_code == 503
            assert ready.json() == {"status": "not ready", "neo4j": "unreachable"}
            assert calls._timed("GET", "/healthz").status_code == 200  # alive all along

        local_server.start(neo4j_settings)
        back = time.monotonic()
        while not (calls.ready().status_code == 200 and _all_ok(calls)):
            assert time.monotonic() - back < RECOVERY_BOUND_S, "the API did not recover"
            time.sleep(0.25)  # polling interval, not an assertion
        recovered_s = time.monotonic() - back
        assert _all_ok(calls)
        bg = during.finish()

        events = list(AuditLog(audit_dir(api_settings)).events())
        assert len(events) == len(calls.audited) + len(bg.audited)
        assert Counter(e["status"] for e in events) == Counter(calls.audited + bg.audited)
        assert {e["outcome"] for e in events if e["status"] == 503} == {"unavailable"}
        assert AuditLog(audit_dir(api_settings)).verify().ok
    print(
        f"\nneo4j {how}: {calls.audited.count(503)} requests answered 503 while it was down; "
        f"recovered {recovered_s:.1f} s after Neo4j was back; slowest request {calls.slowest:.2f} s"
        f"\n  requests during stop and start: {len(bg.audited)} ({bg.audited.count(200)} x 200, "
        f"{bg.audited.count(503)} x 503), slowest {bg.slowest:.2f} s"
    )


def test_a_request_that_cannot_be_audited_is_refused(
    neo4j_settings: Settings, tmp_path: Path
) -> None:
    api_settings = neo4j_settings.model_copy(update={"state_dir": tmp_path / "api"})
    log_path = audit_dir(api_settings) / LOG_NAME
    with served_api(api_settings) as base:
        calls = Calls(base, api_settings)
        assert _all_ok(calls)
        # the log file becomes a directory: no event can be appended (works as root, too)
        shutil.move(log_path, log_path.with_suffix(".moved"))
        log_path.mkdir()
        for channel in ("graphql", "cypher"):
            r = calls.data(channel)
            assert r.status_code == 503
            assert _message(r) == AUDIT_REFUSED and _code(r).lower() == "unavailable"
            assert "organisation" not in r.text and "rows" not in r.text  # no data sent
        assert calls.refused_unaudited == 2
        log_path.rmdir()
        shutil.move(log_path.with_suffix(".moved"), log_path)
        assert _all_ok(calls)

    log = AuditLog(audit_dir(api_settings))
    events = list(log.events())
    served = [s for s in calls.audited if s == 200]
    assert len(events) == len(calls.audited) == len(served) == 4
    assert all(e["outcome"] == "ok" for e in events)
    assert log.verify().ok
