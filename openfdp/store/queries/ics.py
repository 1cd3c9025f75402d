"""Cypher for the ICS views: waiting-list aggregates (raw counts; the API applies disclosure
control before anything leaves) over the providers the caller may aggregate."""

from __future__ import annotations

from typing import LiteralString

from openfdp.store.queries.opt_out import record_not_opted_out


def over_weeks_days(weeks: int) -> int:
    """The fewest days waited that count as over `weeks` weeks (the aggregate's bound)."""
    return 7 * weeks + 1


# Week boundaries (the RTT return's, one convention everywhere; loaders/rtt.py): a wait of
# exactly N weeks is within N weeks, over N weeks is more than 7N days: within 18 weeks =
# at most 126 days; over 52/65/78/104 weeks = more than 364/455/546/728 days (the breach
# dates are the first such day, and the record filters use the same bounds).
# Counted: open clock periods of pathways still on the list (not removed from a snapshot;
# a period transferred out by 21 is no longer open at its sender). A period with unknown
# clock start is counted in unknown_start only, as the national return does; admitted and
# non_admitted split the known-start total by the pathway's class.
# $icb or $provider chooses the providers; $providers is the caller's aggregate scope;
# $group_by is PROVIDER, TFC or WEEKS_BAND. Returns the providers asked for (`wanted`), so
# the API can refuse a request reaching beyond the caller's scope, and one row per group.
WAITING_LIST: LiteralString = (
    "WITH CASE WHEN $icb IS NULL THEN "
    "  COLLECT { MATCH (t:NHSTrust {ods_code: $provider}) RETURN t.ods_code } "
    "  ELSE COLLECT { MATCH (t:NHSTrust)-[:IN_ICB_GEOGRAPHY]->(:ICB {ods_code: $icb}) "
    "  RETURN t.ods_code } END AS wanted "
    "WITH wanted, [x IN wanted WHERE x IN $providers] AS allowed "
    "CALL (allowed) { "
    "  MATCH (p:RTTPathway)-[:HAS_PERIOD]->(r:RTTPeriod) "
    "  WHERE r.provider_ods IN allowed AND r.status = 'open' AND r.end_date IS NULL "
    "  AND NOT coalesce(r.nullified, false) AND p.removed_from_list_date IS NULL "
    "  AND " + record_not_opted_out("p") + " "
    "  WITH p, r, duration.inDays(r.start_date, $as_of).days AS d "
    "  WITH CASE $group_by WHEN 'PROVIDER' THEN r.provider_ods "
    "    WHEN 'TFC' THEN coalesce(p.treatment_function_code, 'unknown') "
    "    ELSE CASE WHEN d IS NULL THEN 'unknown start' "
    "    WHEN d <= 126 THEN '0-18' WHEN d <= 364 THEN '18-52' "
    "    WHEN d <= 455 THEN '52-65' WHEN d <= 546 THEN '65-78' WHEN d <= 728 THEN '78-104' "
    "    ELSE '104+' END END AS key, d, p.pathway_class AS cls "
    "  WITH key, count(d) AS total, count(*) - count(d) AS unknown_start, "
    "  sum(CASE WHEN d IS NOT NULL AND cls = 'admitted' THEN 1 ELSE 0 END) AS admitted, "
    "  sum(CASE WHEN d IS NOT NULL AND cls = 'non_admitted' THEN 1 ELSE 0 END) "
    "  AS non_admitted, "
    "  sum(CASE WHEN d <= 126 THEN 1 ELSE 0 END) AS within_18, "
    "  sum(CASE WHEN d > 364 THEN 1 ELSE 0 END) AS over_52, "
    "  sum(CASE WHEN d > 455 THEN 1 ELSE 0 END) AS over_65, "
    "  sum(CASE WHEN d > 546 THEN 1 ELSE 0 END) AS over_78, "
    "  sum(CASE WHEN d > 728 THEN 1 ELSE 0 END) AS over_104 "
    "  ORDER BY key "
    "  RETURN collect({key: key, total: total, unknown_start: unknown_start, "
    "  admitted: admitted, non_admitted: non_admitted, within_18: within_18, over_52: over_52, "
    "  over_65: over_65, over_78: over_78, over_104: over_104}) AS groups } "
    "RETURN wanted, groups, "
    "COLLECT { MATCH (t:NHSTrust) WHERE t.ods_code IN allowed "
    "  RETURN t {.ods_code, .name} } AS names"
)
