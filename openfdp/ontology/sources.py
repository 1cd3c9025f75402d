"""Reading the Turtle files: parse each one, merge them, and check the declared terms.

Every problem becomes an :class:`OntologyError` naming the file and the term.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from openfdp.ontology.errors import OntologyError
from openfdp.ontology.vocab import EXTERNAL_VOCABULARIES, KINDS, OFDP, curie, local_name

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_folder(source_dir: Path) -> dict[str, str]:
    """File name -> Turtle text of every ``*.ttl`` in a folder."""
    if not source_dir.is_dir():
        raise OntologyError(f"ontology folder {source_dir} does not exist or is not a folder")
    files = sorted(source_dir.glob("*.ttl"))
    if not files:
        raise OntologyError(f"ontology folder {source_dir} holds no .ttl files")
    try:
        return {f.name: f.read_text(encoding="utf-8") for f in files}
    except (OSError, UnicodeDecodeError) as exc:
        raise OntologyError(f"cannot read the ontology files in {source_dir}: {exc}") from exc


@dataclass
class Sources:
    """The merged graph plus where each term was declared and first used."""

    graph: Graph
    kinds: dict[URIRef, str] = field(default_factory=dict)
    declared_in: dict[URIRef, str] = field(default_factory=dict)
    used_in: dict[URIRef, str] = field(default_factory=dict)

    def file_of(self, term: URIRef) -> str:
        return self.declared_in.get(term) or self.used_in.get(term) or "?"

    def error(self, term: URIRef, message: str) -> OntologyError:
        return OntologyError(f"{self.file_of(term)}: {curie(term)}: {message}")

    def of_kind(self, kind: str) -> list[URIRef]:
        return sorted(t for t, k in self.kinds.items() if k == kind)

    def literal(self, subject: URIRef, predicate: URIRef) -> str | None:
        """The first literal value (English preferred), or None."""
        values = [o for o in self.graph.objects(subject, predicate) if isinstance(o, Literal)]
        if not values:
            return None
        values.sort(key=lambda lit: (lit.language not in (None, "en"), str(lit)))
        return str(values[0])

    def flag(self, subject: URIRef, predicate: URIRef) -> bool:
        value = self.graph.value(subject, predicate)
        if value is None:
            return False
        if not isinstance(value, Literal) or not isinstance(value.toPython(), bool):
            raise self.error(subject, f"{curie(predicate)} must be true or false")
        return bool(value.toPython())

    def iris(self, subject: URIRef, predicate: URIRef) -> list[URIRef]:
        return sorted(o for o in self.graph.objects(subject, predicate) if isinstance(o, URIRef))

    def rdf_list(self, node: object, owner: URIRef, what: str) -> list[URIRef]:
        if not isinstance(node, BNode):
            raise self.error(owner, f"{what} must be an RDF list ( ... )")
        items = list(Collection(self.graph, node))
        bad = [i for i in items if not isinstance(i, URIRef)]
        if bad:
            raise self.error(owner, f"{what} may only list named terms")
        return [i for i in items if isinstance(i, URIRef)]

    def class_set(self, subject: URIRef, predicate: URIRef, what: str) -> list[URIRef]:
        """Classes named by rdfs:domain / rdfs:range: one class, or owl:unionOf ( ... )."""
        out: list[URIRef] = []
        for value in self.graph.objects(subject, predicate):
            if isinstance(value, URIRef):
                out.append(value)
                continue
            union = self.graph.value(value, OWL.unionOf)
            if union is None:
                raise self.error(
                    subject, f"{what} must be a class or an owl:unionOf list of classes"
                )
            out.extend(self.rdf_list(union, subject, f"{what} owl:unionOf"))
        for cls in out:
            if cls != OWL.Thing and self.kinds.get(cls) != "class":
                raise self.error(
                    subject, f"{what} names {curie(cls)}, which is not a declared class"
                )
        return sorted(set(out))


def parse(sources: Mapping[str, str]) -> Sources:
    """Parse every file, merge, and check declarations, duplicates and unknown terms."""
    graphs: dict[str, Graph] = {}
    for name, text in sorted(sources.items()):
        g = Graph()
        try:
            g.parse(data=text, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for bad syntax
            detail = " ".join(str(exc).split())
            raise OntologyError(f"{name}: not valid Turtle: {detail[:300]}") from exc
        graphs[name] = g
    merged = Graph()
    for g in graphs.values():
        merged += g
        for prefix, ns in g.namespaces():
            if not prefix.startswith("ns") and prefix:
                merged.bind(prefix, ns, override=False)
    src = Sources(merged)
    _declarations(src, graphs)
    _unknown_terms(src, graphs)
    return src


def _declarations(src: Sources, graphs: Mapping[str, Graph]) -> None:
    found: dict[URIRef, list[tuple[str, str]]] = defaultdict(list)
    for fname, g in graphs.items():
        for rdf_type, kind in KINDS.items():
            for term in g.subjects(RDF.type, rdf_type):
                if isinstance(term, URIRef):
                    found[term].append((kind, fname))
    by_name: dict[tuple[str, str], URIRef] = {}
    for term, decls in sorted(found.items()):
        files = sorted({f for _, f in decls})
        kinds = sorted({k for k, _ in decls})
        if len(files) > 1:
            raise OntologyError(
                f"{files[1]}: {curie(term)}: duplicate declaration (also declared in {files[0]})"
            )
        if len(kinds) > 1:
            raise OntologyError(
                f"{files[0]}: {curie(term)}: declared as both {' and '.join(kinds)}"
            )
        kind = kinds[0]
        if str(term).startswith(EXTERNAL_VOCABULARIES):
            continue  # declared in vocabulary.ttl for OWL 2 DL tools; not part of the model
        src.kinds[term] = kind
        src.declared_in[term] = files[0]
        if kind == "ontology":
            continue
        name = local_name(term)
        if kind in ("class", "datatype property", "object property", "concept scheme"):
            if not NAME_RE.match(name):
                raise src.error(term, f"{name!r} is not a valid name (letters, digits, _)")
            family = "property" if kind == "datatype property" else kind
            other = by_name.get((family, name))
            if other is not None:
                raise src.error(term, f"duplicate name {name!r} (also {curie(other)})")
            by_name[(family, name)] = term


def _terms(g: Graph) -> Iterator[URIRef]:
    for triple in g:
        for node in triple:
            if isinstance(node, URIRef):
                yield node


def _unknown_terms(src: Sources, graphs: Mapping[str, Graph]) -> None:
    for fname, g in graphs.items():
        for term in _terms(g):
            src.used_in.setdefault(term, fname)
            if str(term).startswith(str(OFDP)) and term not in src.kinds:
                raise OntologyError(
                    f"{fname}: {curie(term)}: unknown term (used but never declared)"
                )
    # a class named by rdfs:subClassOf must be declared somewhere
    for cls, sup in src.graph.subject_objects(RDFS.subClassOf):
        if isinstance(sup, URIRef) and sup != OWL.Thing and src.kinds.get(sup) != "class":
            raise OntologyError(
                f"{src.file_of(cls) if isinstance(cls, URIRef) else '?'}: {curie(cls)}: "
                f"unknown superclass {curie(sup)}"
            )
