"""The compiled ontology: frozen, immutable dataclasses (built only by its compiler).

Mappings are read-only views (:class:`types.MappingProxyType`), tuples are used for every
sequence, so a compiled :class:`Ontology` can be shared freely between threads and callers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from openfdp.ontology.errors import OntologyError

# Datatypes a property may have (the value of PropertySpec.datatype).
DATATYPES = ("string", "integer", "float", "boolean", "date", "datetime", "time", "string_list")


K = TypeVar("K")
V = TypeVar("V")


def frozen_map(items: Mapping[K, V] | None = None) -> Mapping[K, V]:
    return MappingProxyType(dict(items or {}))


@dataclass(frozen=True, slots=True)
class PropertySpec:
    """A property of a node type (or of a relationship type).

    ``required`` and ``is_key`` are as seen from the node type that holds this spec.
    """

    name: str
    datatype: str
    required: bool = False
    is_key: bool = False
    description: str = ""
    code_list: str | None = None  # concept scheme name whose codes are the allowed values
    pattern: str | None = None  # regular expression every value must match
    indexed: bool = False  # a range index is kept on it
    dd_name: str | None = None  # NHS Data Dictionary element name


@dataclass(frozen=True, slots=True)
class NodeType:
    """An ontology class as a Neo4j node type.

    ``labels`` is the class's own name followed by its superclass names (nearest first).
    ``properties`` include inherited ones. Abstract classes never get nodes of their own.
    """

    name: str
    labels: tuple[str, ...]
    key: tuple[str, ...]
    properties: Mapping[str, PropertySpec]
    abstract: bool = False
    description: str = ""
    label_text: str = ""  # rdfs:label
    module: str = ""  # the source file stem that declares it
    iri: str = ""
    exact_match: tuple[str, ...] = ()
    close_match: tuple[str, ...] = ()
    dd_name: str | None = None

    @property
    def superclasses(self) -> tuple[str, ...]:
        return self.labels[1:]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties.values() if p.required)


@dataclass(frozen=True, slots=True)
class RelType:
    """A relationship type with the (start class, end class) pairs it may join, start -> end."""

    name: str
    pairs: tuple[tuple[str, str], ...]
    properties: Mapping[str, PropertySpec] = field(default_factory=frozen_map)
    description: str = ""
    module: str = ""
    iri: str = ""

    @property
    def start_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for s, _ in self.pairs))

    @property
    def end_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e for _, e in self.pairs))


@dataclass(frozen=True, slots=True)
class ConceptScheme:
    """A SKOS concept scheme (code list): name (e.g. ``RTT_STATUS``) and code -> label."""

    name: str
    label: str
    codes: Mapping[str, str]
    description: str = ""
    definitions: Mapping[str, str] = field(default_factory=frozen_map)
    module: str = ""


@dataclass(frozen=True, slots=True)
class Ontology:
    """The compiled ontology. ``version`` is a hash of its content (stable across formatting)."""

    version: str
    node_types: Mapping[str, NodeType]
    rel_types: Mapping[str, RelType]
    schemes: Mapping[str, ConceptScheme]
    iri: str = ""
    version_info: str = ""

    @property
    def concept_schemes(self) -> Mapping[str, Mapping[str, str]]:
        """Scheme name -> code -> label, e.g. ``concept_schemes["RTT_STATUS"]["30"]``."""
        return MappingProxyType({name: s.codes for name, s in self.schemes.items()})

    def code_list(self, name: str) -> Mapping[str, str]:
        """Codes and labels of one concept scheme; OntologyError for an unknown scheme."""
        scheme = self.schemes.get(name)
        if scheme is None:
            known = ", ".join(sorted(self.schemes))
            raise OntologyError(f"unknown code list {name!r} (known: {known})")
        return scheme.codes

    def node_type(self, name: str) -> NodeType:
        """One node type by class name; OntologyError (with close names) when unknown."""
        nt = self.node_types.get(name)
        if nt is None:
            folded = {n.lower(): n for n in self.node_types}
            hint = folded.get(name.lower())
            extra = f"; did you mean {hint}?" if hint else ""
            raise OntologyError(f"unknown class {name!r}{extra}")
        return nt

    @property
    def concrete_types(self) -> tuple[NodeType, ...]:
        return tuple(nt for nt in self.node_types.values() if not nt.abstract)

    def subtypes(self, name: str) -> tuple[str, ...]:
        """Class names that carry label ``name`` (the class itself and all its subclasses)."""
        return tuple(n for n, nt in self.node_types.items() if name in nt.labels)
