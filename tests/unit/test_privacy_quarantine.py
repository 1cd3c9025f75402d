"""Quarantine lines never carry an NHS number, even if a reason were to contain one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openfdp.loaders.quarantine import QuarantineFile, redact

pytestmark = pytest.mark.unit


def test_redact_removes_valid_nhs_numbers_in_any_spacing() -> None:
    assert redact("x 9434765919 y") == "x [redacted] y"
    assert redact("943 476 5919") == "[redacted]"
    assert redact("943-476-5919!") == "[redacted]!"
    assert redact("9434765918") == "9434765918"  # fails Modulus 11: not an NHS number


def test_quarantine_file_is_lazy_json_lines_and_rewritten_per_run(tmp_path: Path) -> None:
    q = QuarantineFile(tmp_path, "csv", "b" * 32)
    q.close()
    assert not q.path.exists()
    with QuarantineFile(tmp_path, "csv", "b" * 32) as q:
        q.add(
            source="csv:opt_outs", position="o.csv:3", field="nhs_number", reason="bad 9434765919"
        )
    (line,) = q.path.read_text().splitlines()
    assert json.loads(line) == {
        "batch_id": "b" * 32, "source": "csv:opt_outs", "position": "o.csv:3",
        "field": "nhs_number", "reason": "bad [redacted]",
    }  # fmt: skip
    QuarantineFile(tmp_path, "csv", "b" * 32).close()
    assert not q.path.exists()  # a rerun starts a fresh file
