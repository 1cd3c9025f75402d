"""The hash-chained audit log: appends verify; any change, reordering or deletion is found."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from openfdp.store.audit_log import (
    GENESIS,
    HEAD_SIZE,
    AuditLog,
    AuditWriteFailed,
    event_hash,
)

pytestmark = pytest.mark.unit


def _filled(tmp_path: Path, n: int = 5) -> AuditLog:
    log = AuditLog(tmp_path / "audit")
    for i in range(n):
        log.append({"subject": f"user-{i}", "operation": "q", "result_size": i})
    return log


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines()


def _write(log: AuditLog, lines: list[str]) -> None:
    log.path.write_text("".join(line + "\n" for line in lines))


def test_appended_events_chain_and_verify(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    events = list(log.events())
    assert [e["seq"] for e in events] == [0, 1, 2, 3, 4]
    assert events[0]["prev_hash"] == GENESIS
    for prev, cur in itertools.pairwise(events):
        assert cur["prev_hash"] == prev["hash"]
        assert cur["hash"] == event_hash(prev["hash"], cur)
    assert log.verify().ok
    assert log.verify().events == 5


def test_empty_log_verifies(tmp_path: Path) -> None:
    assert AuditLog(tmp_path / "none").verify().ok


def test_changed_event_is_detected(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    lines = _lines(log)
    event = json.loads(lines[2])
    event["subject"] = "someone-else"
    lines[2] = json.dumps(event, sort_keys=True, separators=(",", ":"))
    _write(log, lines)
    result = log.verify()
    assert not result.ok
    assert result.first_bad == 2
    assert "changed" in result.reason


def test_reordered_events_are_detected(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    lines = _lines(log)
    lines[1], lines[3] = lines[3], lines[1]
    _write(log, lines)
    result = log.verify()
    assert not result.ok
    assert result.first_bad == 1


def test_deleted_event_is_detected(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    lines = _lines(log)
    del lines[2]
    _write(log, lines)
    result = log.verify()
    assert not result.ok
    assert result.first_bad == 2


def test_deleted_newest_event_is_detected_by_the_head(tmp_path: Path) -> None:
    log = _filled(tmp_path)
    _write(log, _lines(log)[:-1])
    result = log.verify()
    assert not result.ok
    assert result.first_bad == 4


def test_rehashed_forgery_still_breaks_at_the_head(tmp_path: Path) -> None:
    """Rewriting an event and re-chaining everything after it still disagrees with the head."""
    log = _filled(tmp_path, 3)
    events = list(log.events())
    events[1]["subject"] = "forged"
    prev = events[0]["hash"]
    for e in events[1:]:
        e["prev_hash"] = prev
        e["hash"] = event_hash(prev, e)
        prev = e["hash"]
    _write(log, [json.dumps(e) for e in events])
    assert not log.verify().ok


def test_chain_continues_across_instances(tmp_path: Path) -> None:
    log = _filled(tmp_path, 2)
    again = AuditLog(log.directory)
    stored = again.append({"subject": "later"})
    assert stored["seq"] == 2
    assert again.verify().ok


def test_unwritable_location_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(AuditWriteFailed, match="not writable"):
        AuditLog(blocker / "audit").append({"subject": "u"})


def test_append_many_chains_in_order_with_one_write(tmp_path: Path) -> None:
    log = _filled(tmp_path, 2)
    stored = log.append_many([{"subject": f"batch-{i}"} for i in range(5)])
    assert [e["seq"] for e in stored] == [2, 3, 4, 5, 6]
    assert [e["subject"] for e in log.events()][2:] == [f"batch-{i}" for i in range(5)]
    assert log.verify().ok
    assert log.append_many([]) == []


def test_other_writers_between_appends_are_chained_onto(tmp_path: Path) -> None:
    """Two handles on one log (two API processes, or the API and the CLI) interleave
    appends; each notices the other's events instead of chaining onto a stale tail."""
    a, b = AuditLog(tmp_path / "audit"), AuditLog(tmp_path / "audit")
    for i in range(4):
        (a if i % 2 == 0 else b).append({"subject": f"writer-{i}"})
    a.append_many([{"subject": "a-again"}, {"subject": "a-once-more"}])
    b.append({"subject": "b-last"})
    assert [e["seq"] for e in a.events()] == list(range(7))
    assert a.verify().ok


def test_replaced_log_file_is_reopened(tmp_path: Path) -> None:
    log = _filled(tmp_path, 3)
    lines = _lines(log)
    log.path.unlink()
    log.path.write_text("".join(line + "\n" for line in lines))  # same content, new file
    log.append({"subject": "after-replace"})
    assert [e["seq"] for e in log.events()] == [0, 1, 2, 3]
    assert log.verify().ok


def test_head_is_one_fixed_size_record(tmp_path: Path) -> None:
    log = _filled(tmp_path, 3)
    raw = log.head_path.read_bytes()
    assert len(raw) == HEAD_SIZE
    assert json.loads(raw)["seq"] == 2
    log.head_path.unlink()
    log.append({"subject": "head-recreated"})
    assert json.loads(log.head_path.read_bytes())["seq"] == 3
    assert log.verify().ok


def test_anchor_detects_a_chain_rebuilt_after_it(tmp_path: Path) -> None:
    """A rebuilt chain is consistent with itself and with a rewritten head, but not with a
    hash recorded outside the host before the rewrite."""
    log = _filled(tmp_path, 4)
    result = log.verify()
    anchor = {result.events - 1: result.head_hash}
    assert log.verify(anchor).ok
    events = list(log.events())
    events[1]["subject"] = "forged"
    prev = events[0]["hash"]
    for e in events[1:]:
        e["prev_hash"] = prev
        e["hash"] = prev = event_hash(prev, e)
    _write(log, [json.dumps(e) for e in events])
    log.head_path.write_text(json.dumps({"seq": 3, "hash": prev}))
    assert log.verify().ok, "without an anchor the forgery is consistent"
    forged = log.verify(anchor)
    assert not forged.ok
    assert forged.first_bad == 3
    assert "anchored" in forged.reason


def test_anchor_beyond_the_end_is_reported(tmp_path: Path) -> None:
    log = _filled(tmp_path, 2)
    result = log.verify({5: "0" * 64})
    assert not result.ok
    assert "event 5 was anchored" in result.reason
