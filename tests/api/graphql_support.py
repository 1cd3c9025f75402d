"""Test graph and helpers for the GraphQL schema tests (Cypher as docs/graph-model.md says).

ICB QWO holds trusts RR8 (sites RR801, RR802) and RAE (site RAE01); ICB QF7 holds RHQ.
Waits are measured to ``AS_OF``. Person ``linked-rr8`` (RR8) and ``linked-rae`` (RAE) share a
linkage cluster. Counts per (trust, TFC) of open pathways are chosen to hit each
disclosure-control case: 12 (rounded to 10), 3 (suppressed), 0 and 8 (rounded to 10).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from neo4j import Driver

AS_OF = date(2026, 6, 1)
DOMAIN = "openfdp-demo-ics"  # the test settings' pseudonymisation domain


def pseudo(label: str) -> str:
    return hashlib.sha256(f"graphql-test:{label}".encode()).hexdigest()


@dataclass
class PathwaySpec:
    issuer: str
    ppid: str
    person: str
    tfc: str
    wait_days: int  # days from clock start to AS_OF (open) or period length (closed)
    closed: bool = False
    opted_out: bool = False
    cluster: str | None = None
    last_activity_days_ago: int | None = None  # a 20 event this many days before AS_OF
    extras: bool = False  # an appointment, a procedure and a diagnosis
    area: str = "LS1"
    events: list[dict[str, Any]] = field(default_factory=list)


def _specs() -> list[PathwaySpec]:
    specs = [
        PathwaySpec(
            "RR8",
            "PW1",
            "linked-rr8",
            "110",
            396,
            cluster="c-linked",
            extras=True,
            last_activity_days_ago=30,
        ),
        PathwaySpec(
            "RAE", "PW9", "linked-rae", "130", 200, cluster="c-linked", last_activity_days_ago=150
        ),
        PathwaySpec("RR8", "OPT1", "opted-out", "110", 470, opted_out=True),
        PathwaySpec("RR8", "PW2", "p-rr8-2", "110", 560),
        PathwaySpec("RR8", "CLOSED1", "p-rr8-closed", "110", 100, closed=True),
        PathwaySpec("RHQ", "PWX", "p-rhq", "100", 50),
    ]
    # 12 open pathways at RR8 in TFC 100, all within 18 weeks
    specs += [PathwaySpec("RR8", f"G{i:02d}", f"g-{i}", "100", 10 * (i + 1)) for i in range(12)]
    # 7 more at RAE in TFC 130 (8 with PW9), long waits from 300 days
    specs += [
        PathwaySpec("RAE", f"R{i:02d}", f"r-{i}", "130", 300 + 40 * i, last_activity_days_ago=10)
        for i in range(7)
    ]
    return specs


SPECS = _specs()


def _rows() -> dict[str, list[dict[str, Any]]]:
    persons, pathways, periods, events, appts, procs, diags = [], [], [], [], [], [], []
    for s in SPECS:
        pid = pseudo(s.person)
        persons.append(
            {
                "pseudo_id": pid,
                "cluster_id": s.cluster or pid,
                "opted_out": s.opted_out,
                "area": s.area,
                "pathway": [s.issuer, s.ppid],
            }
        )
        start = AS_OF - timedelta(days=s.wait_days) if not s.closed else date(2026, 1, 5)
        end = start + timedelta(days=s.wait_days) if s.closed else None
        pathways.append(
            {
                "issuer": s.issuer,
                "ppid": s.ppid,
                "tfc": s.tfc,
                "status": "closed" if s.closed else "open",
                "referral": start,
            }
        )
        periods.append(
            {
                "issuer": s.issuer,
                "ppid": s.ppid,
                "period_id": f"{s.issuer}:{s.ppid}:{start}",
                "start": start,
                "end": end,
                "status": "closed" if s.closed else "open",
                "stop": "30" if s.closed else None,
                "length": s.wait_days if s.closed else None,
                "b18": start + timedelta(days=126),
                "b52": start + timedelta(days=364),
                "b65": start + timedelta(days=455),
                "b78": start + timedelta(days=546),
                "b104": start + timedelta(days=728),
            }
        )
        evs = [("10", start, 1)]
        if s.last_activity_days_ago is not None:
            evs.append(("20", AS_OF - timedelta(days=s.last_activity_days_ago), 2))
        if s.closed and end is not None:
            evs.append(("30", end, 3))
        for code, when, seq in evs:
            events.append(
                {
                    "issuer": s.issuer,
                    "ppid": s.ppid,
                    "event_id": f"{s.issuer}:{s.ppid}:{seq}",
                    "code": code,
                    "date": when,
                    "seq": seq,
                }
            )
        if s.extras:
            appts.append(
                {
                    "issuer": s.issuer,
                    "ppid": s.ppid,
                    "id": f"A-{s.ppid}",
                    "date": start + timedelta(days=20),
                    "site": "RR801",
                }
            )
            procs.append(
                {
                    "issuer": s.issuer,
                    "ppid": s.ppid,
                    "id": f"PR-{s.ppid}",
                    "date": start + timedelta(days=40),
                    "code": "W401",
                    "display": "Total knee replacement",
                }
            )
            diags.append(
                {
                    "issuer": s.issuer,
                    "ppid": s.ppid,
                    "id": f"DG-{s.ppid}",
                    "date": start + timedelta(days=20),
                    "code": "M17.1",
                    "display": "Primary gonarthrosis",
                }
            )
    return {
        "persons": persons,
        "pathways": pathways,
        "periods": periods,
        "events": events,
        "appts": appts,
        "procs": procs,
        "diags": diags,
    }


ORGS = """
UNWIND [['QWO', 'NHS West Yorkshire ICB', ['RR8', 'RAE']], ['QF7', 'NHS Other ICB', ['RHQ']]]
  AS icb
