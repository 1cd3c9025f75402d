"""RDF namespaces and the project's annotation properties (see docs/ontology.md)."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD

OFDP = Namespace("https://openfdp.org/ontology#")
ONTOLOGY_IRI = URIRef("https://openfdp.org/ontology")

ABSTRACT = OFDP.abstract
REQUIRED = OFDP.required
INDEXED = OFDP.indexed
MULTI_VALUED = OFDP.multiValued
CODE_LIST = OFDP.codeList
PATTERN = OFDP.pattern
DD_NAME = OFDP.ddName
EDGE_PROPERTY = OFDP.edgeProperty

#: namespaces of the external terms declared in vocabulary.ttl (SKOS, Dublin Core, PROV-O)
EXTERNAL_VOCABULARIES = (
    "http://www.w3.org/2004/02/skos/core#",
    "http://purl.org/dc/terms/",
    "http://www.w3.org/ns/prov#",
)

# xsd range -> PropertySpec.datatype
XSD_DATATYPES: dict[URIRef, str] = {
    XSD.string: "string",
    XSD.normalizedString: "string",
    XSD.token: "string",
    XSD.anyURI: "string",
    XSD.integer: "integer",
    XSD.int: "integer",
    XSD.long: "integer",
    XSD.short: "integer",
    XSD.nonNegativeInteger: "integer",
    XSD.positiveInteger: "integer",
    XSD.decimal: "float",
    XSD.double: "float",
    XSD.float: "float",
    XSD.boolean: "boolean",
    XSD.date: "date",
    XSD.dateTime: "datetime",
    XSD.dateTimeStamp: "datetime",
    XSD.time: "time",
}

# datatype -> the xsd range used when writing shapes
DATATYPE_XSD: dict[str, URIRef] = {
    "string": XSD.string,
    "integer": XSD.integer,
    "float": XSD.decimal,
    "boolean": XSD.boolean,
    "date": XSD.date,
    "datetime": XSD.dateTime,
    "time": XSD.time,
}

# rdf:type -> kind of declared term
KINDS: dict[URIRef, str] = {
    OWL.Class: "class",
    OWL.DatatypeProperty: "datatype property",
    OWL.ObjectProperty: "object property",
    OWL.AnnotationProperty: "annotation property",
    SKOS.ConceptScheme: "concept scheme",
    SKOS.Concept: "concept",
    OWL.Ontology: "ontology",
}

PREFIXES: dict[str, str] = {
    str(OFDP): "ofdp:",
    str(XSD): "xsd:",
    str(OWL): "owl:",
    str(RDFS): "rdfs:",
    str(RDF): "rdf:",
    str(SKOS): "skos:",
    "http://www.w3.org/ns/shacl#": "sh:",
    "http://hl7.org/fhir/": "fhir:",
    "https://openfdp.org/ref/fdp-cdm#": "fdpcdm:",
}


def curie(iri: object) -> str:
    """A short form of an IRI for messages (``ofdp:Site``, ``xsd:date``)."""
    text = str(iri)
    for ns, prefix in PREFIXES.items():
        if text.startswith(ns):
            return prefix + text[len(ns) :]
    return f"<{text}>"


def local_name(iri: object) -> str:
    text = str(iri)
    for sep in ("#", "/"):
        if sep in text:
            text = text.rsplit(sep, 1)[1]
    return text
