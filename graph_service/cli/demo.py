"""`openfdp demo`: not available yet (arrives with issue 4)."""

from __future__ import annotations

import typer

app = typer.Typer(help="(not yet available in this version)", no_args_is_help=False)


@app.callback(invoke_without_command=True)
def _not_yet() -> None:
    typer.echo("openfdp demo is not available in this version yet.", err=True)
    raise typer.Exit(2)
