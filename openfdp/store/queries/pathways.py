"""Cypher for RTT pathways and persons (record-level: always scoped by ``$providers``).

Parameters shared by every statement here:
``$providers`` — ODS codes whose records may be returned; ``$exclude_opted_out`` — drop
persons with ``ndoo_opt_out = true`` (secondary uses); ``$as_of`` — the date waits are
measured to.
"""

from __future__ import annotations

from typing import LiteralString

from openfdp.store.queries.opt_out import person_not_opted_out, record_not_opted_out

# A pathway is hidden when its person (or anyone linked to them) has opted out and the
# purpose is not direct care (graph_service/store/queries/opt_out.py).
_NOT_OPTED_OUT = record_not_opted_out("p")

_SUMMARY_FIELDS = (
    ".ppid, .ppid_issuer_ods, .provider_ods, .treatment_function_code, .priority_type_code, "
    ".referral_request_received_date, .pathway_status"
)

# Everything the Pathway type can show, for the pathway bound to `p`, in one expression.
PATHWAY_PROJECTION: LiteralString = (
    "p { " + _SUMMARY_FIELDS + ", "
    "provider_name: COLLECT { MATCH (t:NHSTrust {ods_code: p.provider_ods}) "
    "  RETURN t.name LIMIT 1 }[0], "
    "periods: COLLECT { MATCH (p)-[:HAS_PERIOD]->(r:RTTPeriod) "
    "  RETURN r {.period_id, .start_date, .start_source, .end_date, .status, .stop_status_code, "
    "  .length_days, .transferred_in, .transferred_out_date, .transferred_to_ods, "
    "  .breach_date_18w, .breach_date_52w, .breach_date_65w, .breach_date_78w, "
    "  .breach_date_104w, .nullified, .data_quality_flags} ORDER BY r.start_date }, "
    "events: COLLECT { MATCH (p)-[:HAS_EVENT]->(e:RTTStatusEvent) "
    "  RETURN e {.event_id, .status_code, .activity_date, .seq} "
    "  ORDER BY e.activity_date, e.seq }, "
    "appointments: COLLECT { MATCH (a:Appointment)-[:ON_PATHWAY]->(p) "
    "  RETURN a {.appointment_id, .appointment_date, .first_attendance_code, "
    "  .attended_or_dna_code, .outcome_of_attendance_code, .treatment_function_code, "
    "  .consultation_medium_code, site: COLLECT { MATCH (a)-[:AT_SITE]->(s:Site) "
    "  RETURN s {.ods_code, .name} LIMIT 1 }[0]} ORDER BY a.appointment_date }, "
    "procedures: COLLECT { MATCH (x:Procedure)-[:ON_PATHWAY]->(p) "
    "  RETURN x {.procedure_id, .procedure_date, .code_system, .code, .display} "
    "  ORDER BY x.procedure_date }, "
    "diagnoses: COLLECT { MATCH (x:Diagnosis)-[:ON_PATHWAY]->(p) "
    "  RETURN x {.diagnosis_id, .diagnosis_date, .code_system, .code, .display, .is_primary} "
    "  ORDER BY x.diagnosis_date }, "
    "person: COLLECT { MATCH (per:PseudonymisedPerson)-[:SUBJECT_OF]->(p) "
    "  RETURN per {.pseudo_id, .year_of_birth, .sex_code, .area_code} LIMIT 1 }[0], "
    # the same person's pathways at other trusts, through the linkage cluster
    "linked_pathways: COLLECT { MATCH (per:PseudonymisedPerson)-[:SUBJECT_OF]->(p) "
    "  MATCH (other:PseudonymisedPerson {cluster_id: per.cluster_id})-[:SUBJECT_OF]->"
    "  (q:RTTPathway) "
    "  WHERE q.provider_ods <> p.provider_ods AND q.provider_ods IN $providers "
    "  AND " + person_not_opted_out("other") + " "
    "  WITH DISTINCT q ORDER BY q.referral_request_received_date, q.ppid_issuer_ods, q.ppid "
    "  RETURN q {" + _SUMMARY_FIELDS + "} } "
    "}"
)

PATHWAY_BY_ID: LiteralString = (
    "MATCH (p:RTTPathway {ppid_issuer_ods: $issuer, ppid: $ppid}) "
    "WHERE p.provider_ods IN $providers AND " + _NOT_OPTED_OUT + " "
    "RETURN " + PATHWAY_PROJECTION + " AS pathway"
)

