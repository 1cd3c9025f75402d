"""The pipeline's accounting without a database (dry run): every record counted once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openfdp.loaders.model import MappedRecord, NodeRow, Outcome, Rejection, Skipped
from openfdp.loaders.pipeline import run_load
from openfdp.loaders.pipeline_inputs import batch_id_for, fingerprint_files
from openfdp.ontology import load_ontology

pytestmark = pytest.mark.unit


def test_dry_run_reconciles_and_quarantines_with_reasons(tmp_path: Path) -> None:
    outcomes: list[Outcome] = [
        MappedRecord("csv:x", "x.csv:2", "1", "h", [NodeRow("Ward", {"ward_id": "S:1"})]),
        MappedRecord(
            "csv:x", "x.csv:3", "2", "h", [NodeRow("Ward", {"ward_id": "S:2"}, {"bogus": 1})]
        ),
        Rejection("csv:x", "x.csv:4", "ward_code", "required field is missing"),
        Skipped("csv:x", "x.csv:5", "not in scope"),
        Skipped("csv:x", "x.csv:6", "not in scope"),
    ]
    sink_calls: list[int] = []
    s = run_load(
        None, source="csv", outcomes=outcomes, ontology=load_ontology(), input_fingerprint="f",
        quarantine_dir=tmp_path, dry_run=True, identity_sink=lambda ev: sink_calls.append(len(ev)),
    )  # fmt: skip
    assert (s.read, s.loaded, s.quarantined, s.skipped) == (5, 1, 2, 2)
    assert s.reconciles and s.skipped_by_reason == {"not in scope": 2}
    assert sink_calls == []  # a dry run hands nothing to linkage
    assert s.quarantine_file is not None
    lines = [json.loads(x) for x in s.quarantine_file.read_text().splitlines()]
    assert [(x["position"], x["field"]) for x in lines] == [
        ("x.csv:3", "Ward"),
        ("x.csv:4", "ward_code"),
    ]
    assert lines[0]["reason"] == "property bogus is not defined for Ward"


def test_batch_identity_depends_on_source_and_input_only(tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    a.write_text("x\n1\n")
    fp = fingerprint_files([a])
    assert fp == fingerprint_files([a])
    assert batch_id_for("csv", fp) == batch_id_for("csv", fp)
    assert batch_id_for("csv", fp) != batch_id_for("fhir", fp)
    a.write_text("x\n2\n")
    assert fingerprint_files([a]) != fp
