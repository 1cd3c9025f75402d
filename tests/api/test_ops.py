"""Operations: liveness, readiness, outage and recovery, timeouts, metrics, masking, limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from fastapi.testclient import TestClient
from neo4j.exceptions import ServiceUnavailable
from strawberry.types import Info

from neo4j import Driver
from openfdp.api.app import create_app
from openfdp.api.deps import GraphQLContext
from openfdp.api.errors import INTERNAL_MESSAGE, AccessDenied, BadRequest
from openfdp.settings import Settings
from tests.api.conftest import AuthFactory
from tests.api.tcp_proxy import TcpProxy, free_port

pytestmark = pytest.mark.api

ICS = {"org": "QWO", "roles": ["ics_user"], "purpose": "planning"}
ANALYST = {"org": "QWO", "roles": ["analyst"], "purpose": "planning"}
COUNT = {"query": "MATCH (t:NHSTrust) RETURN count(*) AS n"}


def _via(settings: Settings, port: int, **api: Any) -> Settings:
    neo = settings.neo4j.model_copy(update={"bolt_port": port})
    return settings.model_copy(update={"neo4j": neo, "api": settings.api.model_copy(update=api)})


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "alive"}
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["neo4j"] == "up"


def test_unreachable_neo4j_gives_503_not_500(api_settings: Settings, auth: AuthFactory) -> None:
    with TestClient(create_app(_via(api_settings, free_port()))) as c:
        assert c.get("/healthz").status_code == 200
        ready = c.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["neo4j"] == "unreachable"
        gql = c.post("/graphql", json={"query": "{ __typename }"}, headers=auth(**ICS))
        assert gql.status_code == 503
        assert "not reachable" in gql.json()["errors"][0]["message"]
        cy = c.post("/cypher", json=COUNT, headers=auth(**ANALYST))
        assert cy.status_code == 503


def test_recovers_when_neo4j_returns(
    api_settings: Settings, graph: Driver, auth: AuthFactory
) -> None:
    proxy = TcpProxy(api_settings.neo4j.bolt_port).start()
    try:
        with TestClient(create_app(_via(api_settings, proxy.port))) as c:
            assert c.get("/readyz").status_code == 200
            assert c.post("/cypher", json=COUNT, headers=auth(**ANALYST)).status_code == 200
            proxy.stop()
            assert c.get("/readyz").status_code == 503
            assert c.post("/cypher", json=COUNT, headers=auth(**ANALYST)).status_code == 503
            proxy = TcpProxy(api_settings.neo4j.bolt_port, proxy.port).start()
            assert c.get("/readyz").status_code == 200
            ok = c.post("/cypher", json=COUNT, headers=auth(**ANALYST))
            assert ok.status_code == 200
            assert ok.json()["rows"] == [[None]]  # 3 trusts: suppressed
    finally:
        proxy.stop()


def test_hung_neo4j_hits_the_request_timeout(api_settings: Settings, auth: AuthFactory) -> None:
    hole = TcpProxy(0, forward=False).start()
    try:
        settings = _via(api_settings, hole.port, request_timeout_s=1.0)
        with TestClient(create_app(settings)) as c:
            r = c.post("/cypher", json=COUNT, headers=auth(**ANALYST))
            assert r.status_code == 504
            assert "longer than 1 s" in r.json()["error"]["message"]
    finally:
        hole.stop()


def test_metrics_count_requests_by_route_and_outcome(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/healthz")
    client.post("/cypher", json=COUNT)
    text = client.get("/metrics").text
    assert 'openfdp_http_requests_total{method="GET",outcome="2xx",route="/healthz"} 2.0' in text
    assert 'openfdp_http_requests_total{method="POST",outcome="4xx",route="/cypher"} 1.0' in text
    assert "openfdp_http_request_duration_seconds_bucket" in text


# --- GraphQL guards, with a schema made for the purpose ------------------------------------


@strawberry.type
class Leaf:
    name: str = "leaf"

    @strawberry.field
    def child(self) -> Leaf:
        return Leaf()


@strawberry.type
class Query:
    @strawberry.field
    async def boom(self) -> str:
        raise RuntimeError("MATCH (p:PseudonymisedPerson) secret internals")

    @strawberry.field
    async def outage(self) -> str:
        raise ServiceUnavailable("connection refused")

    @strawberry.field
    async def denied(self) -> str:
        raise AccessDenied("record-level data needs a trust or ICS role")

    @strawberry.field
    async def page(self, info: Info[GraphQLContext, None], first: int | None = None) -> int:
        return info.context.page_size(first)

    @strawberry.field
    def tree(self) -> Leaf:
        return Leaf()


@pytest.fixture()
def guarded(api_settings: Settings) -> Iterator[TestClient]:
    schema = strawberry.Schema(query=Query)
    with TestClient(create_app(api_settings, schema=schema)) as c:
        yield c


def _gql(c: TestClient, query: str) -> Any:
    return c.post("/graphql", json={"query": query})


def test_internal_errors_are_masked(guarded: TestClient) -> None:
    r = _gql(guarded, "{ boom }")
    assert r.status_code == 200
    assert r.json()["errors"][0]["message"] == INTERNAL_MESSAGE
    assert "MATCH" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text


def test_client_errors_keep_their_message(guarded: TestClient) -> None:
    r = _gql(guarded, "{ denied }")
    assert r.json()["errors"][0]["message"] == "record-level data needs a trust or ICS role"
    bad = _gql(guarded, "{ nosuch }")
    assert "nosuch" in bad.json()["errors"][0]["message"]


def test_outage_in_a_resolver_is_503(guarded: TestClient) -> None:
    r = _gql(guarded, "{ outage }")
    assert r.status_code == 503
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"


def test_depth_alias_and_token_limits(guarded: TestClient, api_settings: Settings) -> None:
    deep = (
        "{ tree { "
        + "child { " * (api_settings.api.max_depth + 2)
        + "name"
        + " }" * (api_settings.api.max_depth + 4)
    )
    assert "exceeds maximum operation depth" in _gql(guarded, deep).text
    aliases = "{ " + " ".join(f"a{i}: boom" for i in range(30)) + " }"
    assert "aliases" in _gql(guarded, aliases).text
    tokens = "{ " + " ".join("tree { name }" for _ in range(700)) + " }"
    assert "token" in _gql(guarded, tokens).text.lower()


def test_page_size_maximum(guarded: TestClient, api_settings: Settings) -> None:
    cap = api_settings.api.max_page_size
    assert _gql(guarded, "{ page }").json()["data"]["page"] == cap
    assert _gql(guarded, "{ page(first: 5) }").json()["data"]["page"] == 5
    too_big = _gql(guarded, f"{{ page(first: {cap + 1}) }}").json()
    assert f"between 1 and {cap}" in too_big["errors"][0]["message"]


def test_bad_request_is_a_client_error() -> None:
    assert BadRequest("x").status_code == 400


def test_rest_internal_errors_are_masked(api_settings: Settings) -> None:
    app = create_app(api_settings)

    @app.get("/explode")
    async def explode() -> None:
        raise RuntimeError("MATCH (n) secret")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/explode")
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal", "message": INTERNAL_MESSAGE}}
