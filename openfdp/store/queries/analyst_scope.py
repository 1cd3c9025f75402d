"""Row-level scope of analyst Cypher: the predicate every node pattern of a record-level label
gets (written into the query by :mod:`openfdp.store.cypher_scope`). ``{v}`` is the node's
variable. Records belong to the analyst's organisations (``$allowed_providers``); with
``$exclude_opted_out`` (true for every purpose but direct care) nothing of a person who opted
out of secondary uses counts (the opt-out predicate: :mod:`openfdp.store.queries.opt_out`).
"""

from __future__ import annotations

from openfdp.store.queries.opt_out import person_not_opted_out, person_opted_out

RESERVED_PARAMS = frozenset({"allowed_providers", "exclude_opted_out"})
_PROVIDER = "{v}.provider_ods IN $allowed_providers"


def _no_opted_out_subject(path: str) -> str:
    """The node is not a record of an opted-out person reached through ``path``, a pattern
    from ``(openfdp_o:PseudonymisedPerson)`` to ``({v})``."""
    return (
        "NOT ($exclude_opted_out AND EXISTS { MATCH "
        + path
        + " WHERE "
        + person_opted_out("openfdp_o")
        + " })"
    )


_SUBJECT = "(openfdp_o:PseudonymisedPerson)-[:SUBJECT_OF]->({v})"
_OF_PATHWAY = "(openfdp_o:PseudonymisedPerson)-[:SUBJECT_OF]->(:RTTPathway)"
_SUBJECT_RECORD = f"{_PROVIDER} AND {_no_opted_out_subject(_SUBJECT)}"
SCOPE_PREDICATES: dict[str, str] = {
    **dict.fromkeys(
        ("Referral", "RTTPathway", "Encounter", "Appointment", "WaitingListEntry"),
        _SUBJECT_RECORD,
    ),
    **dict.fromkeys(
        ("RTTStatusEvent", "RTTPeriod"),
        f"{_PROVIDER} AND "
        + _no_opted_out_subject(_OF_PATHWAY + "-[:HAS_EVENT|HAS_PERIOD]->({v})"),
    ),
    **dict.fromkeys(
        ("Procedure", "Diagnosis"),
        f"{_PROVIDER} AND "
        + _no_opted_out_subject(_OF_PATHWAY + "<-[:ON_PATHWAY]-({v})")
        + " AND "
        + _no_opted_out_subject(
            "(openfdp_o:PseudonymisedPerson)-[:SUBJECT_OF]->(:Encounter)"
            "-[:HAD_PROCEDURE|HAS_DIAGNOSIS]->({v})"
        ),
    ),
    **dict.fromkeys(
        ("Theatre", "TheatreSession", "StaffMember", "Shift", "Ward", "Bed"), _PROVIDER
    ),
    "TheatreBooking": f"{_PROVIDER} AND "
    + _no_opted_out_subject(
        "(openfdp_o:PseudonymisedPerson)-[:SUBJECT_OF]->(:WaitingListEntry)<-[:FOR_ENTRY]-({v})"
    ),
    "PseudonymisedPerson": (
        person_not_opted_out("{v}") + " AND EXISTS { MATCH "
        "({v})-[:SUBJECT_OF]->(openfdp_r) WHERE openfdp_r.provider_ods IN $allowed_providers }"
    ),
    "LinkReviewTask": (
        "NOT EXISTS { MATCH ({v})-[:CANDIDATE]->(openfdp_c:PseudonymisedPerson) WHERE NOT "
        "EXISTS { MATCH (openfdp_c)-[:SUBJECT_OF]->(openfdp_r) "
        "WHERE openfdp_r.provider_ods IN $allowed_providers } }"
    ),
    "SourceRecord": (
        "EXISTS { MATCH (openfdp_x)-[:DERIVED_FROM]->({v}) "
        "WHERE openfdp_x.provider_ods IN $allowed_providers }"
    ),
}
