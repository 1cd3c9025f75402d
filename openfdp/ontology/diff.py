"""Comparing two compiled ontologies: every change, classified for the graph and for GraphQL.

A change is ``breaking`` for the graph when data written under the old ontology may no longer
fit the new one (or a query written for it may stop working), and ``breaking`` for GraphQL
when a client of the old schema may fail against the new one. ``additive`` changes are safe;
``none`` means the change does not touch that contract (e.g. a description).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openfdp.ontology.model import NodeType, Ontology, PropertySpec, RelType

BREAKING, ADDITIVE, NONE = "breaking", "additive", "none"

# datatype changes whose existing graph values stay valid
GRAPH_WIDENINGS = {("integer", "float")}


@dataclass(frozen=True, slots=True)
class Change:
    kind: str  # added | removed | changed
    subject: str  # e.g. "class Referral", "property NHSTrust.name", "code RTT_STATUS 21"
    detail: str
    graph: str  # breaking | additive | none
    graphql: str
    hint: str = ""  # how to migrate, for breaking changes

    @property
    def breaking(self) -> bool:
        return BREAKING in (self.graph, self.graphql)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "detail": self.detail,
            "graph": self.graph,
            "graphql": self.graphql,
            "breaking": self.breaking,
            "hint": self.hint,
        }


@dataclass(frozen=True, slots=True)
class OntologyDiff:
    old_version: str
    new_version: str
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaking)

    @property
    def is_breaking(self) -> bool:
        return bool(self.breaking)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "breaking": self.is_breaking,
            "counts": {
                "breaking": len(self.breaking),
                "additive": sum(
                    1 for c in self.changes if not c.breaking and ADDITIVE in (c.graph, c.graphql)
                ),
                "total": len(self.changes),
            },
            "changes": [c.to_dict() for c in self.changes],
        }


def diff(old: Ontology, new: Ontology) -> OntologyDiff:
    changes: list[Change] = []
    changes += _classes(old, new)
    changes += _relationships(old, new)
    changes += _code_lists(old, new)
    return OntologyDiff(old.version, new.version, tuple(changes))


# --- classes ---------------------------------------------------------------------------------


def _classes(old: Ontology, new: Ontology) -> list[Change]:
    out: list[Change] = []
    added = sorted(set(new.node_types) - set(old.node_types))
    for name in sorted(set(old.node_types) - set(new.node_types)):
        nt = old.node_types[name]
        twin = next((a for a in added if _same_shape(nt, new.node_types[a])), None)
        detail = f"class {name} removed" + (f" (renamed to {twin}?)" if twin else "")
        out.append(
            Change(
                "removed",
                f"class {name}",
                detail,
                BREAKING,
                BREAKING,
                f"relabel or delete existing :{name} nodes and drop constraint ofdp_{name}_key",
            )
        )
    for name in added:
        out.append(Change("added", f"class {name}", f"class {name} added", ADDITIVE, ADDITIVE))
    for name in sorted(set(old.node_types) & set(new.node_types)):
        out += _class_changes(old.node_types[name], new.node_types[name])
    return out


def _same_shape(a: NodeType, b: NodeType) -> bool:
    return a.key == b.key and set(a.properties) == set(b.properties)


def _class_changes(a: NodeType, b: NodeType) -> list[Change]:
    subject = f"class {a.name}"
    out: list[Change] = []
    if a.labels != b.labels:
        out.append(
            Change(
                "changed",
                subject,
                f"labels {list(a.labels)} -> {list(b.labels)}",
                BREAKING,
                BREAKING,
                f"add/remove labels on existing :{a.name} nodes",
            )
        )
    if a.abstract != b.abstract:
        state = "abstract" if b.abstract else "concrete"
        out.append(
            Change(
                "changed",
                subject,
                f"now {state}",
                BREAKING,
                BREAKING,
                "move existing nodes to a concrete subclass" if b.abstract else "",
            )
        )
    if a.key != b.key:
        out.append(
            Change(
                "changed",
                subject,
                f"key ({', '.join(a.key)}) -> ({', '.join(b.key)})",
                BREAKING,
                BREAKING,
                f"give every :{a.name} node the new key properties, check they are unique, "
                "then apply (the constraint is re-created)",
            )
        )
    if (a.description, a.label_text, a.exact_match, a.close_match) != (
        b.description,
        b.label_text,
        b.exact_match,
        b.close_match,
    ):
        out.append(Change("changed", subject, "description or mappings changed", NONE, NONE))
    for p in sorted(set(a.properties) - set(b.properties)):
        out.append(
            Change(
                "removed",
                f"property {a.name}.{p}",
                f"property {p} removed",
                BREAKING,
                BREAKING,
                f"remove {p} from existing :{a.name} nodes; tell API clients",
            )
        )
    for p in sorted(set(b.properties) - set(a.properties)):
        spec = b.properties[p]
        if spec.required:
            out.append(
                Change(
                    "added",
                    f"property {a.name}.{p}",
                    f"required property {p} added",
                    BREAKING,
                    ADDITIVE,
                    f"backfill {p} on every existing :{a.name} node",
                )
            )
        else:
            out.append(
                Change(
                    "added",
                    f"property {a.name}.{p}",
                    f"optional property {p} added",
                    ADDITIVE,
                    ADDITIVE,
                )
            )
    for p in sorted(set(a.properties) & set(b.properties)):
        out += _property_changes(a.name, a.properties[p], b.properties[p])
    return out


def _property_changes(cls: str, a: PropertySpec, b: PropertySpec) -> list[Change]:
    subject = f"property {cls}.{a.name}"
    out: list[Change] = []
    if a.datatype != b.datatype:
        graph = ADDITIVE if (a.datatype, b.datatype) in GRAPH_WIDENINGS else BREAKING
        out.append(
            Change(
                "changed",
                subject,
                f"datatype {a.datatype} -> {b.datatype}",
                graph,
                BREAKING,
                "" if graph == ADDITIVE else f"convert existing {a.name} values",
            )
        )
    if a.required != b.required:
        if b.required:
            out.append(
                Change(
                    "changed",
                    subject,
                    "now required",
                    BREAKING,
                    ADDITIVE,
                    f"backfill {a.name} on every existing :{cls} node",
                )
            )
        else:
            out.append(
                Change(
                    "changed",
                    subject,
                    "no longer required",
                    ADDITIVE,
                    BREAKING,
                    "GraphQL clients must accept null",
                )
            )
    if a.code_list != b.code_list:
        graph = ADDITIVE if b.code_list is None else BREAKING
        out.append(
            Change(
                "changed",
                subject,
                f"code list {a.code_list} -> {b.code_list}",
                graph,
                NONE,
                "" if graph == ADDITIVE else f"recode existing {a.name} values",
            )
        )
    if a.pattern != b.pattern:
        graph = ADDITIVE if b.pattern is None else BREAKING
        out.append(
            Change(
                "changed",
                subject,
                f"pattern {a.pattern!r} -> {b.pattern!r}",
                graph,
                NONE,
                "" if graph == ADDITIVE else f"check existing {a.name} values match",
            )
        )
    if a.indexed != b.indexed:
        out.append(
            Change(
                "changed", subject, "index " + ("added" if b.indexed else "removed"), ADDITIVE, NONE
            )
        )
    if (a.description, a.dd_name) != (b.description, b.dd_name):
        out.append(Change("changed", subject, "description changed", NONE, NONE))
    return out


# --- relationships -----------------------------------------------------------------------------


def _targets(rel: RelType | None, onto: Ontology, cls: str, end: int) -> set[str]:
    if rel is None or cls not in onto.node_types:
        return set()
    labels = onto.node_types[cls].labels
    return {p[1 - end] for p in rel.pairs if p[end] in labels}


def _relationships(old: Ontology, new: Ontology) -> list[Change]:
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


# --- code lists --------------------------------------------------------------------------------


def _code_lists(old: Ontology, new: Ontology) -> list[Change]:
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
