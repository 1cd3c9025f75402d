"""The National Data Opt-out as Cypher predicates, written once for every query.

An opt-out follows the *person*, not one record: a pseudonymised person counts as opted
out when they, or any person linked to them (same ``cluster_id`` in the same
pseudonymisation domain, docs/linkage.md), carry ``ndoo_opt_out = true``. So a record at
another trust that linkage tied to an opted-out person is excluded too, even when it came
with another identifier (National Data Opt-out operational policy guidance: the opt-out
is the patient's choice and applies to all of their confidential patient information
used for purposes beyond individual care).

``$exclude_opted_out`` comes from the caller's access scope (every purpose except direct
care, graph_service/api/access.py).
"""

from __future__ import annotations

from typing import LiteralString


def person_opted_out(person: LiteralString) -> LiteralString:
    """True when the person bound to ``person`` or anyone in their linkage cluster opted
    out."""
    return (
        "(coalesce(" + person + ".ndoo_opt_out, false) OR EXISTS { "
        "MATCH (openfdp_m:PseudonymisedPerson {pseudonymisation_domain: "
        + person
        + ".pseudonymisation_domain, cluster_id: "
        + person
        + ".cluster_id}) WHERE openfdp_m.ndoo_opt_out })"
    )


def record_not_opted_out(record: LiteralString) -> LiteralString:
    """The record bound to ``record`` is not the record of an opted-out person (see
    :func:`person_opted_out`), or opted-out persons are not excluded for this caller."""
    return (
        "NOT ($exclude_opted_out AND EXISTS { "
        "MATCH (openfdp_s:PseudonymisedPerson)-[:SUBJECT_OF]->(" + record + ") "
        "WHERE " + person_opted_out("openfdp_s") + " })"
    )


def person_not_opted_out(person: LiteralString) -> LiteralString:
    """The person bound to ``person`` counts for this caller (see :func:`person_opted_out`)."""
    return "NOT ($exclude_opted_out AND " + person_opted_out(person) + ")"
