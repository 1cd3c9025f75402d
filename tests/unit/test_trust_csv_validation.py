"""Mapped rows are checked against the compiled ontology before any write (pure)."""

from __future__ import annotations

from datetime import date, time

import pytest

from openfdp.loaders.model import MappedRecord, NodeRow, RelRow
from openfdp.loaders.validation import OntologyIndex
from openfdp.ontology import load_ontology

pytestmark = pytest.mark.unit
INDEX = OntologyIndex(load_ontology())


def check(nodes: list[NodeRow], rels: list[RelRow] | None = None) -> tuple[str | None, str] | None:
    return INDEX.check(MappedRecord("t", "t:1", "1", "h", nodes, rels or []))


def test_known_rows_pass_and_iso_text_becomes_temporal_values() -> None:
    shift = NodeRow(
        "Shift", {"shift_id": "R:1"}, {"shift_date": "2026-03-01", "start_time": "08:00"}
    )
    assert check([shift]) is None
    assert shift.props == {"shift_date": date(2026, 3, 1), "start_time": time(8, 0)}


@pytest.mark.parametrize(
    ("node", "reason"),
    [
        (NodeRow("Spaceship", {"id": "1"}), "label Spaceship is not in the ontology"),
        (NodeRow("Ward", {"code": "1"}), "Ward is keyed by (ward_id)"),
        (NodeRow("Ward", {"ward_id": ""}), "Ward key has an empty value"),
        (
            NodeRow("Ward", {"ward_id": "1"}, {"colour": "red"}),
            "property colour is not defined for Ward",
        ),
        (
            NodeRow("Shift", {"shift_id": "1"}, {"shift_date": "31/03/2026"}),
            "property shift_date of Shift must be a date",
        ),
        (
            NodeRow("Bed", {"bed_id": "1"}, {"bed_type": 3}),
            "property bed_type of Bed must be a string",
        ),
        (
            NodeRow("RTTPeriod", {"period_id": "1"}, {"length_days": True}),
            "property length_days of RTTPeriod must be a integer",
        ),
    ],
)
def test_rows_outside_the_ontology_get_a_reason(node: NodeRow, reason: str) -> None:
    assert check([node]) == (node.label, reason)


def test_relationships_must_join_the_classes_the_ontology_allows() -> None:
    ok = RelRow("IN_WARD", "Bed", {"bed_id": "1"}, "Ward", {"ward_id": "1"})
    assert check([], [ok]) is None
    backwards = RelRow("IN_WARD", "Ward", {"ward_id": "1"}, "Bed", {"bed_id": "1"})
    assert check([], [backwards]) == (
        "IN_WARD",
        "IN_WARD does not join Ward to Bed in the ontology",
    )
    unknown = RelRow("LOVES", "Bed", {"bed_id": "1"}, "Ward", {"ward_id": "1"})
    assert check([], [unknown]) == ("LOVES", "relationship type LOVES is not in the ontology")
    # a subclass stands where the ontology names its superclass (NHSTrust is an Organisation)
    buyer = RelRow("BUYER_OF", "NHSTrust", {"ods_code": "RJ1"}, "Contract", {"ocid": "o"})
    assert check([], [buyer]) is None
