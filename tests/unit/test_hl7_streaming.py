"""The HL7 v2 reader holds one message at a time, however many a file holds."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from openfdp.loaders.readers import hl7v2
from tests.data_paths import ITK_ADT

pytestmark = pytest.mark.unit
A28 = ITK_ADT / "A28_Example.txt"


def test_a_file_of_many_messages_is_split_message_by_message(tmp_path: Path) -> None:
    message = A28.read_text().strip().replace("\n", "\r")
    path = tmp_path / "many.hl7"
    with path.open("w", newline="") as fh:
        for i in range(30_000):
            fh.write(message.replace("|13403891320453338075|", f"|CTRL{i}|") + "\r\n")
    size = path.stat().st_size
    assert size > 15_000_000
    count = 0
    tracemalloc.start()
    try:
        for number, text in hl7v2.messages(path):
            count += 1
            assert number == count
            assert text.startswith("MSH|") and f"|CTRL{count - 1}|" in text
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 30_000
    assert peak < 1_000_000, f"peak {peak} bytes for a {size}-byte file"
