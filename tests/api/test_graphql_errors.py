"""Every error under /graphql has the GraphQL-over-HTTP shape, on both request paths.

``{"errors": [{"message": ..., "extensions": {"code": ...}}]}`` whatever the HTTP status:
401 (token refused), 403 (a role and purpose never allowed), 400 (body not JSON, a content
type the router refuses), 405 (method), 503 (Neo4j away), 504 (request timeout), and inside a
200 for parse, validation and resolver errors. Each case is sent to the direct path
(plain JSON POST) and to the strawberry router (the same body with an extra key, which the
direct path declines); both must answer alike. The REST routes keep ``{"error": {...}}``.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from neo4j import Driver
from openfdp.api.app import create_app
from openfdp.settings import Settings
from tests.api.conftest import AuthFactory
from tests.api.graphql_support import seed
from tests.api.tcp_proxy import TcpProxy, free_port

pytestmark = pytest.mark.api

ICS = {"org": "QWO", "roles": ["ics_user"], "purpose": "planning"}
ICS_DIRECT_CARE = {"org": "QWO", "roles": ["ics_user"], "purpose": "direct_care"}
ORG = {"query": '{ organisation(odsCode: "RR8") { odsCode name } }'}


def _via(settings: Settings, port: int, **api: Any) -> Settings:
    neo = settings.neo4j.model_copy(update={"bolt_port": port})
    return settings.model_copy(update={"neo4j": neo, "api": settings.api.model_copy(update=api)})


def _errors(r: Any) -> list[dict[str, Any]]:
    """The response's errors, checked to have exactly the GraphQL-over-HTTP shape."""
    assert r.headers["content-type"].startswith("application/json"), r.text[:200]
    body = r.json()
    assert "error" not in body
    errors = body["errors"]
    assert isinstance(errors, list) and errors
    for e in errors:
        assert isinstance(e["message"], str) and e["message"]
        assert isinstance(e["extensions"]["code"], str) and e["extensions"]["code"].isupper()
    return list(errors)


def _both(client: TestClient, body: dict[str, Any], headers: dict[str, str]) -> list[Any]:
    return [
        client.post("/graphql", json=body, headers=headers),  # direct path
        client.post("/graphql", json={**body, "clientHint": "x"}, headers=headers),  # router
    ]


@pytest.fixture()
def seeded(clean_graph: Driver) -> Driver:
    seed(clean_graph)
    return clean_graph


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Authorization": "Bearer not-a-token"}, 401, "UNAUTHENTICATED"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, 401, "UNAUTHENTICATED"),
    ],
)
def test_401_has_the_graphql_shape(
    seeded: Driver, client: TestClient, headers: dict[str, str], status: int, code: str
) -> None:
    for r in _both(client, ORG, headers):
        assert r.status_code == status
        assert _errors(r)[0]["extensions"]["code"] == code
        assert r.headers["www-authenticate"].startswith("Bearer")


def test_403_has_the_graphql_shape(seeded: Driver, client: TestClient, auth: AuthFactory) -> None:
    for r in _both(client, ORG, auth(**ICS_DIRECT_CARE)):
        assert r.status_code == 403
        [error] = _errors(r)
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "direct care" in error["message"]


@pytest.mark.parametrize(
    ("query", "code", "words"),
    [
        ("{ pathway(id: ", "GRAPHQL_PARSE_FAILED", "Syntax Error"),
        ("{ nothingHere }", "GRAPHQL_VALIDATION_FAILED", "nothingHere"),
        ("query($id: ID!) { pathway(id: $id) { id } }", "GRAPHQL_VALIDATION_FAILED", "$id"),
        ('{ pathway(id: "no-colon") { id } }', "BAD_REQUEST", "no-colon"),
    ],
)
def test_parse_validation_and_input_errors_have_codes(
    seeded: Driver, client: TestClient, auth: AuthFactory, query: str, code: str, words: str
) -> None:
    for r in _both(client, {"query": query}, auth()):
        [error] = _errors(r)
        assert error["extensions"]["code"] == code, error
        assert words in error["message"]


def test_record_level_refusal_in_a_resolver_is_forbidden(
    seeded: Driver, client: TestClient, auth: AuthFactory
) -> None:
    query = {"query": '{ pathway(id: "RR8:PW1") { id } }'}
    for r in _both(client, query, auth(roles=["analyst"], purpose="research")):
        assert r.status_code == 200
        assert _errors(r)[0]["extensions"]["code"] == "FORBIDDEN"


def test_400_for_a_body_that_is_not_json(
    seeded: Driver, client: TestClient, auth: AuthFactory
) -> None:
    r = client.post(
        "/graphql", content=b"{not json", headers={**auth(), "Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert _errors(r)[0]["extensions"]["code"] == "BAD_REQUEST"


def test_router_refusals_have_the_graphql_shape(
    seeded: Driver, client: TestClient, auth: AuthFactory
) -> None:
    """strawberry's own plain-text refusals (content type, method) are reshaped."""
    r = client.post(
        "/graphql", content=b"{ __typename }", headers={**auth(), "Content-Type": "text/csv"}
    )
    assert r.status_code == 400
    [error] = _errors(r)
    assert error == {"message": "Unsupported content type", "extensions": {"code": "BAD_REQUEST"}}
    r = client.put("/graphql", json={"query": "{ __typename }"}, headers=auth())
    assert r.status_code == 405
    assert _errors(r)[0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    r = client.get("/graphql", params={"query": "{ __typename "}, headers=auth())
    assert r.status_code in {200, 400}
    assert _errors(r)[0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"


def test_503_when_neo4j_is_unreachable(api_settings: Settings, auth: AuthFactory) -> None:
    with TestClient(create_app(_via(api_settings, free_port()))) as c:
        for r in _both(c, {"query": "{ __typename }"}, auth(**ICS)):
            assert r.status_code == 503
            assert _errors(r)[0]["extensions"]["code"] == "UNAVAILABLE"
        cypher = c.post("/cypher", json={"query": "RETURN 1"}, headers=auth(**ICS))
        assert "error" in cypher.json()  # REST routes keep their own shape


def test_504_on_the_request_timeout(api_settings: Settings, auth: AuthFactory) -> None:
    hole = TcpProxy(0, forward=False).start()
    try:
        settings = _via(api_settings, hole.port, request_timeout_s=1.0)
        with TestClient(create_app(settings)) as c:
            for r in _both(c, {"query": "{ __typename }"}, auth(**ICS)):
                assert r.status_code == 504
                [error] = _errors(r)
                assert error["extensions"]["code"] == "TIMEOUT"
                assert "longer than 1 s" in error["message"]
    finally:
        hole.stop()
