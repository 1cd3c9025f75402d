"""Graph instance data as RDF, in the form the SHACL shapes check (see :mod:`.shacl`).

A node becomes an IRI ``https://openfdp.org/data/node/<n>`` typed with its class (the class
whose labels are exactly the node's labels), each property an ``ofdp:<name>`` literal typed
with the property's xsd datatype (one literal per list element), each relationship an
``ofdp:<TYPE>`` triple. A property or label the ontology does not define is exported as it
is, so the closed shapes report it. Relationship properties have no place in this form and
are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Protocol

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

from openfdp.ontology.model import Ontology, PropertySpec
from openfdp.ontology.vocab import DATATYPE_XSD, OFDP

DATA = Namespace("https://openfdp.org/data/node/")
UNKNOWN = OFDP["UnknownClass"]


class NodeLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def labels(self) -> tuple[str, ...]: ...
    @property
    def props(self) -> Mapping[str, Any]: ...


class RelLike(Protocol):
    @property
    def start(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def end(self) -> str: ...


def class_of(onto: Ontology, labels: Iterable[str]) -> str | None:
    """The class whose labels (itself and its superclasses) are exactly `labels`."""
    wanted = set(labels)
    for name, nt in onto.node_types.items():
        if set(nt.labels) == wanted:
            return name
    return None


def _native(value: Any) -> Any:
    to_native = getattr(value, "to_native", None)  # neo4j.time values
    return to_native() if callable(to_native) else value


def literal(value: Any, spec: PropertySpec | None) -> Literal:
    value = _native(value)
    if spec is None:
        return Literal(value)
    xsd = DATATYPE_XSD[spec.datatype.removesuffix("_list")]
    if xsd == XSD.string:  # RDF 1.1: a simple literal is an xsd:string (and sh:in lists them so)
        return Literal(str(value))
    if xsd == XSD.decimal and isinstance(value, float | int) and not isinstance(value, bool):
        return Literal(format(Decimal(repr(value)), "f"), datatype=xsd)
    if isinstance(value, datetime | date | time | bool | int | str):
        return Literal(value, datatype=xsd)
    return Literal(str(value), datatype=xsd)


def node_iri(node_id: str) -> URIRef:
    return DATA[node_id.replace(":", "-")]


def to_rdf(onto: Ontology, nodes: Iterable[NodeLike], rels: Iterable[RelLike]) -> Graph:
    g = Graph()
    g.bind("ofdp", OFDP)
    g.bind("node", DATA)
    for node in nodes:
        subject = node_iri(node.id)
        name = class_of(onto, node.labels)
        g.add((subject, RDF.type, OFDP[name] if name else UNKNOWN))
        specs = onto.node_types[name].properties if name else {}
        for key, value in node.props.items():
            values = value if isinstance(value, list) else [value]
            for item in values:
                g.add((subject, OFDP[key], literal(item, specs.get(key))))
    for rel in rels:
        g.add((node_iri(rel.start), OFDP[rel.type], node_iri(rel.end)))
    return g
