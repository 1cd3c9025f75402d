"""Checking mapped rows against the compiled ontology before anything is written.

A failed check returns ``(field, reason)`` for the quarantine file. Reasons name labels,
types and properties (which come from mapper code), never values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graph_service.store.writer import OntologyLike
from loaders.model import MappedRecord

#: properties every record-level node may carry whatever its class (docs/graph-model.md)
COMMON_PROPS = frozenset({"provider_ods"})


def names(spec: Any) -> set[str]:
    """Property names from a mapping (name -> spec), or an iterable of names or specs."""
    if spec is None:
        return set()
    if isinstance(spec, dict) or hasattr(spec, "keys"):
        return {str(k) for k in spec}
    out: set[str] = set()
    for item in spec if isinstance(spec, Iterable) else ():
        out.add(str(getattr(item, "name", item)))
    return out


class OntologyIndex:
    """Allowed keys and properties per label and relationship type (computed once)."""

    def __init__(self, ontology: OntologyLike) -> None:
        self._keys: dict[str, frozenset[str]] = {}
        self._props: dict[str, frozenset[str]] = {}
        for label, nt in ontology.node_types.items():
            self._keys[label] = frozenset(names(getattr(nt, "key", ())))
        for label, nt in ontology.node_types.items():
            allowed = set(self._keys[label]) | names(getattr(nt, "properties", ())) | COMMON_PROPS
            for sup in names(getattr(nt, "labels", ())):
                sup_t = ontology.node_types.get(sup)
                if sup_t is not None:
                    allowed |= names(getattr(sup_t, "properties", ()))
            self._props[label] = frozenset(allowed)
        self._rel_props: dict[str, frozenset[str] | None] = {}
        for rtype, rt in ontology.rel_types.items():
            has = hasattr(rt, "properties")
            self._rel_props[rtype] = frozenset(names(rt.properties)) if has else None

    def _node(self, label: str, key: dict[str, Any], props: Iterable[str]) -> str | None:
        if label not in self._keys:
            return f"label {label} is not in the ontology"
        if set(key) != self._keys[label]:
            return f"{label} is keyed by ({', '.join(sorted(self._keys[label]))})"
        if any(v is None or v == "" for v in key.values()):
            return f"{label} key has an empty value"
        unknown = sorted(set(props) - self._props[label])
        if unknown:
            return f"property {unknown[0]} is not defined for {label}"
        return None

    def check(self, rec: MappedRecord) -> tuple[str | None, str] | None:
        for node in rec.nodes:
            problem = self._node(node.label, node.key, node.props)
            if problem:
                return node.label, problem
        for rel in rec.rels:
            if rel.type not in self._rel_props:
                return rel.type, f"relationship type {rel.type} is not in the ontology"
            for label, key in ((rel.start_label, rel.start_key), (rel.end_label, rel.end_key)):
                problem = self._node(label, key, ())
                if problem:
                    return rel.type, problem
            allowed = self._rel_props[rel.type]
            if allowed is not None and set(rel.props) - allowed:
                bad = sorted(set(rel.props) - allowed)[0]
                return rel.type, f"property {bad} is not defined for {rel.type}"
        return None
