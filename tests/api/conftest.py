"""API fixtures: an app per test (own audit log), a TestClient, tokens and the test graph.

- ``api_settings``: test settings whose ``state_dir`` is a fresh temporary folder (so each
  test has its own audit log); Neo4j is the session's real test server.
- ``app`` / ``client``: ``create_app(api_settings)`` and a ``TestClient`` with the lifespan
  running (server errors become 500 responses, not raised).
- ``graph``: an empty graph loaded with ``tests/api/fixtures_graph.py``.
- ``make_token(org=…, roles=…, purpose=…, sub=…, ttl=…)`` and ``auth(...)`` (a headers dict).
- ``audit_log``: the app's :class:`AuditLog`, to read or tamper with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from neo4j import Driver
from openfdp.api.app import create_app
from openfdp.services.audit import audit_dir
from openfdp.services.auth import mint_token
from openfdp.settings import Settings
from openfdp.store import local_server
from openfdp.store.audit_log import AuditLog
from tests.api.fixtures_graph import load_test_graph
from tests.conftest import make_test_settings

TokenFactory = Callable[..., str]
AuthFactory = Callable[..., dict[str, str]]


@pytest.fixture()
def api_settings(tmp_path: Path, neo4j_server: local_server.ServerInfo) -> Settings:
    return make_test_settings(state_dir=tmp_path / "state")


@pytest.fixture()
def app(api_settings: Settings) -> FastAPI:
    return create_app(api_settings)


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture()
def graph(clean_graph: Driver) -> Driver:
    load_test_graph(clean_graph)
    return clean_graph


@pytest.fixture()
def make_token(api_settings: Settings) -> TokenFactory:
    def _make(
        *,
        org: str = "RR8",
        roles: Iterable[str] = ("trust_user",),
        purpose: str = "direct_care",
        sub: str = "user-1",
        ttl: float = 600,
        **kwargs: object,
    ) -> str:
        return mint_token(api_settings, sub, org, roles, purpose, ttl, **kwargs)  # type: ignore[arg-type]

    return _make


@pytest.fixture()
def auth(make_token: TokenFactory) -> AuthFactory:
    def _auth(**kwargs: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(**kwargs)}"}

    return _auth


@pytest.fixture()
def audit_log(api_settings: Settings) -> AuditLog:
    return AuditLog(audit_dir(api_settings))
