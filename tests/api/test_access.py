"""The access matrix: who may read what, for which purpose (GraphQL scope and analyst Cypher)."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from neo4j import Driver
from openfdp.api.errors import AccessDenied, Unauthenticated
from openfdp.services.access import analyst_scope, resolve_scope
from openfdp.services.context import AccessScope, Principal, Purpose
from openfdp.settings import Settings
from openfdp.store.driver import open_async_driver
from tests.api.conftest import AuthFactory

pytestmark = pytest.mark.api


def _principal(org: str, roles: set[str], purpose: Purpose) -> Principal:
    return Principal(subject="u", organisation=org, roles=frozenset(roles), purpose=purpose)


def scope_for(
    settings: Settings, principal: Principal | None, *, analyst: bool = False
) -> AccessScope:
    async def go() -> AccessScope:
        driver = open_async_driver(settings)
        try:
            policy = analyst_scope if analyst else resolve_scope
            return await policy(principal, driver, settings)
        finally:
            await driver.close()

    return asyncio.run(go())


def test_anonymous_gets_no_records(api_settings: Settings, graph: Driver) -> None:
    scope = scope_for(api_settings, None)
    assert scope.anonymous
    assert scope.providers == frozenset()
    assert not scope.record_level


def test_trust_user_direct_care_sees_own_trust_including_opted_out(
    api_settings: Settings, graph: Driver
) -> None:
    scope = scope_for(api_settings, _principal("RR8", {"trust_user"}, "direct_care"))
    assert scope.providers == {"RR8"}
    assert scope.record_level
    assert not scope.exclude_opted_out


@pytest.mark.parametrize("purpose", ["planning", "research"])
def test_trust_user_secondary_use_excludes_opted_out(
    api_settings: Settings, graph: Driver, purpose: Purpose
) -> None:
    scope = scope_for(api_settings, _principal("RAE", {"trust_user"}, purpose))
    assert scope.providers == {"RAE"}
    assert scope.aggregate_providers == {"RAE"}
    assert scope.exclude_opted_out


def test_ics_user_sees_member_trusts_from_the_graph(api_settings: Settings, graph: Driver) -> None:
    scope = scope_for(api_settings, _principal("QWO", {"ics_user"}, "planning"))
    assert scope.providers == {"RR8", "RAE"}
    assert scope.exclude_opted_out
    other = scope_for(api_settings, _principal("QF7", {"ics_user"}, "research"))
    assert other.providers == {"RHQ"}


def test_unknown_icb_sees_nothing(api_settings: Settings, graph: Driver) -> None:
    scope = scope_for(api_settings, _principal("QZZ", {"ics_user"}, "planning"))
    assert scope.providers == frozenset()


def test_ics_user_direct_care_is_refused(api_settings: Settings, graph: Driver) -> None:
    with pytest.raises(AccessDenied, match="direct care"):
        scope_for(api_settings, _principal("QWO", {"ics_user"}, "direct_care"))


def test_no_role_is_refused_and_other_roles_get_nothing(
    api_settings: Settings, graph: Driver
) -> None:
    with pytest.raises(AccessDenied, match="no role"):
        scope_for(api_settings, _principal("RR8", set(), "planning"))
    viewer = scope_for(api_settings, _principal("RR8", {"supplier_viewer"}, "planning"))
    assert viewer.providers == frozenset()
    assert not viewer.record_level


def test_analyst_scope(api_settings: Settings, graph: Driver) -> None:
    ics = scope_for(api_settings, _principal("QWO", {"analyst"}, "planning"), analyst=True)
    assert ics.aggregate_providers == {"RR8", "RAE"}
    assert not ics.record_level
    trust = scope_for(api_settings, _principal("RHQ", {"analyst"}, "research"), analyst=True)
    assert trust.aggregate_providers == {"RHQ"}
    with pytest.raises(AccessDenied):
        scope_for(api_settings, _principal("RHQ", {"analyst"}, "direct_care"), analyst=True)
    with pytest.raises(AccessDenied, match="analyst"):
        scope_for(api_settings, _principal("RHQ", {"trust_user"}, "planning"), analyst=True)
    with pytest.raises(Unauthenticated):
        scope_for(api_settings, None, analyst=True)


def test_graphql_public_needs_no_token(client: TestClient) -> None:
    r = client.post("/graphql", json={"query": "{ __typename }"})
    assert r.status_code == 200
    assert r.json()["data"]["__typename"]


@pytest.mark.parametrize(
    ("org", "roles", "purpose", "status"),
    [
        ("RR8", ["trust_user"], "direct_care", 200),
        ("RR8", ["trust_user"], "planning", 200),
        ("QWO", ["ics_user"], "research", 200),
        ("QWO", ["ics_user"], "direct_care", 403),
        ("RR8", [], "planning", 403),
        ("RR8", ["analyst"], "planning", 200),
    ],
)
def test_graphql_access_matrix(
    client: TestClient,
    graph: Driver,
    auth: AuthFactory,
    org: str,
    roles: list[str],
    purpose: str,
    status: int,
) -> None:
    r = client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers=auth(org=org, roles=roles, purpose=purpose),
    )
    assert r.status_code == status, r.text


def test_cypher_providers_follow_the_principal(
    client: TestClient, graph: Driver, auth: AuthFactory
) -> None:
    q = {"query": "MATCH (t:NHSTrust) WHERE t.ods_code IN $allowed_providers RETURN count(*) AS n"}
    ics = client.post(
        "/cypher", json=q, headers=auth(org="QWO", roles=["analyst"], purpose="planning")
    )
    assert ics.json()["supplied_parameters"]["allowed_providers"] == ["RAE", "RR8"]
    trust = client.post(
        "/cypher", json=q, headers=auth(org="RHQ", roles=["analyst"], purpose="planning")
    )
    assert trust.json()["supplied_parameters"]["allowed_providers"] == ["RHQ"]


def test_public_supplier_view_needs_no_token(client: TestClient, graph: Driver) -> None:
    r = client.post("/graphql", json={"query": "{ suppliers { nodes { supplierId name } } }"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "errors" not in body
    assert {"supplierId": "SUP-1", "name": "Example Analytics Ltd"} in body["data"]["suppliers"][
        "nodes"
    ]
