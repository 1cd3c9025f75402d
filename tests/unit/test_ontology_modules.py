"""The ontology opens as OWL 2 modules (e.g. in Protégé): every file is an owl:Ontology with a
version IRI and imports of what it uses, the XML catalog resolves every import to a local
file, and every datatype is in the OWL 2 datatype map or on the documented exception list."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, XSD

from openfdp.ontology import SOURCE_DIR, load_ontology, module_picture
from openfdp.ontology.errors import OntologyError
from openfdp.ontology.modules import (
    CATALOG,
    OWL2_DATATYPES,
    catalog_xml,
    header,
    module_iri,
    parse_files,
    range_datatypes,
    used_files,
    version_iri,
)

pytestmark = pytest.mark.unit
DOCS = Path(__file__).resolve().parents[2] / "docs"
CATALOG_NS = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"


@pytest.fixture(scope="module")
def graphs() -> dict[str, Graph]:
    return parse_files(SOURCE_DIR)


def test_every_file_is_an_ontology_with_a_version_iri(graphs: dict[str, Graph]) -> None:
    """OWL 2 Structural Specification 3.1: an ontology IRI and a version IRI per ontology."""
    releases = set()
    for name, g in graphs.items():
        mod = header(name, g)
        stem = Path(name).stem
        assert mod.iri == module_iri(stem), name
        assert mod.version_iri == version_iri(stem, mod.version_info), name
        releases.add(mod.version_info)
    assert len(releases) == 1, f"all modules are released together: {releases}"
    assert len(graphs) >= 9


def test_imports_are_exactly_the_files_whose_terms_a_file_uses(graphs: dict[str, Graph]) -> None:
    uses = used_files(graphs)
    for name, g in graphs.items():
        expected = {module_iri(Path(f).stem) for f in uses[name]}
        if Path(name).stem == "core":  # the root imports every module
            expected = {module_iri(Path(f).stem) for f in graphs if f != name}
        assert set(header(name, g).imports) == expected, name


def test_a_term_used_without_its_import_is_found(tmp_path: Path) -> None:
    for path in SOURCE_DIR.glob("*.ttl"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    supplier = tmp_path / "supplier.ttl"
    text = supplier.read_text(encoding="utf-8")
    supplier.write_text(
        re.sub(r"owl:imports [^;]*;", "", text, count=1), encoding="utf-8"
    )  # drop the imports
    graphs = parse_files(tmp_path)
    mod = header("supplier.ttl", graphs["supplier.ttl"])
    assert mod.imports == ()
    assert {"core.ttl", "organisation.ttl"} <= used_files(graphs)["supplier.ttl"]


def test_a_file_without_a_header_is_an_error() -> None:
    g = Graph()
    g.add((URIRef("https://openfdp.org/ontology#X"), RDF.type, OWL.Class))
    with pytest.raises(OntologyError, match="0 owl:Ontology headers"):
        header("x.ttl", g)


def test_catalog_is_current_and_resolves_every_import(graphs: dict[str, Graph]) -> None:
    committed = (SOURCE_DIR / CATALOG).read_text(encoding="utf-8")
    assert committed == catalog_xml(SOURCE_DIR), (
        "run `python -m openfdp.ontology.modules > openfdp/ontology/source/catalog-v001.xml`"
    )
    root = ET.fromstring(committed)
    mapping = {e.attrib["name"]: e.attrib["uri"] for e in root.iter(f"{CATALOG_NS}uri")}
    for name, g in graphs.items():
        mod = header(name, g)
        assert mapping[mod.iri] == name and mapping[mod.version_iri] == name
        for imported in mod.imports:
            target = SOURCE_DIR / mapping[imported]  # KeyError: an import the catalog lacks
            assert target.is_file()
            assert header(target.name, graphs[target.name]).iri == imported


def documented_exceptions() -> set[URIRef]:
    """The datatypes listed in docs/ontology.md under 'Datatypes outside the OWL 2 map'."""
    text = (DOCS / "ontology.md").read_text(encoding="utf-8")
    section = text.split("### Datatypes outside the OWL 2 datatype map", 1)[1].split("\n#", 1)[0]
    return {XSD[m] for m in re.findall(r"^\| `xsd:(\w+)` \|", section, flags=re.MULTILINE)}


def test_datatypes_are_in_the_owl2_datatype_map_or_documented(graphs: dict[str, Graph]) -> None:
    """OWL 2 Structural Specification section 4 lists the datatype map; xsd:date and
    xsd:time are not in it, so each use must be a documented exception."""
    exceptions = documented_exceptions()
    assert XSD.date not in OWL2_DATATYPES and XSD.dateTime in OWL2_DATATYPES
    used = range_datatypes(graphs)
    outside = {dt for dt in used if dt not in OWL2_DATATYPES}
    assert outside <= exceptions, f"undocumented datatypes: {outside - exceptions}"
    assert exceptions <= set(used), f"documented but unused: {exceptions - set(used)}"


def test_module_pictures_are_current_and_show_each_class_of_their_module() -> None:
    onto = load_ontology()
    for path in SOURCE_DIR.glob("*.ttl"):
        svg = module_picture.to_svg(onto, SOURCE_DIR, path.stem)
        committed = (DOCS / "ontology" / f"{path.stem}.svg").read_text(encoding="utf-8")
        assert committed == svg, "run `python -m openfdp.ontology.module_picture docs/ontology`"
        ET.fromstring(svg)  # well-formed
        for name, nt in onto.node_types.items():
            shown = f">{name}" in svg
            assert shown == (nt.module == path.stem), (path.stem, name)
        for name, scheme in onto.schemes.items():
            if scheme.module == path.stem:
                assert f">{name}" in svg


def test_architecture_and_request_pictures_are_linked_from_the_docs() -> None:
    for picture, doc in (
        ("architecture.svg", "ontology.md"),
        ("request-sequence.svg", "api.md"),
        ("ontology/pathway.svg", "ontology.md"),
    ):
        ET.parse(DOCS / picture)  # well-formed SVG
        assert f"]({picture})" in (DOCS / doc).read_text(encoding="utf-8"), (picture, doc)