# Filters: $icb, $provider, $tfc, $status, $min_days, $max_days (wait of the latest clock
# period), $inactive_days (no status event or appointment within that many days of $as_of).
# Page: the $limit pathways whose sort key comes after $after (a keyset cursor; null for the
# first page). One row: total (before paging), the page's items in order, their sort keys
# and has_next.
_PATHWAY_PAGE: LiteralString = (
    "WITH CASE WHEN $icb IS NULL THEN $providers ELSE "
    "  [t IN COLLECT { MATCH (t:NHSTrust)-[:IN_ICB_GEOGRAPHY]->(:ICB {ods_code: $icb}) "
    "  RETURN t.ods_code } WHERE t IN $providers] END AS allowed "
    "MATCH (p:RTTPathway) "
    "WHERE p.provider_ods IN allowed "
    "AND ($provider IS NULL OR p.provider_ods = $provider) "
    "AND ($tfc IS NULL OR p.treatment_function_code = $tfc) "
    "AND ($status IS NULL OR p.pathway_status = $status) "
    "AND " + _NOT_OPTED_OUT + " "
    "CALL (p) { OPTIONAL MATCH (p)-[:HAS_PERIOD]->(r:RTTPeriod) "
    "  WITH r ORDER BY r.start_date DESC LIMIT 1 "
    "  RETURN coalesce(r.start_date, p.referral_request_received_date) AS clock_start, "
    "  CASE WHEN r IS NULL THEN null "
    "  WHEN r.end_date IS NULL THEN duration.inDays(r.start_date, $as_of).days "
    "  ELSE r.length_days END AS wait_days } "
    "WITH p, clock_start, wait_days, CASE WHEN $inactive_days IS NULL THEN null ELSE "
    "  reduce(m = p.referral_request_received_date, d IN "
    "  COLLECT { MATCH (p)-[:HAS_EVENT]->(e:RTTStatusEvent) RETURN e.activity_date } + "
    "  COLLECT { MATCH (a:Appointment)-[:ON_PATHWAY]->(p) RETURN a.appointment_date } | "
    "  CASE WHEN m IS NULL OR d > m THEN d ELSE m END) END AS last_activity "
    "WHERE ($min_days IS NULL OR wait_days >= $min_days) "
    "AND ($max_days IS NULL OR wait_days < $max_days) "
    "AND ($inactive_days IS NULL OR last_activity IS NULL "
    "  OR last_activity <= $as_of - duration({days: $inactive_days})) "
    "WITH p, [{order}, p.ppid_issuer_ods, p.ppid] AS k ORDER BY k "
    "WITH collect({p: p, k: k}) AS rows "
    "WITH rows, [row IN rows WHERE $after IS NULL OR row.k > $after] AS rest "
    "CALL (rest) { UNWIND rest[0..$limit] AS row WITH row.p AS p, row.k AS k "
    "  RETURN collect(" + PATHWAY_PROJECTION + ") AS items, collect(k) AS keys } "
    "RETURN size(rows) AS total, items, keys, size(rest) > $limit AS has_next"
)

# Sort orders (GraphQL enum value -> first element of the ascending sort key; the key ends
# with the pathway's id, so it is unique); never built from input text. Descending orders
# negate a number (a date as days since 1970); a missing start sorts last ascending and
# first descending, as Cypher orders nulls.
_NO_START: LiteralString = "date('9999-12-31')"
_START_DAYS: LiteralString = (
    "duration.inDays(date('1970-01-01'), coalesce(clock_start, " + _NO_START + ")).days"
)
PATHWAY_ORDERS: dict[str, LiteralString] = {
    "START_DATE_ASC": "coalesce(clock_start, " + _NO_START + ")",
    "START_DATE_DESC": "-" + _START_DAYS,
    "WEEKS_WAITING_ASC": "coalesce(wait_days, -1)",
    "WEEKS_WAITING_DESC": "-coalesce(wait_days, -1)",
}
PATHWAYS_PAGE: dict[str, LiteralString] = {
    name: _PATHWAY_PAGE.replace("{order}", expr) for name, expr in PATHWAY_ORDERS.items()
}