MERGE (i:ICB:Organisation {ods_code: icb[0]}) SET i.name = icb[1]
WITH i, icb UNWIND icb[2] AS t
MERGE (n:NHSTrust:Organisation {ods_code: t}) SET n.name = 'Trust ' + t
MERGE (n)-[:IN_ICB_GEOGRAPHY]->(i)
WITH count(*) AS done
UNWIND [['RR801', 'St James', 'RR8'], ['RR802', 'Chapel Allerton', 'RR8'],
        ['RAE01', 'Bradford Royal', 'RAE']] AS s
MATCH (t:NHSTrust {ods_code: s[2]})
MERGE (x:Site:Organisation {ods_code: s[0]}) SET x.name = s[1]
MERGE (x)-[:PART_OF]->(t)
WITH count(*) AS done
MATCH (i:ICB {ods_code: 'QWO'})
MERGE (sub:SubICBLocation:Organisation {ods_code: '15F'}) SET sub.name = 'Leeds'
MERGE (sub)-[:PART_OF]->(i)
MERGE (pcn:PCN:Organisation {ods_code: 'U00001'}) SET pcn.name = 'Leeds Central PCN'
MERGE (pcn)-[:IN]->(sub)
WITH pcn UNWIND ['B86002', 'B86001'] AS g
MERGE (gp:GPPractice:Organisation {ods_code: g}) SET gp.name = 'Practice ' + g
MERGE (gp)-[:MEMBER_OF]->(pcn)
"""

PATHWAYS = """
UNWIND $pathways AS r
MATCH (t:NHSTrust {ods_code: r.issuer})
CREATE (p:RTTPathway {ppid_issuer_ods: r.issuer, ppid: r.ppid, provider_ods: r.issuer,
  treatment_function_code: r.tfc, pathway_status: r.status,
  referral_request_received_date: r.referral, priority_type_code: '1'})
CREATE (p)-[:ISSUED_BY]->(t)
MERGE (c:CodedConcept {system: 'TFC', code: r.tfc})
CREATE (p)-[:FOR_TFC]->(c)
"""

PERSONS = """
UNWIND $persons AS r
CREATE (x:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: r.pseudo_id,
  cluster_id: r.cluster_id, ndoo_opt_out: r.opted_out, year_of_birth: 1961, sex_code: '2',
  area_code: r.area, nhs_number_verified: true})
WITH x, r
MATCH (p:RTTPathway {ppid_issuer_ods: r.pathway[0], ppid: r.pathway[1]})
CREATE (x)-[:SUBJECT_OF]->(p)
"""

PERIODS = """
UNWIND $periods AS r
MATCH (p:RTTPathway {ppid_issuer_ods: r.issuer, ppid: r.ppid})
CREATE (p)-[:HAS_PERIOD]->(:RTTPeriod {period_id: r.period_id, provider_ods: r.issuer,
  start_date: r.start, end_date: r.end, status: r.status, stop_status_code: r.stop,
  length_days: r.length, breach_date_18w: r.b18, breach_date_52w: r.b52,
  breach_date_65w: r.b65, breach_date_78w: r.b78, breach_date_104w: r.b104,
  nullified: false, data_quality_flags: []})
