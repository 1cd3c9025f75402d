"""Checking mapped rows against the compiled ontology before anything is written.

A failed check returns ``(field, reason)`` for the quarantine file. Reasons name labels,
types and properties (which come from mapper code), never values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from typing import Any

from openfdp.loaders.model import MappedRecord, RelRow
from openfdp.ontology.model import Ontology

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


def _as_date(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.date()
    return v if isinstance(v, date) else date.fromisoformat(v)


def _as_datetime(v: Any) -> Any:
    return v if isinstance(v, datetime) else datetime.fromisoformat(v)


def _as_time(v: Any) -> Any:
    return v if isinstance(v, time) else time.fromisoformat(v)


def _checked(kind: type | tuple[type, ...]) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if isinstance(v, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise TypeError
        if not isinstance(v, kind):
            raise TypeError
        return v

    return check


def _str_list(v: Any) -> Any:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise TypeError
    return v


#: ontology datatype -> coercion of a mapped value (ISO text becomes a temporal value)
COERCE: dict[str, Callable[[Any], Any]] = {
    "string": _checked(str),
    "integer": _checked(int),
    "float": _checked((int, float)),
    "boolean": _checked(bool),
    "date": _as_date,
    "datetime": _as_datetime,
    "time": _as_time,
    "string_list": _str_list,
}


class OntologyIndex:
    """Allowed keys and properties per label and relationship type (computed once)."""

    def __init__(self, ontology: Ontology) -> None:
        self._keys: dict[str, frozenset[str]] = {}
        self._props: dict[str, frozenset[str]] = {}
        self._types: dict[str, dict[str, str]] = {}
        for label, nt in ontology.node_types.items():
            self._keys[label] = frozenset(names(getattr(nt, "key", ())))
        for label, nt in ontology.node_types.items():
            allowed = set(self._keys[label]) | names(getattr(nt, "properties", ())) | COMMON_PROPS
            for sup in names(getattr(nt, "labels", ())):
                sup_t = ontology.node_types.get(sup)
                if sup_t is not None:
                    allowed |= names(getattr(sup_t, "properties", ()))
            self._props[label] = frozenset(allowed)
            specs: Any = getattr(nt, "properties", None)
            if hasattr(specs, "items"):
                self._types[label] = {
                    str(k): str(getattr(v, "datatype", "")) for k, v in specs.items()
                }
        self._labels: dict[str, frozenset[str]] = {
            label: frozenset({label, *names(getattr(nt, "labels", ()))})
            for label, nt in ontology.node_types.items()
        }
        self._good: set[tuple[Any, ...]] = set()  # row shapes that passed the shape checks
        self._pairs: dict[str, frozenset[tuple[str, str]]] = {}
        self._rel_props: dict[str, frozenset[str] | None] = {}
        for rtype, rt in ontology.rel_types.items():
            pairs = getattr(rt, "pairs", None)
            if pairs:
                self._pairs[rtype] = frozenset((str(a), str(b)) for a, b in pairs)
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

    def _coerce(self, label: str, props: dict[str, Any]) -> str | None:
        """Bring values to the ontology's datatypes in place; a reason when one does not fit."""
        types = self._types.get(label, {})
        for name, value in props.items():
            fn = COERCE.get(types.get(name, ""))
            if value is None or fn is None:
                continue
            try:
                props[name] = fn(value)
            except (TypeError, ValueError):
                return f"property {name} of {label} must be a {types[name]}"
        return None

    def _rel(self, rel: RelRow) -> str | None:
        if rel.type not in self._rel_props:
            return f"relationship type {rel.type} is not in the ontology"
        for label, key in ((rel.start_label, rel.start_key), (rel.end_label, rel.end_key)):
            problem = self._node(label, key, ())
            if problem:
                return problem
        pairs = self._pairs.get(rel.type)
        if pairs is not None and not any(
            (a, b) in pairs
            for a in self._labels[rel.start_label]
            for b in self._labels[rel.end_label]
        ):
            return f"{rel.type} does not join {rel.start_label} to {rel.end_label} in the ontology"
        allowed = self._rel_props[rel.type]
        if allowed is not None and set(rel.props) - allowed:
            bad = sorted(set(rel.props) - allowed)[0]
            return f"property {bad} is not defined for {rel.type}"
        return None

    def check(self, rec: MappedRecord) -> tuple[str | None, str] | None:
        """The first problem of the record's rows, or None. A row whose shape (label or type,
        key and property names) passed before is only checked for empty key values again
        (and its values coerced): the shape checks do not depend on the values."""
        for node in rec.nodes:
            shape = (node.label, *node.key, None, *node.props)
            if shape in self._good:
                problem = _empty_key(node.label, node.key)
            else:
                problem = self._node(node.label, node.key, node.props)
                if problem is None:
                    self._remember(shape)
            if problem is None:
                problem = self._coerce(node.label, node.props)
            if problem:
                return node.label, problem
        for rel in rec.rels:
            shape = (rel.type, rel.start_label, *rel.start_key, None, rel.end_label,
                     *rel.end_key, None, *rel.props)  # fmt: skip
            if shape in self._good:
                problem = _empty_key(rel.start_label, rel.start_key) or _empty_key(
                    rel.end_label, rel.end_key
                )
            else:
                problem = self._rel(rel)
                if problem is None:
                    self._remember(shape)
            if problem:
                return rel.type, problem
        return None

    def _remember(self, shape: tuple[Any, ...]) -> None:
        if len(self._good) < SHAPE_CACHE:
            self._good.add(shape)


#: at most this many row shapes are remembered as valid (they come from mapper code paths)
SHAPE_CACHE = 100_000


def _empty_key(label: str, key: dict[str, Any]) -> str | None:
    values = key.values()
    if None in values or "" in values:
        return f"{label} key has an empty value"
    return None
