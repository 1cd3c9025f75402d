"""ICS views: the disclosure-controlled waiting list, long waiters, validation candidates."""

from __future__ import annotations

import pytest

from neo4j import Driver
from tests.api.graphql_support import AS_OF, error_codes, gql, seed

pytestmark = pytest.mark.api

WAITING = """
query($icb: String, $provider: String, $by: WaitingListGroupBy!, $asOf: Date) {
  waitingList(icb: $icb, provider: $provider, groupBy: $by, asOf: $asOf) {
    asOf providers
    disclosurePolicy { name version }
    total { incompletePathways within18Weeks pctWithin18Weeks over52Weeks }
    rows { totalCount nodes {
      key label incompletePathways within18Weeks pctWithin18Weeks
      over52Weeks over65Weeks over78Weeks over104Weeks
    } }
  }
}
"""


@pytest.fixture()
def seeded(clean_graph: Driver) -> Driver:
    seed(clean_graph)
    return clean_graph


def _rows(body: dict) -> dict[str, dict]:
    assert body.get("errors") is None, body
    return {r["key"]: r for r in body["data"]["waitingList"]["rows"]["nodes"]}


def test_waiting_list_by_tfc_is_disclosure_controlled(seeded, client, auth):
    ics = auth(org="QWO", roles=["ics_user"], purpose="planning")
    variables = {"icb": "QWO", "by": "TFC", "asOf": AS_OF.isoformat()}
    body = gql(client, WAITING, variables, ics)
    wl = body["data"]["waitingList"]
    assert wl["providers"] == ["RAE", "RR8"]
    assert wl["disclosurePolicy"] == {"name": "nhs-sdc-rounding", "version": "1"}
    rows = _rows(body)
    # 12 pathways: rounded to 10, all within 18 weeks, none over 52 (0 stays 0)
    assert rows["100"] == {
        "key": "100",
        "label": "General Surgery",
        "incompletePathways": 10,
        "within18Weeks": 10,
        "pctWithin18Weeks": 100.0,
        "over52Weeks": 0,
        "over65Weeks": 0,
        "over78Weeks": 0,
        "over104Weeks": 0,
    }
    # 3 pathways (the opted-out one counts: statutory counts include every patient, see
    # tests/api/test_opt_out_rules.py): suppressed, % unknown
    assert rows["110"]["incompletePathways"] is None
    assert rows["110"]["pctWithin18Weeks"] is None
    assert rows["110"]["within18Weeks"] == 0
    # 8 pathways: rounded to 10; 5 over 52 weeks: suppressed
    assert rows["130"]["incompletePathways"] == 10
    assert rows["130"]["pctWithin18Weeks"] == 0.0
    assert rows["130"]["over52Weeks"] is None
    # the total is a cell of its own: 23 -> 25, 12 within -> 10, 40 %; 8 over 52 -> 10
    assert wl["total"] == {
        "incompletePathways": 25,
        "within18Weeks": 10,
        "pctWithin18Weeks": 40.0,
        "over52Weeks": 10,
    }


def test_waiting_list_by_weeks_band_and_provider(seeded, client, auth):
    ics = auth(org="QWO", roles=["ics_user"], purpose="planning")
    bands = _rows(
        gql(client, WAITING, {"icb": "QWO", "by": "WEEKS_BAND", "asOf": "2026-06-01"}, ics)
    )
    assert list(bands) == ["0-18", "18-52", "52-65", "65-78", "78-104", "104+"]
    assert bands["0-18"]["incompletePathways"] == 10
    assert bands["52-65"]["incompletePathways"] is None  # 3
    assert bands["104+"]["incompletePathways"] == 0
    # direct care at RR8 counts its opted-out patient too: 12 + 2 + 1 = 15
    rr8 = auth(org="RR8", roles=["trust_user"], purpose="direct_care")
    by_provider = _rows(
        gql(client, WAITING, {"provider": "RR8", "by": "PROVIDER", "asOf": "2026-06-01"}, rr8)
    )
    assert by_provider["RR8"]["incompletePathways"] == 15
    assert by_provider["RR8"]["label"] == "Trust RR8"


@pytest.mark.parametrize(
    ("token", "variables"),
    [
        ({"org": "RR8"}, {"icb": "QWO"}),  # a trust user asking for the whole ICB
        ({"org": "QWO", "roles": ["ics_user"], "purpose": "planning"}, {"provider": "RHQ"}),
        ({"org": "QWO", "roles": ["analyst"], "purpose": "planning"}, {"icb": "QWO"}),
        (None, {"icb": "QWO"}),
    ],
)
def test_waiting_list_refused_outside_scope(seeded, client, auth, token, variables):
    headers = auth(**token) if token else {}
    body = gql(client, WAITING, {**variables, "by": "TFC"}, headers)
    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]


def test_waiting_list_needs_exactly_one_of_icb_or_provider(seeded, client, auth):
    body = gql(client, WAITING, {"icb": "QWO", "provider": "RR8", "by": "TFC"}, auth(org="RR8"))
    assert error_codes(body) == ["BAD_REQUEST"]


LONG = """
query($icb: String, $provider: String) {
  longWaiters(icb: $icb, provider: $provider, minWeeks: 52, asOf: "2026-06-01") {
    totalCount nodes { id weeksWaiting }
  }
}
"""


def test_long_waiters_longest_first_within_scope(seeded, client, auth):
    ics = auth(org="QWO", roles=["ics_user"], purpose="planning")
    body = gql(client, LONG, {"icb": "QWO"}, ics)
    assert body.get("errors") is None, body
    ids = [n["id"] for n in body["data"]["longWaiters"]["nodes"]]
    assert ids == ["RR8:PW2", "RAE:R06", "RAE:R05", "RAE:R04", "RAE:R03", "RR8:PW1", "RAE:R02"]
    # a trust user sees only its own trust's long waiters
    rae = gql(client, LONG, {"icb": "QWO"}, auth(org="RAE"))["data"]["longWaiters"]
    assert {n["id"].split(":")[0] for n in rae["nodes"]} == {"RAE"}
    assert rae["totalCount"] == 5


VALIDATION = """
query {
  validationCandidates(icb: "QWO", weeksWithoutActivity: 12, asOf: "2026-06-01") {
    totalCount nodes { id }
  }
}
"""


def test_validation_candidates_have_no_recent_activity(seeded, client, auth):
    ics = auth(org="QWO", roles=["ics_user"], purpose="planning")
    body = gql(client, VALIDATION, headers=ics)
    assert body.get("errors") is None, body
    ids = [n["id"] for n in body["data"]["validationCandidates"]["nodes"]]
    assert ids == ["RR8:PW2", "RAE:PW9", "RR8:G11", "RR8:G10", "RR8:G09", "RR8:G08"]
