"""The generated docs (class reference, picture) match the ontology they describe."""

from __future__ import annotations

from pathlib import Path

import pytest

from openfdp.ontology import load_ontology
from openfdp.ontology.picture import layout, to_svg
from openfdp.ontology.reference import to_markdown

pytestmark = pytest.mark.unit

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_class_reference_is_current() -> None:
    committed = (DOCS / "ontology-reference.md").read_text(encoding="utf-8")
    assert committed == to_markdown(load_ontology()), (
        "run `openfdp ontology export --format reference --out docs/ontology-reference.md`"
    )


def test_picture_is_current_and_shows_every_class() -> None:
    onto = load_ontology()
    svg = to_svg(onto)
    assert (DOCS / "ontology.svg").read_text(encoding="utf-8") == svg, (
        "run `openfdp ontology export --format svg --out docs/ontology.svg` (and --format png)"
    )
    for name in onto.node_types:
        assert f">{name}</text>" in svg
    assert (DOCS / "ontology.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_layout_draws_each_relationship_pair_except_provenance() -> None:
    onto = load_ontology()
    lay = layout(onto)
    drawn = {(e.start, e.end) for e in lay.edges if not e.subclass}
    assert ("Site", "NHSTrust") in drawn and ("RTTPathway", "RTTStatusEvent") in drawn
    assert ("Referral", "SourceRecord") not in drawn  # DERIVED_FROM is noted, not drawn
    assert len({(b.x, b.y) for b in lay.boxes.values()}) == len(onto.node_types)  # no overlap
