"""Compiling the code lists and the datatype properties: each ``skos:ConceptScheme`` with its
concepts (code, label, definition) becomes a :class:`~openfdp.ontology.model.ConceptScheme`;
each datatype property with its xsd range, ``ofdp:codeList``, ``ofdp:pattern`` and flags a
:class:`~openfdp.ontology.model.PropertySpec`. A problem raises an
:class:`~openfdp.ontology.errors.OntologyError` naming the file and the term.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from rdflib import URIRef
from rdflib.namespace import RDFS, SKOS

from openfdp.ontology.model import ConceptScheme, PropertySpec, frozen_map
from openfdp.ontology.sources import Sources
from openfdp.ontology.vocab import (
    CODE_LIST,
    DD_NAME,
    INDEXED,
    MULTI_VALUED,
    PATTERN,
    XSD_DATATYPES,
    curie,
    local_name,
)


def schemes_of(src: Sources) -> dict[URIRef, ConceptScheme]:
    """Every concept scheme with its codes, by IRI."""
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


def property_spec(
    src: Sources, prop: URIRef, schemes: Mapping[URIRef, ConceptScheme]
) -> PropertySpec:
    """One datatype property (its key and required flags are set per class later)."""
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
