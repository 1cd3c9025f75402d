"""The access matrix of the GraphQL query families: role x purpose -> visible or refused.

Outcomes: ``rows`` (data returned), ``hidden`` (the record does not exist for the caller:
null, or an empty page), ``FORBIDDEN`` (a refusal with that error code).
"""

from __future__ import annotations

import pytest

from neo4j import Driver
from tests.api.graphql_support import error_codes, gql, seed

pytestmark = pytest.mark.api

R, H, F = "rows", "hidden", "FORBIDDEN"

FAMILIES = {
    "record": ('query { pathway(id: "RR8:PW1") { id } }', lambda d: d["pathway"]),
    "aggregate": (
        'query { waitingList(provider: "RR8", groupBy: TFC) { total { incompletePathways } } }',
        lambda d: d["waitingList"]["total"],
    ),
    "resource": (
        'query { theatreSessions(site: "RR801", from: "2026-06-01", to: "2026-06-07") '
        "{ sessions { nodes { sessionId } } } }",
        lambda d: d["theatreSessions"]["sessions"]["nodes"],
    ),
    "supplier": ("query { suppliers { nodes { name } } }", lambda d: d["suppliers"]["nodes"]),
    "organisation": (
        'query { organisation(odsCode: "RR8") { name } }',
        lambda d: d["organisation"],
    ),
}

# token (None = anonymous)               record  aggregate resource supplier organisation
MATRIX = [
    (None,                                     F,  F,  F,  R, R),
    (("RR8", "trust_user", "direct_care"),     R,  R,  R,  R, R),
    (("RR8", "trust_user", "planning"),        R,  R,  R,  R, R),
    (("RAE", "trust_user", "direct_care"),     H,  F,  H,  R, R),
    (("QWO", "ics_user", "planning"),          R,  R,  R,  R, R),
    (("QWO", "ics_user", "research"),          R,  R,  R,  R, R),
    (("QF7", "ics_user", "planning"),          H,  F,  H,  R, R),
    (("QWO", "analyst", "planning"),           F,  F,  F,  R, R),
    (("RR8", "supplier_viewer", "planning"),   F,  F,  F,  R, R),
]  # fmt: skip


@pytest.fixture()
def seeded(clean_graph: Driver) -> Driver:
    seed(clean_graph)
    return clean_graph


def outcome(body: dict, pick) -> str:
    codes = error_codes(body)
    if codes:
        return codes[0]
    return "rows" if pick(body["data"]) else "hidden"


@pytest.mark.parametrize("row", MATRIX, ids=lambda r: "-".join(r[0]) if r[0] else "anonymous")
def test_access_matrix(seeded, client, auth, row):
    token, *expected = row
    headers = auth(org=token[0], roles=[token[1]], purpose=token[2]) if token else {}
    got = [outcome(gql(client, q, headers=headers), pick) for q, pick in FAMILIES.values()]
    assert got == expected, dict(zip(FAMILIES, got, strict=True))


def test_ics_direct_care_is_refused_before_any_query(seeded, client, auth):
    headers = auth(org="QWO", roles=["ics_user"], purpose="direct_care")
    r = client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert r.status_code == 403
