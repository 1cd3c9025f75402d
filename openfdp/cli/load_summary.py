"""The summary ``openfdp load`` and ``openfdp db import`` print after loading: a table of
the counts per feed (read, loaded, quarantined, skipped, time and rate), a table of the
largest skip and quarantine reasons, pathways removed from the waiting list, where the
quarantine files are and how many opt-outs were withdrawn by absence.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table

from openfdp.cli._common import console
from openfdp.loaders.pipeline import LoadSummary


def summary_table(summaries: Sequence[tuple[str, LoadSummary]]) -> Table:
    """Counts per feed; skip and quarantine reasons follow in :func:`reasons_table`."""
    table = Table(title="openfdp load")
    for col in ("feed", "read", "loaded", "quarantined", "skipped", "seconds", "records/s"):
        table.add_column(col, justify="left" if col == "feed" else "right", no_wrap=True)
    for feed, s in summaries:
        table.add_row(
            feed + (" (dry run)" if s.dry_run else ""), f"{s.read:,}", f"{s.loaded:,}",
            f"{s.quarantined:,}", f"{s.skipped:,}", f"{s.seconds:.1f}", f"{s.records_per_s:,.0f}",
        )  # fmt: skip
    return table


def reasons_table(summaries: Sequence[tuple[str, LoadSummary]], top: int = 10) -> Table | None:
    rows = [
        (feed, kind, reason, n)
        for feed, s in summaries
        for kind, counts in (
            ("skipped", s.skipped_by_reason),
            ("quarantined", s.quarantined_by_reason),
        )
        for reason, n in sorted(counts.items(), key=lambda kv: -kv[1])[:top]
    ]
    if not rows:
        return None
    table = Table(title="reasons (largest first)")
    for col in ("feed", "outcome", "reason", "records"):
        table.add_column(col, justify="right" if col == "records" else "left")
    for feed, kind, reason, n in rows:
        table.add_row(feed, kind, reason, f"{n:,}")
    return table


def print_summary(summaries: Sequence[tuple[str, LoadSummary]]) -> None:
    console.print(summary_table(summaries))
    reasons = reasons_table(summaries)
    if reasons is not None:
        console.print(reasons)
    for feed, s in summaries:
        if s.removed_from_list:
            why = ", ".join(f"{k} {v:,}" for k, v in sorted(s.removed_from_list.items()))
            console.print(f"{feed}: pathways removed from the waiting list: {why}")
    for _, s in summaries:
        if s.quarantine_file is not None:
            console.print(f"quarantined records: {s.quarantine_file}")
        if s.opt_outs_lifted:
            console.print(f"opt-outs withdrawn (no longer listed): {s.opt_outs_lifted}")
