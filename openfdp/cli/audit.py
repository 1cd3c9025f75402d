"""`openfdp audit verify|who-accessed|tail`: read and check the hash-chained audit log."""

from __future__ import annotations

import json
from collections import deque
from typing import Annotated

import typer
from rich.table import Table

from openfdp.cli._common import JsonOption, console, err_console, print_json, settings
from openfdp.cli.exit_codes import ExitCode
from openfdp.services.audit import audit_dir, who_accessed
from openfdp.store.audit_log import AuditLog

app = typer.Typer(help="Verify and query the tamper-evident audit log.", no_args_is_help=True)


def _log() -> AuditLog:
    return AuditLog(audit_dir(settings()))


def _anchor(value: str) -> tuple[int, str]:
    seq, sep, digest = value.partition(":")
    digest = digest.strip().lower()
    if not sep or not seq.strip().isdigit() or len(digest) != 64:
        raise typer.BadParameter(f"{value!r} is not SEQ:HASH (an event number and 64 hex digits)")
    return int(seq), digest


AnchorOption = Annotated[
    list[str] | None,
    typer.Option(
        "--anchor",
        help="SEQ:HASH printed by an earlier verify and kept outside this host; the event "
        "must still have that hash (repeatable).",
    ),
]


@app.command()
def verify(anchor: AnchorOption = None, as_json: JsonOption = False) -> None:
    """Recompute the hash chain; exit 1 at the first changed, reordered or missing event.

    Prints the newest event's number and hash: keep that line outside this host (a ticket,
    a WORM bucket, a signed timestamp) and pass it back with --anchor later, so that even a
    chain rebuilt from scratch after that moment is detected. With --json: one object with
    ok, events, anchors_matched, anchor (SEQ:HASH), first_bad, reason and log.
    """
    anchor = anchor or []
    log = _log()
    result = log.verify(dict(_anchor(a) for a in anchor))
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "events": result.events,
                "anchors_matched": len(anchor) if result.ok else 0,
                "anchor": f"{result.events - 1}:{result.head_hash}"
                if result.ok and result.events
                else None,
                "first_bad": result.first_bad,
                "reason": result.reason or None,
                "log": str(log.path),
            }
        )
        raise typer.Exit(ExitCode.OK if result.ok else ExitCode.CHECK_FAILED)
    if result.ok:
        console.print(f"audit log intact: {result.events} events verified ({log.path})")
        if anchor:
            console.print(f"{len(anchor)} anchor(s) matched")
        if result.events:
            console.print(f"anchor: {result.events - 1}:{result.head_hash}")
        return
    err_console.print(
        f"[red]audit log broken at event {result.first_bad}[/red]: {result.reason} ({log.path})"
    )
    raise typer.Exit(ExitCode.CHECK_FAILED)


def _table(title: str) -> Table:
    return Table(
        "seq",
        "time",
        "subject",
        "org",
        "roles",
        "purpose",
        "channel",
        "operation",
        "rows",
        "outcome",
        title=title,
    )


def _row(table: Table, e: dict[str, object]) -> None:
    roles = e.get("roles") or []
    table.add_row(
        str(e.get("seq")),
        str(e.get("time")),
        str(e.get("subject") or "-"),
        str(e.get("organisation") or "-"),
        ",".join(map(str, roles)) if isinstance(roles, list) else "",
        str(e.get("purpose")),
        str(e.get("channel")),
        str(e.get("operation") or "-"),
        str(e.get("result_size")),
        str(e.get("outcome")),
    )


@app.command("who-accessed")
def who_accessed_cmd(
    pseudo_id: str = typer.Argument(..., help="The person's pseudo id."),
    as_json: bool = typer.Option(False, "--json", help="One JSON event per line."),
) -> None:
    """Who looked at this person: subject, organisation, purpose and time of each access."""
    events = list(who_accessed(_log(), pseudo_id.strip().lower()))
    if _print_events(events, f"accesses to {pseudo_id[:12]}…", as_json=as_json):
        console.print(f"{len(events)} accesses found.")


@app.command()
def tail(
    n: int = typer.Option(20, "-n", help="How many of the newest events."),
    as_json: bool = typer.Option(False, "--json", help="One JSON event per line."),
) -> None:
    """The newest events."""
    events = list(deque(_log().events(), maxlen=n))
    _print_events(events, f"last {len(events)} audit events", as_json=as_json)


def _print_events(events: list[dict[str, object]], title: str, *, as_json: bool) -> bool:
    """One JSON event per line, or a table; True when the table was printed."""
    if as_json:
        for e in events:
            typer.echo(json.dumps(e))
        return False
    table = _table(title)
    for e in events:
        _row(table, e)
    console.print(table)
    return True
