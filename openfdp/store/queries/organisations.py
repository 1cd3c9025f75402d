"""Cypher for organisations and their place in the NHS hierarchy (public ODS data)."""

from __future__ import annotations

from typing import LiteralString

_REF = "{.ods_code, .name, kinds: [l IN labels(x) WHERE l <> 'Organisation']}"

ORGANISATION: LiteralString = (
    "MATCH (o:Organisation {ods_code: $ods_code}) WITH o LIMIT 1 "
    "RETURN o {.ods_code, .name, kinds: [l IN labels(o) WHERE l <> 'Organisation'], "
    "trust: COLLECT { MATCH (o)-[:PART_OF]->(x:NHSTrust) RETURN x " + _REF + " }[0], "
    "icb: COLLECT { MATCH (o)-[:IN_ICB_GEOGRAPHY|PART_OF|IN|MEMBER_OF*1..3]->(x:ICB) "
    "  RETURN x " + _REF + " LIMIT 1 }[0], "
    "sub_icb_location: COLLECT { MATCH (o)-[:IN|MEMBER_OF*1..2]->(x:SubICBLocation) "
    "  RETURN x " + _REF + " LIMIT 1 }[0], "
    "pcn: COLLECT { MATCH (o)-[:MEMBER_OF]->(x:PCN) RETURN x " + _REF + " LIMIT 1 }[0], "
    "sites: COLLECT { MATCH (x:Site)-[:PART_OF]->(o) RETURN x " + _REF + " ORDER BY x.ods_code }, "
    "trusts: COLLECT { MATCH (x:NHSTrust)-[:IN_ICB_GEOGRAPHY]->(o) "
    "  RETURN x " + _REF + " ORDER BY x.ods_code }, "
    "sub_icb_locations: COLLECT { MATCH (x:SubICBLocation)-[:PART_OF]->(o) "
    "  RETURN x " + _REF + " ORDER BY x.ods_code }, "
    "pcns: COLLECT { MATCH (x:PCN)-[:IN|PART_OF*1..2]->(o) "
    "  RETURN x " + _REF + " ORDER BY x.ods_code }, "
    "gp_practices: COLLECT { MATCH (x:GPPractice)-[:MEMBER_OF|IN|PART_OF*1..3]->(o) "
    "  WITH DISTINCT x ORDER BY x.ods_code RETURN x " + _REF + " }"
    "} AS organisation"
)
