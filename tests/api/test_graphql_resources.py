"""Resource views: theatre sessions and capacity, staff on shift, bed occupancy."""

from __future__ import annotations

import pytest

from neo4j import Driver
from tests.api.graphql_support import error_codes, gql, seed

pytestmark = pytest.mark.api


@pytest.fixture()
def seeded(clean_graph: Driver) -> Driver:
    seed(clean_graph)
    return clean_graph


SESSIONS = """
query($site: String!) {
  theatreSessions(site: $site, from: "2026-06-01", to: "2026-06-07", first: 2) {
    summary { plannedMinutes bookedMinutes unbookedMinutes usedMinutes
              bookedUtilisation utilisation }
    sessions { totalCount pageInfo { hasNextPage }
      nodes { sessionId amPm plannedMinutes bookedMinutes unbookedMinutes bookings
              bookedUtilisation utilisation theatre { theatreId name } } }
  }
}
"""


def test_theatre_sessions_minutes_and_utilisation(seeded, client, auth):
    body = gql(client, SESSIONS, {"site": "RR801"}, auth(org="RR8"))
    assert body.get("errors") is None, body
    ts = body["data"]["theatreSessions"]
    assert ts["summary"] == {
        "plannedMinutes": 720,
        "bookedMinutes": 180,
        "unbookedMinutes": 540,
        "usedMinutes": 200,
        "bookedUtilisation": 25.0,
        "utilisation": 27.8,
    }
    assert ts["sessions"]["totalCount"] == 3 and ts["sessions"]["pageInfo"]["hasNextPage"]
    s1 = ts["sessions"]["nodes"][0]
    assert s1 == {
        "sessionId": "S1",
        "amPm": "AM",
        "plannedMinutes": 240,
        "bookedMinutes": 180,
        "unbookedMinutes": 60,
        "bookings": 2,
        "bookedUtilisation": 75.0,
        "utilisation": 83.3,
        "theatre": {"theatreId": "RR801:T1", "name": "Theatre 1"},
    }
    # another trust's user sees none of RR8's sessions
    rae = gql(client, SESSIONS, {"site": "RR801"}, auth(org="RAE"))["data"]["theatreSessions"]
    assert rae["sessions"]["totalCount"] == 0


CAPACITY = """
query { unbookedCapacity(icb: "QWO", from: "2026-06-01", to: "2026-06-14") {
  nodes { providerOds siteOds siteName treatmentFunctionCode treatmentFunctionName sessions
          emptySessions plannedMinutes bookedMinutes unbookedMinutes } } }
"""


def test_unbooked_capacity_across_the_icb(seeded, client, auth):
    ics = auth(org="QWO", roles=["ics_user"], purpose="planning")
    body = gql(client, CAPACITY, headers=ics)
    assert body.get("errors") is None, body
    # the cancelled session is not capacity
    assert body["data"]["unbookedCapacity"]["nodes"] == [
        {
            "providerOds": "RR8",
            "siteOds": "RR801",
            "siteName": "St James",
            "treatmentFunctionCode": "110",
            "treatmentFunctionName": "Trauma & Orthopaedics",
            "sessions": 2,
            "emptySessions": 1,
            "plannedMinutes": 480,
            "bookedMinutes": 180,
            "unbookedMinutes": 300,
        }
    ]
    refused = gql(client, CAPACITY, headers=auth(org="RR8"))
    assert error_codes(refused) == ["FORBIDDEN"]
    assert error_codes(gql(client, CAPACITY)) == ["FORBIDDEN"]


STAFF = """
query($role: String) { staffAvailability(site: "RR801", date: "2026-06-02", role: $role) {
  nodes { roleCode roleName shiftType staffOnShift earliestStart latestEnd } } }
"""


def test_staff_on_shift_by_role(seeded, client, auth):
    body = gql(client, STAFF, {}, auth(org="RR8"))
    assert body.get("errors") is None, body
    rows = [
        (r["roleCode"], r["shiftType"], r["staffOnShift"])
        for r in body["data"]["staffAvailability"]["nodes"]
    ]
    assert rows == [("NURSE", "day", 2), ("NURSE", "night", 1), ("SURGEON", "day", 1)]
    day = body["data"]["staffAvailability"]["nodes"][0]
    assert (day["earliestStart"], day["latestEnd"]) == ("08:00:00", "20:00:00")
    nurses = gql(client, STAFF, {"role": "SURGEON"}, auth(org="RR8"))
    assert len(nurses["data"]["staffAvailability"]["nodes"]) == 1


def test_bed_occupancy_by_ward(seeded, client, auth):
    q = """query { bedOccupancy(site: "RR801") { nodes {
      wardId name beds occupied available closed occupancyPct } } }"""
    body = gql(client, q, headers=auth(org="RR8"))
    assert body["data"]["bedOccupancy"]["nodes"] == [
        {
            "wardId": "RR801:W1",
            "name": "Ward 1",
            "beds": 4,
            "occupied": 2,
            "available": 1,
            "closed": 1,
            "occupancyPct": 66.7,
        }
    ]
