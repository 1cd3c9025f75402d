"""`openfdp cypher "QUERY" [--param k=v]`: analyst Cypher from the command line.

The same guard, policy and audit as ``POST /cypher``. The caller is the principal of
``--token`` (or ``OPENFDP_TOKEN``), verified like the API's. In production mode a token is
required. In development mode, without a token, a short-lived development token is minted
for ``--sub``/``--org``/``--purpose``; the audit event then says ``identity:
development_minted`` and ``caller_verified: false``, so a self-asserted identity is never
recorded as a verified one.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from typing import Annotated, Any

import typer
from rich.table import Table

from openfdp.api.app import API_DRIVER_OPTIONS
from openfdp.cli._common import console, err_console, settings
from openfdp.services.analyst import run_analyst_query
from openfdp.services.audit import AuditTrail, audit_dir
from openfdp.services.auth import mint_token, verify_token
from openfdp.services.context import Principal
from openfdp.services.errors import ApiError
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


def caller(
    s: Settings, token: str | None, sub: str, org: str, purpose: str
) -> tuple[Principal, str]:
    """The verified principal and how it was identified ("verified_token" or
    "development_minted"); production mode needs a token."""
    if token:
        return verify_token(s, token), "verified_token"
    if s.mode == "production":
        raise typer.BadParameter(
            "production mode: give --token (or OPENFDP_TOKEN) issued by the identity "
            "provider; an organisation given on the command line is not an identity"
        )
    if not org:
        raise typer.BadParameter("give --token, or in development mode --org (and --purpose)")
    minted = mint_token(s, sub, org.upper(), ["analyst"], purpose, ttl=300)
    return verify_token(s, minted), "development_minted"


async def _run(
    s: Settings, principal: Principal, identity: str, query: str, params: dict[str, Any]
) -> Any:
    driver = open_async_driver(s, **API_DRIVER_OPTIONS)
    try:
        return await run_analyst_query(
            driver=driver,
            settings=s,
            audit=AuditTrail(audit_dir(s)),
            principal=principal,
            query=query,
            params=params,
            identity=identity,
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
    org: Annotated[
        str, typer.Option(help="ODS code (trust or ICB) when no token (development mode only).")
    ] = "",
    purpose: Annotated[str, typer.Option(help="planning | research")] = "planning",
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON response.")] = False,
) -> None:
    """Run QUERY through the read-only guard; print the disclosure-controlled rows."""
    s = settings()
    params = dict(parse_param(p) for p in param or [])
    try:
        principal, identity = caller(s, token, sub or getpass.getuser(), org, purpose)
        body = asyncio.run(_run(s, principal, identity, query, params))
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
    suppressed = body.get("suppressed_rows", 0)
    console.print(
        f"{body['row_count']} rows{more}, {suppressed} suppressed; disclosure control "
        f"{policy['policy']} "
        f"v{policy['version']} ('*' = suppressed); audited."
    )
