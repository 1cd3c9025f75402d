"""`openfdp db start|stop|status|logs`: the local Neo4j server, or the one in NEO4J_URI."""

from __future__ import annotations

import time

import typer
from neo4j.exceptions import AuthError, ServiceUnavailable

from openfdp.cli._common import JsonOption, console, err_console, print_json, settings
from openfdp.cli.exit_codes import ExitCode
from openfdp.store import local_server
from openfdp.store.errors import ConnectionFailed

app = typer.Typer(help="Run and inspect the Neo4j server openfdp uses.", no_args_is_help=True)


@app.command()
def start() -> None:
    """Start the local Neo4j 5.26 server (fetching its jars once), or reuse a running one."""
    s = settings()
    if s.neo4j.external:
        info = _probe_or_fail()
        console.print(
            f"Using external Neo4j at {info.uri} ({info.version} {info.edition}); nothing started."
        )
        return
    t0 = time.monotonic()
    info = local_server.start(s, progress=lambda msg: console.print(f"[dim]{msg}[/dim]"))
    verb = "Reusing running" if info.reused else "Started"
    console.print(
        f"{verb} Neo4j {info.version} ({info.edition}) at {info.uri}, pid {info.pid} "
        f"[dim]({time.monotonic() - t0:.1f}s)[/dim]"
    )


@app.command()
def stop() -> None:
    """Stop the local Neo4j server cleanly."""
    s = settings()
    if s.neo4j.external:
        console.print("NEO4J_URI is set: openfdp did not start that server and will not stop it.")
        return
    if local_server.stop(s):
        console.print("Neo4j stopped.")
    else:
        console.print("Neo4j was not running.")


@app.command()
def status(as_json: JsonOption = False) -> None:
    """Show URI, server version and pid; exit 1 if the server does not answer."""
    s = settings()
    where = "external" if s.neo4j.external else "local"
    home = None if s.neo4j.external else str(local_server.home_dir(s))
    down = {"running": False, "where": where, "uri": s.neo4j.effective_uri, "home": home}
    if not s.neo4j.external and local_server.running_pid(s) is None:
        if as_json:
            print_json(down)
        else:
            console.print(f"Neo4j is not running (would listen on {s.neo4j.effective_uri}).")
        raise typer.Exit(ExitCode.CHECK_FAILED)
    try:
        info = _probe_or_fail(ExitCode.CHECK_FAILED, quiet=as_json)
    except typer.Exit:
        if as_json:
            print_json(down)
        raise
    if as_json:
        print_json(
            {**down, "running": True, "uri": info.uri, "version": info.version,
             "edition": info.edition, "pid": info.pid}
        )  # fmt: skip
        return
    console.print(f"Neo4j running ({where})")
    console.print(f"  uri:     {info.uri}")
    console.print(f"  version: {info.version} {info.edition}")
    console.print(f"  pid:     {info.pid if info.pid is not None else '-'}")
    if not s.neo4j.external:
        console.print(f"  home:    {local_server.home_dir(s)}")


@app.command()
def logs(
    lines: int = typer.Option(40, "--lines", "-n", help="How many lines of each log."),
) -> None:
    """Print the tail of the local server's logs."""
    console.print(local_server.log_tail(settings(), lines), markup=False, highlight=False)


def _probe_or_fail(
    code: ExitCode = ExitCode.RUNTIME, *, quiet: bool = False
) -> local_server.ServerInfo:
    """The server's answer; when it does not answer, a message and exit ``code`` (a runtime
    failure, or for `db status` the check's "no")."""
    s = settings()
    try:
        return local_server.probe(s)
    except AuthError as exc:
        raise ConnectionFailed(
            f"Neo4j at {s.neo4j.effective_uri} refused the configured credentials"
        ) from exc
    except (ServiceUnavailable, OSError) as exc:
        if not quiet:
            err_console.print(f"Neo4j does not answer at {s.neo4j.effective_uri}.")
        raise typer.Exit(code) from exc
