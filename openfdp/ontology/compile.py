"""The compiler: Turtle files -> an immutable :class:`~openfdp.ontology.model.Ontology`.

This module and its parts (:mod:`~openfdp.ontology.compile_properties` for code lists and
datatype properties, :mod:`~openfdp.ontology.compile_classes`,
:mod:`~openfdp.ontology.compile_relationships`), with :mod:`openfdp.ontology.sources`, are
the only code that reads RDF. Every problem is an
:class:`~openfdp.ontology.errors.OntologyError` whose message names the file and the term.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import OWL, RDFS

from openfdp.ontology.compile_classes import ancestors_of, node_type
from openfdp.ontology.compile_properties import property_spec, schemes_of
from openfdp.ontology.compile_relationships import rel_type
from openfdp.ontology.errors import OntologyError
from openfdp.ontology.export_json import content_hash
from openfdp.ontology.model import Ontology, frozen_map
from openfdp.ontology.sources import parse, read_folder
from openfdp.ontology.vocab import ONTOLOGY_IRI, local_name

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
    schemes = schemes_of(src)
    props = {p: property_spec(src, p, schemes) for p in src.of_kind("datatype property")}
    classes = src.of_kind("class")
    supers = {c: [s for s in src.iris(c, RDFS.subClassOf) if s != OWL.Thing] for c in classes}
    ancestors = {c: ancestors_of(src, c, supers) for c in classes}
    domains = {p: src.class_set(p, RDFS.domain, "rdfs:domain") for p in props}
    node_types = {local_name(c): node_type(src, c, ancestors[c], props, domains) for c in classes}
    rels = {
        local_name(r): rel_type(src, r, ancestors, node_types, props)
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


__all__ = [
    "SHAPES_DIR",
    "SOURCE_DIR",
    "OntologyError",
    "compile_sources",
    "load_ontology",
    "ontology_graph",
    "shapes_graph",
]