"""

EVENTS = """
UNWIND $events AS r
MATCH (p:RTTPathway {ppid_issuer_ods: r.issuer, ppid: r.ppid})
CREATE (p)-[:HAS_EVENT]->(e:RTTStatusEvent {event_id: r.event_id, provider_ods: r.issuer,
  status_code: r.code, activity_date: r.date, seq: r.seq})
MERGE (c:CodedConcept {system: 'RTT_STATUS', code: r.code})
CREATE (e)-[:CODED_AS]->(c)
"""

ACTIVITY = """
UNWIND $appts AS r
MATCH (p:RTTPathway {ppid_issuer_ods: r.issuer, ppid: r.ppid})
MATCH (s:Site {ods_code: r.site})
CREATE (a:Appointment {appointment_id: r.id, provider_ods: r.issuer,
  appointment_date: r.date, attended_or_dna_code: '5', first_attendance_code: '1',
  treatment_function_code: p.treatment_function_code})
CREATE (a)-[:ON_PATHWAY]->(p), (a)-[:AT_SITE]->(s)
WITH count(*) AS done
UNWIND $procs AS r
MATCH (p:RTTPathway {ppid_issuer_ods: r.issuer, ppid: r.ppid})
CREATE (:Procedure {procedure_id: r.id, provider_ods: r.issuer, procedure_date: r.date,
  code_system: 'OPCS4', code: r.code, display: r.display})-[:ON_PATHWAY]->(p)
WITH count(*) AS done
UNWIND $diags AS r
MATCH (p:RTTPathway {ppid_issuer_ods: r.issuer, ppid: r.ppid})
CREATE (:Diagnosis {diagnosis_id: r.id, provider_ods: r.issuer, diagnosis_date: r.date,
  code_system: 'ICD10', code: r.code, display: r.display, is_primary: true})-[:ON_PATHWAY]->(p)
"""

RESOURCES = """
MATCH (site:Site {ods_code: 'RR801'})
CREATE (th:Theatre {theatre_id: 'RR801:T1', name: 'Theatre 1', theatre_type: 'elective',
  provider_ods: 'RR8'})-[:AT_SITE]->(site)
CREATE (s1:TheatreSession {session_id: 'S1', session_date: date('2026-06-02'), am_pm: 'AM',
  status: 'planned', session_type: 'Elective', planned_minutes: 240, booked_minutes: 180,
  used_minutes: 200, treatment_function_code: '110', provider_ods: 'RR8'})-[:IN_THEATRE]->(th)
CREATE (s2:TheatreSession {session_id: 'S2', session_date: date('2026-06-02'), am_pm: 'PM',
  status: 'planned', session_type: 'Elective', planned_minutes: 240, booked_minutes: 0,
  treatment_function_code: '110', provider_ods: 'RR8'})-[:IN_THEATRE]->(th)
CREATE (s3:TheatreSession {session_id: 'S3', session_date: date('2026-06-03'), am_pm: 'AM',
  status: 'cancelled', session_type: 'Elective', planned_minutes: 240,
  treatment_function_code: '130', provider_ods: 'RR8'})-[:IN_THEATRE]->(th)
CREATE (:TheatreBooking {booking_id: 'B1', provider_ods: 'RR8', expected_minutes: 90,
  booking_status: 'booked', cancelled_on_the_day: false})-[:IN_SESSION]->(s1)
CREATE (:TheatreBooking {booking_id: 'B2', provider_ods: 'RR8', expected_minutes: 90,
  booking_status: 'booked', cancelled_on_the_day: false})-[:IN_SESSION]->(s1)
MERGE (nurse:Role {role_code: 'NURSE'}) SET nurse.name = 'Registered nurse'
MERGE (surgeon:Role {role_code: 'SURGEON'}) SET surgeon.name = 'Consultant surgeon'
WITH site, nurse, surgeon
MATCH (t:NHSTrust {ods_code: 'RR8'})
UNWIND [['RR8:N1', 'day', nurse], ['RR8:N2', 'day', nurse], ['RR8:N3', 'night', nurse],
        ['RR8:S1', 'day', surgeon]] AS st
