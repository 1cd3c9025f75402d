"""`openfdp demo generate --as-of`: the census date moves the extracts; same date, same files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openfdp.cli import app

pytestmark = pytest.mark.unit


def _generate(out: Path, *extra: str) -> Path:
    result = CliRunner().invoke(
        app, ["demo", "generate", "--patients", "30", "--seed", "3", "--out", str(out), *extra]
    )
    assert result.exit_code == 0, result.output
    return out


def _latest_activity(out: Path) -> str:
    dates = []
    for path in sorted(out.glob("waiting_list*.csv")):
        with path.open(newline="") as fh:
            dates += [row["activity_date"] for row in csv.DictReader(fh)]
    return max(dates)


def _contents(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}


def test_as_of_moves_the_extracts_and_is_deterministic(tmp_path: Path) -> None:
    census = _generate(tmp_path / "census")
    today_a = _generate(tmp_path / "a", "--as-of", "2026-11-23")
    today_b = _generate(tmp_path / "b", "--as-of", "2026-11-23")
    assert _contents(today_a) == _contents(today_b)
    assert _contents(today_a) != _contents(census)
    assert _latest_activity(census) <= "2026-03-31"
    assert "2026-03-31" < _latest_activity(today_a) <= "2026-11-23"


def test_bad_as_of_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "generate", "--out", str(tmp_path), "--as-of", "23/11/2026"]
    )
    assert result.exit_code == 2
    assert "--as-of" in result.output