# A person (by domain and pseudo id), visible when any of their linked cluster's records
# belongs to an allowed provider; pathways and a timeline from the allowed providers only.
PERSON: LiteralString = (
    "MATCH (per:PseudonymisedPerson {pseudonymisation_domain: $domain, pseudo_id: $pseudo_id}) "
    "WHERE " + person_not_opted_out("per") + " "
    "WITH per, [per] + [m IN COLLECT { MATCH (m:PseudonymisedPerson {cluster_id: per.cluster_id}) "
    "  WHERE m <> per RETURN m } "
    "  WHERE " + person_not_opted_out("m") + "] AS members "
    "WHERE EXISTS { UNWIND members AS m MATCH (m)-[:SUBJECT_OF]->(r) "
    "  WHERE r.provider_ods IN $providers } "
    "CALL (members) { UNWIND members AS m "
    "  MATCH (m)-[:SUBJECT_OF]->(p:RTTPathway) WHERE p.provider_ods IN $providers "
    "  WITH DISTINCT p ORDER BY p.referral_request_received_date, p.ppid_issuer_ods, p.ppid "
    "  RETURN collect(p {" + _SUMMARY_FIELDS + "}) AS pathways } "
    "CALL (members) { "
    "  CALL (members) { "
    "    UNWIND members AS m MATCH (m)-[:SUBJECT_OF]->(p:RTTPathway)-[:HAS_EVENT]->"
    "    (e:RTTStatusEvent) WHERE p.provider_ods IN $providers "
    "    RETURN e.activity_date AS date, 'RTT_STATUS' AS kind, e.status_code AS code, "
    "    'RTT_STATUS' AS code_system, null AS display, e.event_id AS record_id, "
    "    p.ppid_issuer_ods + ':' + p.ppid AS pathway_id, p.provider_ods AS provider_ods "
    "    UNION "
    "    UNWIND members AS m MATCH (m)-[:SUBJECT_OF]->(x)<-[:ON_PATHWAY]-(a:Appointment) "
    "    WHERE x:RTTPathway AND a.provider_ods IN $providers "
    "    RETURN a.appointment_date AS date, 'APPOINTMENT' AS kind, "
    "    a.attended_or_dna_code AS code, 'ATTENDED_OR_DNA' AS code_system, null AS display, "
    "    a.appointment_id AS record_id, x.ppid_issuer_ods + ':' + x.ppid AS pathway_id, "
    "    a.provider_ods AS provider_ods "
    "    UNION "
    "    UNWIND members AS m MATCH (m)-[:SUBJECT_OF]->(a:Appointment) "
    "    WHERE a.provider_ods IN $providers "
    "    OPTIONAL MATCH (a)-[:ON_PATHWAY]->(x:RTTPathway) "
    "    RETURN a.appointment_date AS date, 'APPOINTMENT' AS kind, "
    "    a.attended_or_dna_code AS code, 'ATTENDED_OR_DNA' AS code_system, null AS display, "
    "    a.appointment_id AS record_id, x.ppid_issuer_ods + ':' + x.ppid AS pathway_id, "
    "    a.provider_ods AS provider_ods "
    "    UNION "
    "    UNWIND members AS m MATCH (m)-[:SUBJECT_OF]->(enc:Encounter) "
    "    WHERE enc.provider_ods IN $providers "
    "    RETURN date(enc.start_date_time) AS date, 'ENCOUNTER' AS kind, "
    "    enc.encounter_class AS code, 'ENCOUNTER_CLASS' AS code_system, null AS display, "
    "    enc.encounter_id AS record_id, null AS pathway_id, enc.provider_ods AS provider_ods "
    "    UNION "
    "    UNWIND members AS m MATCH (m)-[:SUBJECT_OF]->(x)-[:HAD_PROCEDURE|ON_PATHWAY]-"
    "    (pr:Procedure) WHERE pr.provider_ods IN $providers "
    "    RETURN pr.procedure_date AS date, 'PROCEDURE' AS kind, pr.code AS code, "
    "    pr.code_system AS code_system, pr.display AS display, pr.procedure_id AS record_id, "
    "    CASE WHEN x:RTTPathway THEN x.ppid_issuer_ods + ':' + x.ppid END AS pathway_id, "
    "    pr.provider_ods AS provider_ods "
    "    UNION "
    "    UNWIND members AS m MATCH (m)-[:SUBJECT_OF]->(x)-[:HAS_DIAGNOSIS|ON_PATHWAY]-"
    "    (dg:Diagnosis) WHERE dg.provider_ods IN $providers "
    "    RETURN dg.diagnosis_date AS date, 'DIAGNOSIS' AS kind, dg.code AS code, "
    "    dg.code_system AS code_system, dg.display AS display, dg.diagnosis_id AS record_id, "
    "    CASE WHEN x:RTTPathway THEN x.ppid_issuer_ods + ':' + x.ppid END AS pathway_id, "
    "    dg.provider_ods AS provider_ods "
    "  } "
    "  WITH * ORDER BY date, kind, record_id "
    "  RETURN collect({date: date, kind: kind, code: code, code_system: code_system, "
    "  display: display, record_id: record_id, pathway_id: pathway_id, "
    "  provider_ods: provider_ods}) AS timeline } "
    "RETURN per {.pseudo_id, .year_of_birth, .sex_code, .area_code} AS person, "
    "pathways, timeline"
)
