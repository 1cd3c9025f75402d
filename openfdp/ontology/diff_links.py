"""Comparing the relationship types and the code lists of two ontologies: relationship types
added or removed, start/end class pairs no longer or newly allowed (a field that returned one
type and now returns a union breaks GraphQL clients), edge properties; code lists added or
removed, and codes added, removed or relabelled.
"""

from __future__ import annotations

from openfdp.ontology.diff_model import ADDITIVE, BREAKING, NONE, Change
from openfdp.ontology.model import Ontology, RelType


def _targets(rel: RelType | None, onto: Ontology, cls: str, end: int) -> set[str]:
    if rel is None or cls not in onto.node_types:
        return set()
    labels = onto.node_types[cls].labels
    return {p[1 - end] for p in rel.pairs if p[end] in labels}


def relationship_changes(old: Ontology, new: Ontology) -> list[Change]:
    """Every change to the relationship types, by name."""
    out: list[Change] = []
    for name in sorted(set(old.rel_types) - set(new.rel_types)):
        out.append(
            Change(
                "removed",
                f"relationship {name}",
                f"relationship type {name} removed",
                BREAKING,
                BREAKING,
                f"delete or retype existing :{name} relationships",
            )
        )
    for name in sorted(set(new.rel_types) - set(old.rel_types)):
        out.append(
            Change(
                "added",
                f"relationship {name}",
                f"relationship type {name} added",
                ADDITIVE,
                ADDITIVE,
            )
        )
    for name in sorted(set(old.rel_types) & set(new.rel_types)):
        a, b = old.rel_types[name], new.rel_types[name]
        for s, e in sorted(set(a.pairs) - set(b.pairs)):
            out.append(
                Change(
                    "removed",
                    f"relationship {name}",
                    f"({s})-[:{name}]->({e}) no longer allowed",
                    BREAKING,
                    BREAKING,
                    f"delete existing ({s})-[:{name}]->({e}) relationships",
                )
            )
        for s, e in sorted(set(b.pairs) - set(a.pairs)):
            # a field that returned one type and now returns a union breaks GraphQL clients
            widened = any(
                len(_targets(a, old, c, end)) == 1 and len(_targets(b, new, c, end)) > 1
                for c, end in ((s, 0), (e, 1))
            )
            out.append(
                Change(
                    "added",
                    f"relationship {name}",
                    f"({s})-[:{name}]->({e}) now allowed",
                    ADDITIVE,
                    BREAKING if widened else ADDITIVE,
                    "a relationship field now returns a union" if widened else "",
                )
            )
        for p in sorted(set(a.properties) - set(b.properties)):
            out.append(
                Change(
                    "removed", f"relationship {name}", f"edge property {p} removed", BREAKING, NONE
                )
            )
        for p in sorted(set(b.properties) - set(a.properties)):
            out.append(
                Change("added", f"relationship {name}", f"edge property {p} added", ADDITIVE, NONE)
            )
        if a.description != b.description:
            out.append(Change("changed", f"relationship {name}", "description changed", NONE, NONE))
    return out


def code_list_changes(old: Ontology, new: Ontology) -> list[Change]:
    """Every change to the code lists and their codes, by scheme name."""
    out: list[Change] = []
    for name in sorted(set(old.schemes) - set(new.schemes)):
        out.append(
            Change(
                "removed",
                f"code list {name}",
                f"code list {name} removed",
                BREAKING,
                BREAKING if old.schemes[name].codes else NONE,
                f"recode or delete CodedConcept nodes of system {name}",
            )
        )
    for name in sorted(set(new.schemes) - set(old.schemes)):
        out.append(
            Change("added", f"code list {name}", f"code list {name} added", ADDITIVE, ADDITIVE)
        )
    for name in sorted(set(old.schemes) & set(new.schemes)):
        a, b = old.schemes[name].codes, new.schemes[name].codes
        for code in sorted(set(a) - set(b)):
            out.append(
                Change(
                    "removed",
                    f"code {name} {code}",
                    f"code {code} ({a[code]}) removed",
                    BREAKING,
                    BREAKING,
                    f"recode existing values {code} of {name}",
                )
            )
        for code in sorted(set(b) - set(a)):
            out.append(
                Change(
                    "added",
                    f"code {name} {code}",
                    f"code {code} ({b[code]}) added",
                    ADDITIVE,
                    ADDITIVE,
                )
            )
        for code in sorted(c for c in set(a) & set(b) if a[c] != b[c]):
            out.append(
                Change(
                    "changed",
                    f"code {name} {code}",
                    f"label {a[code]!r} -> {b[code]!r}",
                    ADDITIVE,
                    NONE,
                )
            )
    return out