WITH site, t, st, st[2] AS role
CREATE (sm:StaffMember {staff_id: st[0], provider_ods: 'RR8', active: true})
CREATE (sm)-[:HAS_ROLE]->(role), (sm)-[:EMPLOYED_BY]->(t)
CREATE (sm)-[:WORKS]->(sh:Shift {shift_id: st[0] + ':2026-06-02', provider_ods: 'RR8',
  shift_date: date('2026-06-02'), shift_type: st[1],
  start_time: CASE st[1] WHEN 'day' THEN localtime('08:00') ELSE localtime('20:00') END,
  end_time: CASE st[1] WHEN 'day' THEN localtime('20:00') ELSE localtime('08:00') END})
CREATE (sh)-[:AT_SITE]->(site)
WITH DISTINCT site
CREATE (w:Ward {ward_id: 'RR801:W1', ward_code: 'W1', name: 'Ward 1', provider_ods: 'RR8'})
  -[:AT_SITE]->(site)
WITH w UNWIND [['1', 'occupied'], ['2', 'occupied'], ['3', 'available'], ['4', 'closed']] AS b
CREATE (:Bed {bed_id: 'RR801:W1:' + b[0], bed_type: 'general', status: b[1],
  provider_ods: 'RR8'})-[:IN_WARD]->(w)
"""

# An inpatient spell of the linked RR8 person with a procedure recorded on the spell only.
ENCOUNTERS = """
MATCH (x:PseudonymisedPerson {pseudo_id: $pseudo_id}), (t:NHSTrust {ods_code: 'RR8'})
CREATE (x)-[:SUBJECT_OF]->(e:Encounter {encounter_id: 'ENC-1', provider_ods: 'RR8',
  encounter_class: 'inpatient', start_date_time: datetime('2026-02-10T09:30:00Z'),
  end_date_time: datetime('2026-02-12T11:00:00Z')})-[:AT_ORGANISATION]->(t)
CREATE (e)-[:HAD_PROCEDURE]->(:Procedure {procedure_id: 'PR-ENC-1', provider_ods: 'RR8',
  procedure_date: date('2026-02-10'), code_system: 'OPCS4', code: 'W371',
  display: 'Primary total hip replacement'})
"""

SUPPLIERS = """
CREATE (s1:Supplier:Organisation {supplier_id: 'SUP-1', name: 'Example Analytics Ltd',
  companies_house_number: '00000001'})
CREATE (s2:Supplier:Organisation {supplier_id: 'SUP-2', name: 'Cloud Hosting plc'})
CREATE (prod:Product {product_id: 'PROD-1', name: 'Pathway Platform'})
CREATE (c:Contract {ocid: 'ocds-test-0001', title: 'Data platform', value_amount: 1250000.0,
  currency: 'GBP', start_date: date('2025-04-01'), end_date: date('2028-03-31')})
CREATE (c)-[:AWARDED_TO]->(s1), (c)-[:FOR_PRODUCT]->(prod), (s1)-[:SUPPLIES]->(prod)
CREATE (d:DataProcessingAgreement {dpa_id: 'DPA-1', purposes: ['direct_care', 'planning'],
  data_categories: ['pseudonymised_pathways'], effective_from: date('2025-04-01')})
CREATE (d)-[:PROCESSOR]->(s1), (d)-[:SUB_PROCESSOR]->(s2), (d)-[:COVERS]->(prod),
  (d)-[:UNDER]->(c)
WITH c, d
MATCH (t:NHSTrust {ods_code: 'RR8'})
CREATE (t)-[:BUYER_OF]->(c), (d)-[:CONTROLLER]->(t)
"""


def seed(driver: Driver) -> None:
    rows = _rows()
    driver.execute_query(ORGS)
    driver.execute_query(PATHWAYS, pathways=rows["pathways"])
    driver.execute_query(PERSONS, persons=rows["persons"], domain=DOMAIN)
    driver.execute_query(PERIODS, periods=rows["periods"])
    driver.execute_query(EVENTS, events=rows["events"])
    driver.execute_query(ACTIVITY, appts=rows["appts"], procs=rows["procs"], diags=rows["diags"])
    driver.execute_query(ENCOUNTERS, pseudo_id=pseudo("linked-rr8"))
    driver.execute_query(RESOURCES)
    driver.execute_query(SUPPLIERS)


def gql(
    client: Any,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a GraphQL request through the app; the JSON body (data and errors)."""
    r = client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code", "") for e in body.get("errors") or []]
