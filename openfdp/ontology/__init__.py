"""The shared healthcare ontology of openfdp: OWL/SKOS Turtle files and their compiler.

Pure core: imports only the standard library and rdflib.

    >>> from openfdp.ontology import load_ontology
    >>> onto = load_ontology()
    >>> onto.node_types["NHSTrust"].labels
    ('NHSTrust', 'Organisation')
"""

from __future__ import annotations

from openfdp.ontology.compile import SHAPES_DIR, SOURCE_DIR, compile_sources, load_ontology
from openfdp.ontology.errors import OntologyError
from openfdp.ontology.model import ConceptScheme, NodeType, Ontology, PropertySpec, RelType

__all__ = [
    "SHAPES_DIR",
    "SOURCE_DIR",
    "ConceptScheme",
    "NodeType",
    "Ontology",
    "OntologyError",
    "PropertySpec",
    "RelType",
    "compile_sources",
    "load_ontology",
]
