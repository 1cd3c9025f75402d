"""The compiler: Turtle files -> an immutable :class:`~openfdp.ontology.model.Ontology`.

The one module (with :mod:`openfdp.ontology.sources`) that reads RDF. Every problem is an
:class:`~openfdp.ontology.errors.OntologyError` whose message names the file and the term.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDFS, SKOS

from openfdp.ontology.errors import OntologyError
from openfdp.ontology.export_json import content_hash
from openfdp.ontology.model import (
    ConceptScheme,
    NodeType,
    Ontology,
    PropertySpec,
    RelType,
    frozen_map,
)
from openfdp.ontology.sources import Sources, parse, read_folder
from openfdp.ontology.vocab import (
    ABSTRACT,
    CODE_LIST,
    DD_NAME,
    EDGE_PROPERTY,
    INDEXED,
    MULTI_VALUED,
    ONTOLOGY_IRI,
    PATTERN,
    REQUIRED,
    XSD_DATATYPES,
    curie,
    local_name,
)

SOURCE_DIR = Path(__file__).resolve().parent / "source"
SHAPES_DIR = Path(__file__).resolve().parent / "shapes"


def load_ontology(source_dir: Path | None = None) -> Ontology:
    """Compile the ontology in ``source_dir`` (default: the package's own, compiled once)."""
    if source_dir is None or Path(source_dir).resolve() == SOURCE_DIR:
        return _default_ontology()
    return compile_sources(read_folder(Path(source_dir)))


@lru_cache(maxsize=1)
def _default_ontology() -> Ontology:
    return compile_sources(read_folder(SOURCE_DIR))


def ontology_graph(source_dir: Path | None = None) -> Graph:
    """The merged RDF graph of the ontology files (e.g. as pySHACL's ``ont_graph``)."""
    return parse(read_folder(Path(source_dir) if source_dir else SOURCE_DIR)).graph


def shapes_graph(shapes_dir: Path | None = None) -> Graph:
    """The merged SHACL shapes (generated and hand-written)."""
    g = Graph()
    for name, text in read_folder(Path(shapes_dir) if shapes_dir else SHAPES_DIR).items():
        try:
            g.parse(data=text, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for bad syntax
            raise OntologyError(
                f"{name}: not valid Turtle: {' '.join(str(exc).split())[:300]}"
            ) from exc
    return g


def compile_sources(sources: Mapping[str, str]) -> Ontology:
    """Compile Turtle texts (file name -> text) into an Ontology."""
    src = parse(sources)
    schemes = _schemes(src)
    props = {p: _property(src, p, schemes) for p in src.of_kind("datatype property")}
    classes = src.of_kind("class")
    supers = {c: [s for s in src.iris(c, RDFS.subClassOf) if s != OWL.Thing] for c in classes}
    ancestors = {c: _ancestors(src, c, supers) for c in classes}
    domains = {p: src.class_set(p, RDFS.domain, "rdfs:domain") for p in props}
    node_types = {local_name(c): _node_type(src, c, ancestors[c], props, domains) for c in classes}
    rels = {
        local_name(r): _rel_type(src, r, ancestors, node_types, props)
        for r in src.of_kind("object property")
    }
    onto = Ontology(
        version="",
        node_types=frozen_map(node_types),
        rel_types=frozen_map(rels),
        schemes=frozen_map({s.name: s for s in schemes.values()}),
        iri=str(ONTOLOGY_IRI),
        version_info=src.literal(ONTOLOGY_IRI, OWL.versionInfo) or "",
    )
    return replace(onto, version=content_hash(onto))


# --- concept schemes ---------------------------------------------------------------------


def _schemes(src: Sources) -> dict[URIRef, ConceptScheme]:
    codes: dict[URIRef, dict[str, str]] = {s: {} for s in src.of_kind("concept scheme")}
    defs: dict[URIRef, dict[str, str]] = {s: {} for s in codes}
    for concept in src.of_kind("concept"):
        in_schemes = src.iris(concept, SKOS.inScheme)
        if not in_schemes:
            raise src.error(concept, "concept has no skos:inScheme")
        notation = src.literal(concept, SKOS.notation)
        label = src.literal(concept, SKOS.prefLabel)
        if notation is None or label is None:
            raise src.error(
                concept, "concept needs a skos:notation (its code) and a skos:prefLabel"
            )
        for scheme in in_schemes:
            if scheme not in codes:
                raise src.error(
                    concept, f"skos:inScheme {curie(scheme)} is not a declared concept scheme"
                )
            if notation in codes[scheme]:
                raise src.error(
                    concept, f"duplicate code {notation!r} in scheme {local_name(scheme)}"
                )
            codes[scheme][notation] = label
            definition = src.literal(concept, SKOS.definition)
            if definition:
                defs[scheme][notation] = definition
    return {
        s: ConceptScheme(
            name=local_name(s),
            label=src.literal(s, RDFS.label) or local_name(s),
            codes=frozen_map(codes[s]),
            description=src.literal(s, RDFS.comment) or "",
            definitions=frozen_map(defs[s]),
            module=Path(src.file_of(s)).stem,
        )
        for s in codes
    }


# --- datatype properties -------------------------------------------------------------------


def _property(src: Sources, prop: URIRef, schemes: Mapping[URIRef, ConceptScheme]) -> PropertySpec:
    ranges = list(src.graph.objects(prop, RDFS.range))
    if len(ranges) != 1:
        raise src.error(prop, "a datatype property needs exactly one rdfs:range (an xsd datatype)")
    rng = ranges[0]
    if not isinstance(rng, URIRef) or rng not in XSD_DATATYPES:
        supported = ", ".join(sorted({curie(x) for x in XSD_DATATYPES}))
        raise src.error(prop, f"unsupported range {curie(rng)} (supported: {supported})")
    datatype = XSD_DATATYPES[rng]
    if src.flag(prop, MULTI_VALUED):
        datatype += "_list"
    code_list = None
    scheme_iri = src.graph.value(prop, CODE_LIST)
    if scheme_iri is not None:
        if not isinstance(scheme_iri, URIRef) or scheme_iri not in schemes:
            raise src.error(
                prop, f"ofdp:codeList {curie(scheme_iri)} is not a declared concept scheme"
            )
        code_list = schemes[scheme_iri].name
    pattern = src.literal(prop, PATTERN)
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise src.error(
                prop, f"ofdp:pattern {pattern!r} is not a valid regular expression: {exc}"
            ) from exc
    return PropertySpec(
        name=local_name(prop),
        datatype=datatype,
        description=src.literal(prop, RDFS.comment) or "",
        code_list=code_list,
        pattern=pattern,
        indexed=src.flag(prop, INDEXED),
        dd_name=src.literal(prop, DD_NAME),
    )


# --- classes ---------------------------------------------------------------------------------


def _ancestors(src: Sources, cls: URIRef, supers: Mapping[URIRef, list[URIRef]]) -> list[URIRef]:
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


def _node_type(
    src: Sources,
    cls: URIRef,
    ancestors: list[URIRef],
    props: Mapping[URIRef, PropertySpec],
    domains: Mapping[URIRef, list[URIRef]],
) -> NodeType:
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


# --- relationships -----------------------------------------------------------------------------


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


def _rel_type(
    src: Sources,
    rel: URIRef,
    ancestors: Mapping[URIRef, list[URIRef]],
    node_types: Mapping[str, NodeType],
    props: Mapping[URIRef, PropertySpec],
) -> RelType:
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


__all__ = [
    "SHAPES_DIR",
    "SOURCE_DIR",
    "OntologyError",
    "compile_sources",
    "load_ontology",
    "ontology_graph",
    "shapes_graph",
]
