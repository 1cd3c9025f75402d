"""`openfdp cypher "QUERY" [--param k=v]`: analyst Cypher from the command line.

The same guard, policy and audit as ``POST /cypher``. The caller is the principal of
``--token`` (or ``OPENFDP_TOKEN``), else an analyst built from ``--sub``/``--org``/``--purpose``
(whoever runs the CLI already holds the database credentials; the point is the same
read-only guard, disclosure control and an audit record).
"""

from __future__ import annotations

import asyncio
import getpass
import json
from typing import Annotated, Any, cast

import typer
from rich.table import Table

from openfdp.api.app import API_DRIVER_OPTIONS
from openfdp.api.audit import AuditTrail, audit_dir
from openfdp.api.auth import verify_token
from openfdp.api.context import Principal, Purpose
from openfdp.api.errors import ApiError
from openfdp.api.routes_cypher import run_analyst_query
from openfdp.cli._common import console, err_console, settings
from openfdp.settings import Settings
from openfdp.store.driver import open_async_driver

app = typer.Typer(
    help="Run read-only, audited analyst Cypher (aggregates only).",
    context_settings={"allow_interspersed_args": True},
)


def parse_param(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise typer.BadParameter(f"--param must look like key=value, got {text!r}")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return key.strip(), value


def _principal(s: Settings, token: str | None, sub: str, org: str, purpose: str) -> Principal:
    if token:
        return verify_token(s, token)
    return Principal(
        subject=sub,
        organisation=org.upper(),
        roles=frozenset({"analyst"}),
        purpose=cast(Purpose, purpose),
    )


async def _run(s: Settings, principal: Principal, query: str, params: dict[str, Any]) -> Any:
    driver = open_async_driver(s, **API_DRIVER_OPTIONS)
    try:
        return await run_analyst_query(
            driver=driver,
            settings=s,
            audit=AuditTrail(audit_dir(s)),
            principal=principal,
            query=query,
            params=params,
        )
    finally:
        await driver.close()


def _cell(value: Any) -> str:
    if value is None:
        return "*"
    return value if isinstance(value, str) else json.dumps(value)


@app.callback(invoke_without_command=True)
def cypher(  # noqa: PLR0917 - typer maps each parameter to an option
    query: Annotated[str, typer.Argument(help="One read-only Cypher statement.")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="key=value (JSON values).")
    ] = None,
    token: Annotated[str | None, typer.Option(envvar="OPENFDP_TOKEN", help="Bearer token.")] = None,
    sub: Annotated[str, typer.Option(help="Subject when no token is given [$USER].")] = "",
    org: Annotated[str, typer.Option(help="ODS code (trust or ICB) when no token.")] = "",
    purpose: Annotated[str, typer.Option(help="planning | research")] = "planning",
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON response.")] = False,
) -> None:
    """Run QUERY through the read-only guard; print the disclosure-controlled rows."""
    s = settings()
    params = dict(parse_param(p) for p in param or [])
    if not token and not org:
        raise typer.BadParameter("give --token, or --org (with --sub and --purpose)")
    try:
        principal = _principal(s, token, sub or getpass.getuser(), org, purpose)
        body = asyncio.run(_run(s, principal, query, params))
    except ApiError as exc:
        err_console.print(f"[red]refused ({exc.status_code}):[/red] {exc.message}")
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps(body, indent=2))
        return
    table = Table(*body["columns"])
    for row in body["rows"]:
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    more = " (truncated at the row cap)" if body["truncated"] else ""
    policy = body["disclosure"]
    console.print(
        f"{body['row_count']} rows{more}; disclosure control {policy['policy']} "
        f"v{policy['version']} ('*' = suppressed); audited."
    )
