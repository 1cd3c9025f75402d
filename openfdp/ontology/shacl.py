"""SHACL shapes for instance data, generated from the ontology, plus checks on shape files.

Instance data in RDF: a node is an IRI with ``rdf:type ofdp:<Class>``, its properties are
``ofdp:<property>`` literals typed with the property's xsd datatype (one literal per list
element), and a relationship is an ``ofdp:<REL_TYPE>`` triple to the end node.

Generated shapes (``shapes/generated.ttl``): one closed node shape per leaf class with a
property shape per property (datatype, required -> ``sh:minCount 1``, single-valued ->
``sh:maxCount 1``, ``ofdp:pattern`` -> ``sh:pattern``, code list -> ``sh:in``) and per
outgoing relationship (``sh:class`` of the allowed end classes). Closed shapes reject any
property the ontology does not define, e.g. a raw NHS number. Hand-written rules live next
to it (``shapes/rules.ttl``).
"""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import Graph, URIRef
from rdflib.namespace import SH

from openfdp.ontology.errors import OntologyError
from openfdp.ontology.model import NodeType, Ontology, PropertySpec
from openfdp.ontology.vocab import DATATYPE_XSD, OFDP, curie

HEADER = """# SHACL shapes generated from the ontology by
# `openfdp ontology export --format shacl --out ontology/shapes/generated.ttl`. Do not edit:
# change ontology/source/*.ttl (or add hand-written rules to rules.ttl) and regenerate.

@prefix ofdp: <https://openfdp.org/ontology#> .
@prefix ofdpsh: <https://openfdp.org/shapes#> .
@prefix rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
"""


def _lit(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _property_shape(onto: Ontology, prop: PropertySpec) -> str:
    base = prop.datatype.removesuffix("_list")
    lines = [f"sh:path ofdp:{prop.name}", f"sh:datatype {curie(DATATYPE_XSD[base])}"]
    if prop.required:
        lines.append("sh:minCount 1")
    if not prop.datatype.endswith("_list"):
        lines.append("sh:maxCount 1")
    if prop.pattern:
        lines.append(f"sh:pattern {_lit(prop.pattern)}")
    if prop.code_list and onto.concept_schemes[prop.code_list]:
        codes = " ".join(_lit(c) for c in onto.concept_schemes[prop.code_list])
        lines.append(f"sh:in ( {codes} )")
    return "    sh:property [ " + " ; ".join(lines) + " ]"


def _rel_shapes(onto: Ontology, nt: NodeType) -> list[str]:
    out = []
    for name in sorted(onto.rel_types):
        ends = sorted({e for s, e in onto.rel_types[name].pairs if s in nt.labels})
        if not ends:
            continue
        if len(ends) == 1:
            target = f"sh:class ofdp:{ends[0]}"
        else:
            target = "sh:or ( " + " ".join(f"[ sh:class ofdp:{e} ]" for e in ends) + " )"
        out.append(f"    sh:property [ sh:path ofdp:{name} ; {target} ]")
    return out


def _leaf_types(onto: Ontology) -> list[NodeType]:
    parents = {s for nt in onto.node_types.values() for s in nt.superclasses}
    return [
        onto.node_types[n]
        for n in sorted(onto.node_types)
        if not onto.node_types[n].abstract and n not in parents
    ]


def to_shacl(onto: Ontology) -> str:
    blocks = [HEADER]
    for nt in _leaf_types(onto):
        body = [_property_shape(onto, p) for p in nt.properties.values()] + _rel_shapes(onto, nt)
        blocks.append(
            f"ofdpsh:{nt.name}Shape a sh:NodeShape ;\n"
            f"    sh:targetClass ofdp:{nt.name} ;\n"
            f"    sh:closed true ;\n"
            f"    sh:ignoredProperties ( rdf:type ) ;\n" + " ;\n".join(body) + " .\n"
        )
    schemes = " ".join(_lit(s) for s in sorted(onto.concept_schemes))
    blocks.append(
        "ofdpsh:CodedConceptSystemShape a sh:NodeShape ;\n"
        "    sh:targetClass ofdp:CodedConcept ;\n"
        f"    sh:property [ sh:path ofdp:system ; sh:in ( {schemes} ) ] .\n"
    )
    return "\n".join(blocks)


def check_shapes(onto: Ontology, shapes: Mapping[str, str]) -> list[str]:
    """Problems in shape files (file name -> Turtle): syntax, or terms the ontology lacks."""
    known = {f"{OFDP}{n}" for n in onto.node_types} | {f"{OFDP}{n}" for n in onto.rel_types}
    known |= {f"{OFDP}{p}" for nt in onto.node_types.values() for p in nt.properties}
    known |= {f"{OFDP}{p}" for rt in onto.rel_types.values() for p in rt.properties}
    problems: list[str] = []
    for name, text in sorted(shapes.items()):
        g = Graph()
        try:
            g.parse(data=text, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for bad syntax
            problems.append(f"{name}: not valid Turtle: {' '.join(str(exc).split())[:200]}")
            continue
        for pred in (SH.targetClass, SH["class"], SH.path):
            for term in g.objects(None, pred):
                if (
                    isinstance(term, URIRef)
                    and str(term).startswith(str(OFDP))
                    and str(term) not in known
                ):
                    problems.append(f"{name}: {curie(term)} ({curie(pred)}) is not in the ontology")
    return problems


def require_shapes_ok(onto: Ontology, shapes: Mapping[str, str]) -> None:
    problems = check_shapes(onto, shapes)
    if problems:
        raise OntologyError("; ".join(problems))
