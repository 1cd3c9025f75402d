"""`openfdp serve`: run the API (uvicorn on the app factory); `openfdp serve token`: mint one."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from openfdp.api.app import create_app
from openfdp.api.log_format import dict_config
from openfdp.cli._common import console, settings
from openfdp.services.auth import KNOWN_ROLES, TOKEN_PURPOSES, mint_token

app = typer.Typer(help="Run the GraphQL/REST API, or mint a local bearer token.")


@app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to bind [settings].")] = None,
    port: Annotated[int | None, typer.Option(help="Port [settings].")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes (each with its own driver; they share the audit log).",
        ),
    ] = 1,
) -> None:
    """Serve the API until interrupted."""
    if ctx.invoked_subcommand is not None:
        return
    s = settings()
    bind_host, bind_port = host or s.api.host, port or s.api.port
    console.print(f"openfdp API at http://{bind_host}:{bind_port}/graphql (GraphiQL in a browser)")
    console.print(f"  analyst Cypher: POST http://{bind_host}:{bind_port}/cypher")
    console.print("  health: /healthz  readiness: /readyz  metrics: /metrics")
    logs = dict_config(s.api.log_format, s.api.log_level)
    if workers == 1:
        uvicorn.run(
            create_app(s), host=bind_host, port=bind_port, log_config=logs, access_log=False,
            timeout_keep_alive=int(s.api.keep_alive_s),
        )  # fmt: skip
    else:  # each worker builds the app from the same environment
        uvicorn.run(
            "openfdp.api.app:create_app",
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=workers,
            log_config=logs,
            access_log=False,
            timeout_keep_alive=int(s.api.keep_alive_s),
        )


@app.command()
def token(
    sub: Annotated[str, typer.Option(help="Subject (a user id, never a name).")],
    org: Annotated[str, typer.Option(help="ODS code of the user's trust or ICB.")],
    role: Annotated[list[str], typer.Option(help="Role; repeat for several.")],
    purpose: Annotated[str, typer.Option(help="direct_care | planning | research")],
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
) -> None:
    """Print an HS256 bearer token signed with the local secret (demo and development)."""
    if purpose not in TOKEN_PURPOSES:
        raise typer.BadParameter(f"purpose must be one of {sorted(TOKEN_PURPOSES)}")
    unknown = set(role) - KNOWN_ROLES
    if unknown:
        raise typer.BadParameter(f"unknown roles {sorted(unknown)}; known: {sorted(KNOWN_ROLES)}")
    typer.echo(mint_token(settings(), sub, org.upper(), role, purpose, ttl))
