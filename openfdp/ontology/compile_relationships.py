"""Compiling the relationship types: an object property's ``rdfs:domain`` and ``rdfs:range``
give the start and end classes (``owl:Thing`` as domain means any concrete class except the
ends), narrowed per start class by ``owl:allValuesFrom``/``someValuesFrom`` restrictions,
with its ``ofdp:edgeProperty`` properties, as a :class:`~openfdp.ontology.model.RelType`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rdflib import BNode, URIRef
from rdflib.namespace import OWL, RDFS

from openfdp.ontology.model import NodeType, PropertySpec, RelType, frozen_map
from openfdp.ontology.sources import Sources
from openfdp.ontology.vocab import EDGE_PROPERTY, curie, local_name


def _restrictions(src: Sources, rel: URIRef) -> dict[URIRef, list[URIRef]]:
    """start class -> end classes, from owl:allValuesFrom/someValuesFrom restrictions on ``rel``."""
    out: dict[URIRef, list[URIRef]] = {}
    for restriction in src.graph.subjects(OWL.onProperty, rel):
        if not isinstance(restriction, BNode):
            continue
        starts = [
            c for c in src.graph.subjects(RDFS.subClassOf, restriction) if isinstance(c, URIRef)
        ]
        end = src.graph.value(restriction, OWL.allValuesFrom) or src.graph.value(
            restriction, OWL.someValuesFrom
        )
        if not isinstance(end, URIRef) or src.kinds.get(end) != "class":
            raise src.error(
                rel,
                "a restriction on it needs owl:allValuesFrom (or someValuesFrom) a declared class",
            )
        for start in starts:
            out.setdefault(start, []).append(end)
    return out


def rel_type(
    src: Sources,
    rel: URIRef,
    ancestors: Mapping[URIRef, list[URIRef]],
    node_types: Mapping[str, NodeType],
    props: Mapping[URIRef, PropertySpec],
) -> RelType:
    """One relationship type with its allowed (start, end) label pairs."""
    name = local_name(rel)
    domain = src.class_set(rel, RDFS.domain, "rdfs:domain")
    rng = src.class_set(rel, RDFS.range, "rdfs:range")
    if not domain or not rng:
        raise src.error(rel, "an object property needs an rdfs:domain and an rdfs:range")
    if OWL.Thing in rng:
        raise src.error(rel, "rdfs:range owl:Thing is not supported: name the end classes")
    if OWL.Thing in domain:  # any concrete class except the end classes
        domain = [
            URIRef(nt.iri)
            for nt in node_types.values()
            if not nt.abstract and URIRef(nt.iri) not in rng
        ]

    def within(cls: URIRef, allowed: list[URIRef]) -> bool:
        return cls in allowed or any(a in allowed for a in ancestors.get(cls, []))

    restricted = _restrictions(src, rel)
    pairs: set[tuple[str, str]] = set()
    for start, ends in restricted.items():
        if not within(start, domain):
            raise src.error(rel, f"restriction on {local_name(start)} is outside its rdfs:domain")
        for end in ends:
            if not within(end, rng):
                raise src.error(rel, f"restriction end {local_name(end)} is outside its rdfs:range")
            pairs.add((local_name(start), local_name(end)))
    for start in domain:
        if start not in restricted:
            pairs.update((local_name(start), local_name(end)) for end in rng)
    edge_props: dict[str, PropertySpec] = {}
    for p in src.graph.objects(rel, EDGE_PROPERTY):
        if not isinstance(p, URIRef) or p not in props:
            raise src.error(
                rel, f"ofdp:edgeProperty {curie(p)} is not a declared datatype property"
            )
        edge_props[props[p].name] = props[p]
    return RelType(
        name=name,
        pairs=tuple(sorted(pairs)),
        properties=frozen_map(dict(sorted(edge_props.items()))),
        description=src.literal(rel, RDFS.comment) or "",
        module=Path(src.file_of(rel)).stem,
        iri=str(rel),
    )
