"""`openfdp share agreement create|list|show|revoke|end` (docs/federation.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from openfdp.cli._common import JsonOption, print_json, settings
from openfdp.cli.share_common import share_errors
from openfdp.loaders.share import agreements
from openfdp.loaders.share.withdraw import withdraw
from openfdp.store.driver import open_driver

app = typer.Typer(help="Data sharing agreements.", no_args_is_help=True)

_COLUMNS = ("agreement_id", "status", "sender_ods", "receiver_ods", "effective_from",
            "effective_to", "purposes", "data_classes", "legal_basis")  # fmt: skip


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint=option) from None


def _show(a: dict[str, Any]) -> None:
    for col in _COLUMNS:
        value = a.get(col)
        typer.echo(f"{col:15} {', '.join(value) if isinstance(value, list) else value}")


@app.command("create")
def create(  # noqa: PLR0917 - one option each, as the command line reads
    agreement_id: Annotated[str, typer.Option("--id", help="Agreement id (same at both ends).")],
    sender: Annotated[str, typer.Option("--sender", help="ODS code of the sender.")],
    receiver: Annotated[str, typer.Option("--receiver", help="ODS code of the receiver.")],
    legal_basis: Annotated[str, typer.Option("--legal-basis", help="The legal basis.")],
    purpose: Annotated[list[str], typer.Option("--purpose", help="direct_care|planning|research")],
    data_class: Annotated[list[str], typer.Option("--data-class", help="e.g. rtt_pathways")],
    start: Annotated[str, typer.Option("--start", help="First day, YYYY-MM-DD.")],
    end: Annotated[str | None, typer.Option("--end", help="Last day, YYYY-MM-DD.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Record an agreement (run on both instances)."""
    first = _date(start, "--start")
    assert first is not None
    cfg = settings()
    with share_errors(), open_driver(cfg) as driver:
        a = agreements.create(
            driver, cfg, agreement_id=agreement_id, sender=sender, receiver=receiver,
            legal_basis=legal_basis, purposes=purpose, data_classes=data_class, start=first,
            end=_date(end, "--end"),
        )  # fmt: skip
    print_json(a) if as_json else _show(a)


@app.command("list")
def list_(as_json: JsonOption = False) -> None:
    """Every agreement this instance holds."""
    cfg = settings()
    with share_errors(), open_driver(cfg) as driver:
        found = agreements.list_all(driver, cfg)
    if as_json:
        print_json({"agreements": found})
        return
    for a in found:
        typer.echo(f"{a['agreement_id']}  {a['status']}  {a['sender_ods']} -> {a['receiver_ods']}"
                   f"  {', '.join(a['data_classes'])}")  # fmt: skip


@app.command("show")
def show(agreement_id: Annotated[str, typer.Argument()], as_json: JsonOption = False) -> None:
    """One agreement."""
    cfg = settings()
    with share_errors(), open_driver(cfg) as driver:
        a = agreements.require(driver, cfg, agreement_id)
    print_json(a) if as_json else _show(a)


def _withdraw(action: str, agreement_id: str, as_json: bool) -> None:
    cfg = settings()
    with share_errors(), open_driver(cfg) as driver:
        done = withdraw(driver, cfg, agreement_id, action)
    if as_json:
        print_json(done)
    else:
        typer.echo(f"agreement {agreement_id} {done['status']}: {done['records_removed']} "
                   "records removed")  # fmt: skip


@app.command("revoke")
def revoke(agreement_id: Annotated[str, typer.Argument()], as_json: JsonOption = False) -> None:
    """Revoke an agreement; at the receiver, remove what came under it (audited)."""
    _withdraw("revoke", agreement_id, as_json)


@app.command("end")
def end_(agreement_id: Annotated[str, typer.Argument()], as_json: JsonOption = False) -> None:
    """End an agreement; at the receiver, remove what came under it (audited)."""
    _withdraw("end", agreement_id, as_json)
