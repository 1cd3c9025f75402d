"""The answer cache of the ICB-wide reads on the real server (openfdp/api/schema/cached.py,
docs/security.md §7): a hit answers exactly what a miss would, and is audited the same
way plus ``cache_hits``; a load and an opt-out are seen by the very next request; one
caller is never served an entry computed for another scope; the cache is bounded.

Every answer is also compared with the same request to an app whose cache is off
(``OPENFDP_API__ANSWER_CACHE_SIZE=0``)."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from neo4j import Driver
from openfdp.api.app import create_app
from openfdp.cli.load import load_feed
from openfdp.loaders.formats_data import EXTRACTS
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.ontology import load_ontology
from openfdp.services.audit import audit_dir
from openfdp.settings import Settings
from openfdp.store.audit_log import AuditLog
from openfdp.store.schema import apply_ontology
from tests.api.conftest import AuthFactory
from tests.api.graphql_support import AS_OF, gql, seed
from tests.conftest import make_test_settings

pytestmark = pytest.mark.api

WAITING = """
query { waitingList(icb: "QWO", groupBy: PROVIDER, asOf: "2026-06-01") {
  providers total { incompletePathways over52Weeks }
  rows { nodes { key incompletePathways within18Weeks over52Weeks } } } }
"""
LONG = """
query($icb: String, $provider: String) {
  longWaiters(icb: $icb, provider: $provider, minWeeks: 52, first: 50, asOf: "2026-06-01") {
    totalCount nodes { id providerOds daysWaiting person { pseudoId } } } }
