"""Cypher for resources: theatre sessions and capacity, staff on shift, bed occupancy.

Scoped by ``$providers`` (the trusts whose operational data the caller may read).
"""

from __future__ import annotations

from typing import LiteralString

_BOOKED = (
    "coalesce(s.booked_minutes, COLLECT { MATCH (b:TheatreBooking)-[:IN_SESSION]->(s) "
    "WHERE NOT coalesce(b.cancelled_on_the_day, false) "
    "RETURN sum(coalesce(b.expected_minutes, 0)) }[0], 0)"
)

# Sessions of one site between $from and $to (inclusive), with the minute totals of the
# whole range; the page is the $limit sessions whose sort key comes after $after (a keyset
# cursor, null for the first page); keys and has_next come back with it.
THEATRE_SESSIONS: LiteralString = (
    "MATCH (s:TheatreSession)-[:IN_THEATRE]->(th:Theatre)-[:AT_SITE]->"
    "(:Site {ods_code: $site}) "
    "WHERE s.provider_ods IN $providers AND s.session_date >= $from AND s.session_date <= $to "
    "WITH s, th, " + _BOOKED + " AS booked, [s.session_date, coalesce(s.am_pm, ''), "
    "coalesce(th.theatre_id, ''), s.session_id] AS k ORDER BY k "
    "WITH collect({s: s, th: th, booked: booked, k: k}) AS rows "
    "WITH rows, [row IN rows WHERE $after IS NULL OR row.k > $after] AS rest "
    "CALL (rest) { UNWIND rest[0..$limit] AS row "
    "  WITH row.s AS s, row.th AS th, row.booked AS booked, row.k AS k "
    "  RETURN collect(s {.session_id, .session_date, .am_pm, .session_type, .status, "
    "  .planned_minutes, .used_minutes, .treatment_function_code, booked_minutes: booked, "
    "  theatre: th {.theatre_id, .name, .theatre_type}, "
    "  bookings: COUNT { MATCH (b:TheatreBooking)-[:IN_SESSION]->(s) "
    "  WHERE NOT coalesce(b.cancelled_on_the_day, false) }}) AS items, collect(k) AS keys } "
    "RETURN size(rows) AS total, items, keys, size(rest) > $limit AS has_next, "
    "reduce(a = 0, row IN rows | a + coalesce(row.s.planned_minutes, 0)) AS planned, "
    "reduce(a = 0, row IN rows | a + row.booked) AS booked, "
    "reduce(a = 0, row IN rows | a + coalesce(row.s.used_minutes, 0)) AS used"
)

# Unbooked elective capacity across the trusts of $icb, by site and treatment function.
UNBOOKED_CAPACITY: LiteralString = (
    "WITH COLLECT { MATCH (t:NHSTrust)-[:IN_ICB_GEOGRAPHY]->(:ICB {ods_code: $icb}) "
    "  RETURN t.ods_code } AS wanted "
    "CALL (wanted) { "
    "  MATCH (s:TheatreSession)-[:IN_THEATRE]->(:Theatre)-[:AT_SITE]->(site:Site) "
    "  WHERE s.provider_ods IN wanted AND s.provider_ods IN $providers "
    "  AND s.session_date >= $from AND s.session_date <= $to "
    "  AND toLower(coalesce(s.status, '')) <> 'cancelled' "
    "  WITH site, s, coalesce(s.planned_minutes, 0) AS planned, " + _BOOKED + " AS booked "
    "  WITH site, coalesce(s.treatment_function_code, 'unknown') AS tfc, count(s) AS sessions, "
    "  sum(planned) AS planned, sum(booked) AS booked, "
    "  sum(CASE WHEN planned > booked THEN planned - booked ELSE 0 END) AS unbooked, "
    "  sum(CASE WHEN booked = 0 THEN 1 ELSE 0 END) AS empty_sessions "
    "  ORDER BY unbooked DESC, site.ods_code, tfc "
    "  RETURN collect({site_ods: site.ods_code, site_name: site.name, "
    "  provider_ods: COLLECT { MATCH (site)-[:PART_OF]->(t:NHSTrust) RETURN t.ods_code }[0], "
    "  treatment_function_code: tfc, sessions: sessions, empty_sessions: empty_sessions, "
    "  planned_minutes: planned, booked_minutes: booked, unbooked_minutes: unbooked}) AS rows } "
    "RETURN wanted, rows"
)

# Staff on shift at a site on a date, by role and shift type ($role optional).
STAFF_AVAILABILITY: LiteralString = (
    "MATCH (sm:StaffMember)-[:WORKS]->(sh:Shift {shift_date: $date})-[:AT_SITE]->"
    "(:Site {ods_code: $site}) "
    "WHERE sh.provider_ods IN $providers AND coalesce(sm.active, true) "
    "MATCH (sm)-[:HAS_ROLE]->(r:Role) WHERE $role IS NULL OR r.role_code = $role "
    "WITH r, sh.shift_type AS shift_type, count(DISTINCT sm) AS staff, "
    "min(sh.start_time) AS earliest_start, max(sh.end_time) AS latest_end "
    "ORDER BY r.role_code, shift_type "
    "RETURN r.role_code AS role_code, r.name AS role_name, shift_type, staff, "
    "earliest_start, latest_end"
)

# Wards of a site with the status of each bed.
BED_OCCUPANCY: LiteralString = (
    "MATCH (w:Ward)-[:AT_SITE]->(:Site {ods_code: $site}) WHERE w.provider_ods IN $providers "
    "WITH w ORDER BY w.ward_code, w.ward_id "
    "RETURN w {.ward_id, .ward_code, .name, "
    "statuses: COLLECT { MATCH (b:Bed)-[:IN_WARD]->(w) RETURN coalesce(b.status, 'unknown') }"
    "} AS ward"
)
