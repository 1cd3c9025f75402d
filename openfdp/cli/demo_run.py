"""`openfdp demo run`: the main job, end to end, on one machine.

Neo4j up (the local server, or NEO4J_URI) -> ontology applied -> demo extracts generated for
one ICS and loaded with the shared reference data, Synthea FHIR bundles and HL7 ADT messages
-> linkage run -> the API serving, with a ready-to-use token printed for each demo role.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.table import Table

from openfdp.api.app import create_app
from openfdp.cli import demo, link
from openfdp.cli._common import console, settings
from openfdp.loaders.generate import DEFAULT_ICB
from openfdp.loaders.generate.reference import icb_trusts
from openfdp.services.auth import mint_token
from openfdp.settings import Settings
from openfdp.store import local_server
from openfdp.store.driver import open_driver
from openfdp.store.fingerprint import graph_counts

DEMO_TOKEN_TTL_S = 12 * 3600


def demo_tokens(s: Settings, icb: str, trust: str) -> list[tuple[str, str, str]]:
    """(who, what they may see, bearer token) for each demo role."""
    return [
        (
            f"trust user at {trust}, direct care",
            f"record-level data of {trust}, opted-out persons included",
            mint_token(s, "demo-clinician", trust, ["trust_user"], "direct_care", DEMO_TOKEN_TTL_S),
        ),
        (
            f"ICS user at {icb}, planning",
            "pseudonymised records and aggregates of the ICS's trusts, opt-outs excluded",
            mint_token(s, "demo-planner", icb, ["ics_user"], "planning", DEMO_TOKEN_TTL_S),
        ),
        (
            f"analyst at {icb}, research",
            "aggregate analyst Cypher (POST /cypher), disclosure-controlled",
            mint_token(
                s, "demo-analyst", icb, ["analyst", "ics_user"], "research", DEMO_TOKEN_TTL_S
            ),
        ),
    ]


def run(
    *,
    patients: Annotated[int, typer.Option("--patients", min=1, help="Synthetic people.")] = 2000,
    trusts: Annotated[int, typer.Option("--trusts", min=1, help="Trusts of the ICS.")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same data.")] = 1,
    icb: Annotated[str, typer.Option("--icb", help="ODS code of the ICB.")] = DEFAULT_ICB,
    host: Annotated[str | None, typer.Option(help="API interface [settings].")] = None,
    port: Annotated[int | None, typer.Option(help="API port [settings].")] = None,
    skip_load: Annotated[
        bool, typer.Option("--skip-load", help="Serve the graph as it is; load nothing.")
    ] = False,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Stop after loading and linking.")
    ] = False,
    federated: Annotated[
        bool,
        typer.Option(
            "--federated",
            help="One ICS instance and one instance per trust, sharing data products "
            "(docs/federation.md) instead of one central graph.",
        ),
    ] = False,
    bolt_port_base: Annotated[
        int, typer.Option(help="--federated: the ICS's Neo4j port; trusts take the next ones.")
    ] = 7701,
    api_port_base: Annotated[
        int, typer.Option(help="--federated: the ICS's API port; trusts take the next ones.")
    ] = 8001,
    heap: Annotated[str, typer.Option(help="--federated: each instance's Neo4j heap.")] = "512m",
) -> None:
    """Start Neo4j, load the demo ICS, link persons, and serve the API (until Ctrl-C)."""
    s = settings()
    if federated:
        from openfdp.cli.demo_federated_run import run_federated_demo  # noqa: PLC0415

        run_federated_demo(
            s.state_dir / "federated", patients=patients, seed=seed, trusts=trusts, icb=icb,
            ports=(bolt_port_base, api_port_base), heap=heap, serve=not no_serve,
        )  # fmt: skip
        return
    t0 = time.monotonic()
    console.rule("[bold]1/4 Neo4j")
    if s.neo4j.external:
        info = local_server.probe(s)
        console.print(f"Using external Neo4j {info.version} at {info.uri}")
    else:
        info = local_server.start(s, progress=lambda m: console.print(f"[dim]{m}[/dim]"))
        verb = "Reusing" if info.reused else "Started"
        console.print(f"{verb} Neo4j {info.version} at {info.uri} (pid {info.pid})")
    if not skip_load:
        console.rule("[bold]2/4 Ontology and demo data")
        code = _exit_code(
            lambda: demo.load_cmd(
                patients=patients,
                seed=seed,
                trusts=trusts,
                icb=icb,
                data=demo.DATA_DIR,
                out=s.state_dir / "demo",
                as_of=datetime.combine(date.today(), datetime.min.time()),
            )
        )
        if code == 1:
            console.print("[yellow]Some records were quarantined (see the table above).[/yellow]")
        elif code not in (0, None):
            raise typer.Exit(code)
        console.rule("[bold]3/4 Linkage")
        code = _exit_code(lambda: link.run(retrain=False, full=False, model=None, threads=1))
        if code not in (0, None):
            raise typer.Exit(code)
    with open_driver(s) as driver:
        counts = graph_counts(driver, s.neo4j.database)
    trust = icb_trusts(demo.DATA_DIR, icb, 1)[0].ods
    _print_access(
        s, icb=icb, trust=trust, host=host or s.api.host, port=port or s.api.port,
        counts=counts, t0=t0,
    )  # fmt: skip
    if no_serve:
        return
    console.rule("[bold]4/4 API (Ctrl-C to stop)")
    uvicorn.run(
        create_app(s), host=host or s.api.host, port=port or s.api.port, log_level="warning",
        timeout_keep_alive=int(s.api.keep_alive_s),
    )  # fmt: skip


def _exit_code(step: Callable[[], None]) -> int | None:
    """Run a CLI step in-process; its typer.Exit code (None when it just returned)."""
    try:
        step()
    except typer.Exit as done:
        return done.exit_code
    return None


def _print_access(
    s: Settings, *, icb: str, trust: str, host: str, port: int, counts: dict[str, int], t0: float
) -> None:
    base = f"http://{host}:{port}"
    table = Table(title="openfdp demo is ready", show_header=False)
    table.add_row("graph", f"{counts['nodes']:,} nodes, {counts['relationships']:,} relationships")
    table.add_row("GraphiQL", f"{base}/graphql")
    table.add_row("timeline page", f"{base}/timeline?person=<pseudoId>#token=<token>")
    table.add_row("analyst Cypher", f"POST {base}/cypher")
    table.add_row("health", f"{base}/healthz  {base}/readyz  {base}/metrics")
    table.add_row("set up in", f"{time.monotonic() - t0:.0f}s")
    console.print(table)
    console.print("Tokens (header `Authorization: Bearer <token>`; valid 12 hours):")
    for who, sees, token in demo_tokens(s, icb, trust):
        console.print(f"\n[bold]{who}[/bold] — {sees}")
        console.print(token, soft_wrap=True, markup=False, highlight=False)
    console.print("\nThe supplier transparency views (suppliers, whoProcesses) need no token.")
    console.print(f"Walk-through: {Path('docs/tour.md')}")
