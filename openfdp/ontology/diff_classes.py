"""Comparing the classes of two ontologies: classes added or removed (a removed class with
the same key and properties as an added one is reported as a probable rename), and for a class
in both its labels, abstractness, key, description and properties; for a property in both its
datatype, requiredness, code list, pattern, index and description.
"""

from __future__ import annotations

from openfdp.ontology.diff_model import ADDITIVE, BREAKING, NONE, Change
from openfdp.ontology.model import NodeType, Ontology, PropertySpec

# datatype changes whose existing graph values stay valid
GRAPH_WIDENINGS = {("integer", "float")}


def class_changes(old: Ontology, new: Ontology) -> list[Change]:
    """Every change to the classes and their properties, by class name."""
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
