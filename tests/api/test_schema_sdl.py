"""The API's SDL is snapshot-tested: any schema change shows up in review as a diff of
tests/snapshots/api.graphql. Regenerate with OPENFDP_UPDATE_SNAPSHOTS=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openfdp.api.schema import export_sdl

pytestmark = pytest.mark.api

SNAPSHOT = Path(__file__).resolve().parent.parent / "snapshots" / "api.graphql"


def test_sdl_matches_snapshot():
    sdl = export_sdl()
    if os.environ.get("OPENFDP_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(sdl, encoding="utf-8")
    assert SNAPSHOT.exists(), "no snapshot yet: run with OPENFDP_UPDATE_SNAPSHOTS=1"
    assert sdl == SNAPSHOT.read_text(encoding="utf-8"), (
        "the GraphQL schema changed; review the diff and update the snapshot with "
        "OPENFDP_UPDATE_SNAPSHOTS=1 pytest tests/api/test_schema_sdl.py"
    )


def test_root_fields():
    sdl = export_sdl()
    for field in (
        "pathway(",
        "pathways(",
        "person(",
        "waitingList(",
        "longWaiters(",
        "validationCandidates(",
        "theatreSessions(",
        "unbookedCapacity(",
        "staffAvailability(",
        "bedOccupancy(",
        "supplier(",
        "suppliers(",
        "whoProcesses(",
        "organisation(",
    ):
        assert f"  {field}" in sdl
