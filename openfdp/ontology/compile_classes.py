"""Compiling the classes: superclasses nearest first (a subclass cycle is an error naming it),
then for each class its labels (itself and its ancestors), the properties whose
``rdfs:domain`` is in that lineage, its key (the nearest ``owl:hasKey``; a concrete class must
have one) and its required properties, as a :class:`~openfdp.ontology.model.NodeType`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from rdflib import URIRef
from rdflib.namespace import OWL, RDFS, SKOS

from openfdp.ontology.model import NodeType, PropertySpec, frozen_map
from openfdp.ontology.sources import Sources
from openfdp.ontology.vocab import ABSTRACT, DD_NAME, REQUIRED, curie, local_name


def ancestors_of(src: Sources, cls: URIRef, supers: Mapping[URIRef, list[URIRef]]) -> list[URIRef]:
    """Superclasses nearest first; a cycle is an error naming it."""
    out: list[URIRef] = []
    frontier = list(supers.get(cls, []))
    while frontier:
        nxt: list[URIRef] = []
        for s in frontier:
            if s == cls:
                raise src.error(cls, f"subclass cycle: {_cycle(cls, supers)}")
            if s not in out:
                out.append(s)
                nxt.extend(supers.get(s, []))
        frontier = nxt
    return out


def _cycle(start: URIRef, supers: Mapping[URIRef, list[URIRef]]) -> str:
    path = [start]
    seen = {start}
    node = start
    while True:
        nxt = supers.get(node, [])
        if not nxt:
            break
        node = next((n for n in nxt if n == start), nxt[0])
        path.append(node)
        if node in seen:
            break
        seen.add(node)
    return " -> ".join(local_name(p) for p in path)


def node_type(
    src: Sources,
    cls: URIRef,
    ancestors: list[URIRef],
    props: Mapping[URIRef, PropertySpec],
    domains: Mapping[URIRef, list[URIRef]],
) -> NodeType:
    """One class with its lineage, properties, key and required properties."""
    lineage = [cls, *ancestors]
    own: dict[URIRef, PropertySpec] = {}
    for p, spec in props.items():
        if any(c in domains[p] for c in lineage):
            own[p] = spec
    abstract = src.flag(cls, ABSTRACT)
    key_iris: list[URIRef] = []
    for c in lineage:  # the nearest owl:hasKey wins (a subclass may re-key, e.g. Supplier)
        key_node = src.graph.value(c, OWL.hasKey)
        if key_node is not None:
            key_iris = src.rdf_list(key_node, c, "owl:hasKey")
            break
    if not key_iris and not abstract:
        raise src.error(
            cls, "class has no key: add owl:hasKey ( ... ) or mark it ofdp:abstract true"
        )
    for k in key_iris:
        if k not in own:
            raise src.error(
                cls,
                f"key property {curie(k)} is not a property of {local_name(cls)} "
                "(add the class to its rdfs:domain)",
            )
    required = {r for c in lineage for r in src.graph.objects(c, REQUIRED)}
    for r in required:
        if not isinstance(r, URIRef) or r not in own:
            raise src.error(
                cls, f"required property {curie(r)} is not a property of {local_name(cls)}"
            )
    key_names = tuple(local_name(k) for k in key_iris)
    specs = {
        spec.name: replace(
            spec, is_key=spec.name in key_names, required=(p in required or spec.name in key_names)
        )
        for p, spec in own.items()
    }
    ordered = [*key_names, *sorted(n for n in specs if n not in key_names)]
    return NodeType(
        name=local_name(cls),
        labels=tuple(local_name(c) for c in lineage),
        key=key_names,
        properties=frozen_map({n: specs[n] for n in ordered}),
        abstract=abstract,
        description=src.literal(cls, RDFS.comment) or "",
        label_text=src.literal(cls, RDFS.label) or local_name(cls),
        module=Path(src.file_of(cls)).stem,
        iri=str(cls),
        exact_match=tuple(str(m) for m in src.iris(cls, SKOS.exactMatch)),
        close_match=tuple(str(m) for m in src.iris(cls, SKOS.closeMatch)),
        dd_name=src.literal(cls, DD_NAME),
    )