"""
ICS = {"org": "QWO", "roles": ["ics_user"], "purpose": "planning"}


def nhs_numbers(count: int) -> list[str]:
    """Valid (Modulus 11) NHS numbers, none a placeholder."""
    found: list[str] = []
    base = 401023200
    while len(found) < count:
        digits = str(base)
        check = 11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check != 10:
            found.append(digits + str(0 if check == 11 else check))
        base += 1
    return found


@pytest.fixture()
def seeded(clean_graph: Driver, test_settings: Settings) -> Driver:
    apply_ontology(clean_graph, load_ontology(), test_settings.neo4j.database)
    seed(clean_graph)
    return clean_graph


@pytest.fixture()
def uncached(tmp_path: Path, api_settings: Settings) -> Iterator[TestClient]:
    """The same app with its cache off: what every answer must equal."""
    off = make_test_settings(state_dir=tmp_path / "uncached", api={"answer_cache_size": 0})
    with TestClient(create_app(off), raise_server_exceptions=False) as c:
        yield c


def _data(client: TestClient, query: str, headers: dict[str, str], **variables: Any) -> Any:
    body = gql(client, query, variables, headers)
    assert body.get("errors") is None, body
    return body["data"]


def _hits(audit_log: AuditLog) -> list[list[str] | None]:
    return [e.get("cache_hits") for e in audit_log.events()]


def _load(graph: Driver, settings: Settings, folder: Path, name: str, rows: list[dict]) -> None:
    """A real load (openfdp load csv) of one extract file."""
    folder.mkdir(parents=True)
    header = EXTRACTS[name.split("-", maxsplit=1)[0]].header
    with (folder / f"{name}.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    load_feed(
        "csv", [folder], cfg=settings, driver=graph, ontology=load_ontology(),
        quarantine_dir=folder / "quarantine",
    )  # fmt: skip


def _open_pathways(numbers: list[str], waited_days: int) -> list[dict[str, str]]:
    start = (AS_OF - timedelta(days=waited_days)).isoformat()
    base = {
        "provider_ods": "RR8", "ppid_issuer_ods": "RR8", "referral_received_date": start,
        "tfc": "110", "waiting_list_type": "ORTT", "event_seq": "1", "status_code": "10",
        "activity_date": start,
    }  # fmt: skip
    return [
        {**base, "local_patient_id": f"CACHE{i}", "nhs_number": number, "ppid": f"CACHE{i}"}
        for i, number in enumerate(numbers)
    ]


def test_a_hit_answers_and_is_audited_exactly_like_the_miss(
    seeded: Driver, client: TestClient, uncached: TestClient, auth: AuthFactory,
    audit_log: AuditLog,
) -> None:  # fmt: skip
    ics = auth(**ICS)
    first = _data(client, LONG, ics, icb="QWO")
    second = _data(client, LONG, ics, icb="QWO")
    assert first == second == _data(uncached, LONG, ics, icb="QWO")
    assert first["longWaiters"]["totalCount"] == 7  # the opted-out long waiter is left out
    waiting = [_data(client, WAITING, ics) for _ in range(2)]
    assert waiting[0] == waiting[1] == _data(uncached, WAITING, ics)
    events = list(audit_log.events())
    assert _hits(audit_log) == [None, ["longWaiters"], None, ["waitingList"]]
    volatile = {"time", "request_id", "seq", "prev_hash", "hash", "cache_hits"}
    for miss, hit in ((events[0], events[1]), (events[2], events[3])):
        assert {k: v for k, v in hit.items() if k not in volatile} == {
            k: v for k, v in miss.items() if k not in volatile
        }
    assert len(events[1]["pseudo_ids"]) == 7 and events[1]["result_size"] == 7
    assert client.app.state.openfdp.answers.computed == 2
    assert audit_log.verify().ok


def test_a_trust_load_is_counted_by_the_next_request(
    seeded: Driver, client: TestClient, uncached: TestClient, auth: AuthFactory,
    api_settings: Settings, audit_log: AuditLog, tmp_path: Path,
) -> None:  # fmt: skip
    ics = auth(**ICS)
    before = _data(client, WAITING, ics)
    assert _data(client, WAITING, ics) == before  # served from the cache
    rows = _open_pathways(nhs_numbers(5), waited_days=400)
    _load(seeded, api_settings, tmp_path / "week2", "waiting_list-RR8", rows)
    after = _data(client, WAITING, ics)
    assert after == _data(uncached, WAITING, ics)
    rr8 = {r["key"]: r for r in after["waitingList"]["rows"]["nodes"]}["RR8"]
    was = {r["key"]: r for r in before["waitingList"]["rows"]["nodes"]}["RR8"]
    assert (was["incompletePathways"], rr8["incompletePathways"]) == (15, 20)
    assert _hits(audit_log) == [None, ["waitingList"], None]


def test_an_opt_out_takes_effect_on_the_very_next_request(
    seeded: Driver, client: TestClient, uncached: TestClient, auth: AuthFactory,
    api_settings: Settings, tmp_path: Path,
) -> None:  # fmt: skip
    """National Data Opt-out operational policy guidance (domain-fdp.md §4.2): planning
    and research uses leave out the records of a person who opted out, from the moment the
    opt-out is applied; a cached answer must not outlive it."""
    (number,) = nhs_numbers(1)
    _load(
        seeded, api_settings, tmp_path / "week1", "waiting_list-RR8", _open_pathways([number], 800)
    )
    ps = Pseudonymiser(
        key=api_settings.privacy.hmac_key.get_secret_value().encode(),
        domain=api_settings.privacy.domain,
    )
    person = ps.person_id(nhs_number=number)
    ics = auth(**ICS)

    def people() -> set[str]:
        nodes = _data(client, LONG, ics, icb="QWO")["longWaiters"]["nodes"]
        return {n["person"]["pseudoId"] for n in nodes}

    assert person in people()
    assert person in people()  # a hit
    _load(seeded, api_settings, tmp_path / "opt-outs", "opt_outs", [{"nhs_number": number}])
    assert person not in people()
    assert _data(client, LONG, ics, icb="QWO") == _data(uncached, LONG, ics, icb="QWO")


def test_a_caller_is_never_served_an_entry_computed_for_another_scope(
    seeded: Driver, client: TestClient, uncached: TestClient, auth: AuthFactory,
    audit_log: AuditLog,
) -> None:  # fmt: skip
    callers = [
        auth(**ICS),
        auth(org="RR8", roles=["trust_user"], purpose="planning"),
        auth(org="RR8", roles=["trust_user"], purpose="direct_care"),
        auth(org="RR8", roles=["trust_user"], purpose="direct_care", sub="user-2"),
        auth(org="RAE", roles=["trust_user"], purpose="planning"),
    ]
    answers = []
    for headers in callers:
        answer = _data(client, LONG, headers, provider="RR8")
        assert answer == _data(uncached, LONG, headers, provider="RR8")
        answers.append({n["id"] for n in answer["longWaiters"]["nodes"]})
    assert answers[0] == answers[1] == {"RR8:PW1", "RR8:PW2"}
    assert answers[2] == answers[3] == {"RR8:PW1", "RR8:OPT1", "RR8:PW2"}  # direct care
    assert answers[4] == set()  # RAE's user reads none of RR8's records
    # only the second user of the same organisation, role and purpose shares an entry
    assert _hits(audit_log) == [None, None, None, ["longWaiters"], None]


def test_the_cache_keeps_at_most_its_setting(
    seeded: Driver, tmp_path: Path, auth: AuthFactory
) -> None:
    settings = make_test_settings(state_dir=tmp_path / "one", api={"answer_cache_size": 1})
    ics = auth(**ICS)
    with TestClient(create_app(settings)) as c:
        for provider in ("RR8", "RAE", "RR8", "RR8"):
            _data(c, LONG, ics, provider=provider)
        assert len(c.app.state.openfdp.answers) == 1
    hits = [e.get("cache_hits") for e in AuditLog(audit_dir(settings)).events()]
    assert hits == [None, None, None, ["longWaiters"]]  # RAE's answer pushed RR8's out


def test_concurrent_identical_requests_compute_the_answer_once(
    seeded: Driver, api_settings: Settings, auth: AuthFactory, audit_log: AuditLog
) -> None:
    """Eight requests at once on a cold entry: one computation (the others wait for it or
    find it cached), eight identical answers, eight audit events."""
    ics = auth(**ICS)

    async def burst() -> tuple[list[Any], int]:
        app = create_app(api_settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
                body = {"query": WAITING, "variables": {}}
                replies = await asyncio.gather(
                    *(c.post("/graphql", json=body, headers=ics) for _ in range(8))
                )
            return [r.json() for r in replies], app.state.openfdp.answers.computed

    answers, computed = asyncio.run(burst())
    assert computed == 1
    assert all(a == answers[0] and a.get("errors") is None for a in answers)
    assert sorted(map(str, _hits(audit_log))) == ["None"] + ["['waitingList']"] * 7
