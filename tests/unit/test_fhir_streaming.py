"""Readers stream: memory stays flat however large the input (one entry/message at a time)."""

from __future__ import annotations

import json
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from openfdp.loaders.model import MapContext, Outcome
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import fhir

pytestmark = pytest.mark.unit
CTX = MapContext(Pseudonymiser(b"test-key", "test-domain"))


def peak_bytes(
    reader: Callable[[Sequence[Path], MapContext], Iterator[Outcome]], path: Path
) -> tuple[int, Counter[str]]:
    kinds: Counter[str] = Counter()
    tracemalloc.start()
    try:
        for outcome in reader([path], CTX):
            kinds[type(outcome).__name__] += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, kinds


def test_a_large_bundle_is_read_entry_by_entry(tmp_path: Path) -> None:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {
            "coding": [{"system": "http://loinc.org", "code": "8331-1", "display": "x" * 300}]
        },
        "subject": {"reference": "urn:uuid:p1"},
    }
    path = tmp_path / "big.json"
    with path.open("w") as fh:
        fh.write('{"resourceType": "Bundle", "type": "transaction", "entry": [')
        fh.write(
            json.dumps(
                {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1"}}
            )
        )
        for i in range(12_000):
            fh.write(", " + json.dumps({"resource": {**observation, "id": f"o{i}"}}))
        fh.write("]}")
    size = path.stat().st_size
    assert size > 5_000_000
    peak, kinds = peak_bytes(fhir.outcomes, path)
    assert kinds == {"MappedRecord": 1, "Skipped": 12_000}
    assert peak < size / 10, f"peak {peak} bytes for a {size}-byte bundle"
