"""Which waiting-list files are weekly snapshots (WLMDS: one provider's open list per week)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from openfdp.loaders.errors import LoaderError
from openfdp.loaders.formats_data import EXTRACTS
from openfdp.loaders.snapshots import Snapshot, snapshots

pytestmark = pytest.mark.unit
HEADER = EXTRACTS["waiting_list"].header


def _file(path: Path, rows: list[dict[str, str]]) -> Path:
    lines = [",".join(HEADER)] + [",".join(r.get(c, "") for c in HEADER) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _row(**kw: str) -> dict[str, str]:
    return {"ppid": "P1", "ppid_issuer_ods": "RJ1", "event_seq": "1", "status_code": "10",
            "activity_date": "2026-01-05", "tfc": "110", **kw}  # fmt: skip


def test_a_file_with_snapshot_date_is_its_providers_snapshot(tmp_path: Path) -> None:
    path = _file(tmp_path / "waiting_list-a.csv", [_row(snapshot_date="2026-03-29")] * 2)
    found = snapshots([path], source_ods="RJ1")
    assert found == [Snapshot("RJ1", date(2026, 3, 29), path.name)]


def test_a_file_without_snapshot_date_is_no_snapshot(tmp_path: Path) -> None:
    path = _file(tmp_path / "waiting_list.csv", [_row(provider_ods="RJ1")])
    assert snapshots([path]) == []


def test_one_file_holds_one_snapshot(tmp_path: Path) -> None:
    rows = [_row(provider_ods="RJ1", snapshot_date="2026-03-22"),
            _row(provider_ods="RJ1", snapshot_date="2026-03-29")]  # fmt: skip
    path = _file(tmp_path / "waiting_list.csv", rows)
    with pytest.raises(LoaderError, match="one provider and one snapshot_date"):
        snapshots([path])
