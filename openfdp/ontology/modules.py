"""The ontology files as OWL modules: headers, imports, the Protégé catalog, datatypes.

Every file in ``ontology/source`` is an ``owl:Ontology`` (IRI ``https://openfdp.org/ontology/
<file stem>``; ``core.ttl`` is the root, ``https://openfdp.org/ontology``) with an
``owl:versionIRI`` and ``owl:imports`` of the files whose terms it uses. ``catalog-v001.xml``
next to the files maps every ontology and version IRI to its local file, so Protégé (and any
OASIS XML catalog reader) opens the modules without fetching anything.

Regenerate the catalog with
``python -m openfdp.ontology.modules > openfdp/ontology/source/catalog-v001.xml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from openfdp.ontology.errors import OntologyError
from openfdp.ontology.vocab import KINDS, OFDP, ONTOLOGY_IRI

CATALOG = "catalog-v001.xml"
ROOT_MODULE = "core"

#: the OWL 2 datatype map (OWL 2 Structural Specification, section 4), plus rdfs:Literal
OWL2_DATATYPES: frozenset[URIRef] = frozenset(
    {OWL.real, OWL.rational, RDF.PlainLiteral, RDF.XMLLiteral, RDFS.Literal}
    | {
        XSD[name]
        for name in [
            "decimal",
            "integer",
            "nonNegativeInteger",
            "nonPositiveInteger",
            "positiveInteger",
            "negativeInteger",
            "long",
            "int",
            "short",
            "byte",
            "unsignedLong",
            "unsignedInt",
            "unsignedShort",
            "unsignedByte",
            "double",
            "float",
            "string",
            "normalizedString",
            "token",
            "language",
            "Name",
            "NCName",
            "NMTOKEN",
            "boolean",
            "hexBinary",
            "base64Binary",
            "anyURI",
            "dateTime",
            "dateTimeStamp",
        ]
    }
)


@dataclass(frozen=True, slots=True)
class Module:
    """The owl:Ontology header of one source file."""

    file: str
    iri: str
    version_iri: str
    version_info: str
    imports: tuple[str, ...]


def module_iri(stem: str) -> str:
    return str(ONTOLOGY_IRI) if stem == ROOT_MODULE else f"{ONTOLOGY_IRI}/{stem}"


def version_iri(stem: str, release: str) -> str:
    root = f"{ONTOLOGY_IRI}/{release}"
    return root if stem == ROOT_MODULE else f"{root}/{stem}"


def parse_files(source_dir: Path) -> dict[str, Graph]:
    """File name -> its own graph (not merged)."""
    out: dict[str, Graph] = {}
    for path in sorted(source_dir.glob("*.ttl")):
        try:
            out[path.name] = Graph().parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for bad syntax
            raise OntologyError(f"{path.name}: not valid Turtle: {exc}") from exc
    return out


def header(name: str, g: Graph) -> Module:
    """The one owl:Ontology a file declares (an OntologyError when there is none or several)."""
    found = [s for s in g.subjects(RDF.type, OWL.Ontology) if isinstance(s, URIRef)]
    if len(found) != 1:
        raise OntologyError(f"{name}: declares {len(found)} owl:Ontology headers, not one")
    iri = found[0]
    versions = [str(v) for v in g.objects(iri, OWL.versionIRI)]
    infos = [str(v) for v in g.objects(iri, OWL.versionInfo) if isinstance(v, Literal)]
    if len(versions) != 1 or len(infos) != 1:
        raise OntologyError(f"{name}: <{iri}> needs one owl:versionIRI and one owl:versionInfo")
    imports = tuple(sorted(str(o) for o in g.objects(iri, OWL.imports)))
    return Module(name, str(iri), versions[0], infos[0], imports)


def declared_in(graphs: dict[str, Graph]) -> dict[URIRef, str]:
    """Every declared term -> the file that declares it."""
    out: dict[URIRef, str] = {}
    for name, g in graphs.items():
        for rdf_type, kind in KINDS.items():
            if kind == "ontology":
                continue
            for term in g.subjects(RDF.type, rdf_type):
                if isinstance(term, URIRef):
                    out[term] = name
    return out


def used_files(graphs: dict[str, Graph]) -> dict[str, set[str]]:
    """File name -> the other files whose declared terms it uses (what it must import)."""
    owner = declared_in(graphs)
    uses: dict[str, set[str]] = {name: set() for name in graphs}
    for name, g in graphs.items():
        for triple in g:
            for node in triple:
                other = owner.get(node) if isinstance(node, URIRef) else None
                if other is not None and other != name:
                    uses[name].add(other)
    return uses


def range_datatypes(graphs: dict[str, Graph]) -> dict[URIRef, set[str]]:
    """Every datatype named by an rdfs:range (not a class) -> the files that use it."""
    out: dict[URIRef, set[str]] = {}
    for name, g in graphs.items():
        for _, rng in g.subject_objects(RDFS.range):
            if isinstance(rng, URIRef) and not str(rng).startswith(str(OFDP)) and rng != OWL.Thing:
                out.setdefault(rng, set()).add(name)
    return out


def catalog_xml(source_dir: Path) -> str:
    """The Protégé XML catalog: every module IRI and version IRI -> its file name."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        "<!-- Generated by `python -m openfdp.ontology.modules"
        " > openfdp/ontology/source/catalog-v001.xml`:",
        "     maps the ontology and version IRIs of every module to its local file. -->",
        '<catalog prefer="public" xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">',
    ]
    for name, g in parse_files(source_dir).items():
        mod = header(name, g)
        for iri in (mod.iri, mod.version_iri):
            lines.append(f"    <uri name={quoteattr(iri)} uri={quoteattr(name)}/>")
    lines.append("</catalog>")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - regeneration entry point
    from openfdp.ontology.compile import SOURCE_DIR

    print(catalog_xml(SOURCE_DIR), end="")
