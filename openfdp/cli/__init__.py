"""`openfdp`: the command line. Each command group lives in its own module of this package.

Exit codes are those of :mod:`openfdp.cli.exit_codes` (README, "Exit codes").
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from openfdp import __version__
from openfdp.cli import (
    audit,
    cypher,
    db,
    db_import,
    demo,
    demo_run,
    instance,
    link,
    load,
    ontology,
    serve,
    share,
)
from openfdp.cli.exit_codes import ExitCode
from openfdp.cli.instance_env import INSTANCE_DIR_ENV, InstanceNotFound, use_instance
from openfdp.store.errors import StoreError

app = typer.Typer(
    name="openfdp",
    help=(
        "openfdp: an open, auditable graph ontology and linkage service for NHS trusts "
        "and ICSs.\n\n"
        "Start with `openfdp demo run` (Neo4j up, demo data loaded, API serving).\n\n"
        "Exit codes: 0 success, 1 check failed, 2 usage error, 3 runtime failure, "
        "4 configuration error, 130 interrupted."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db.app.command("import")(db_import.import_cmd)
app.add_typer(db.app, name="db")
app.add_typer(ontology.app, name="ontology")
app.add_typer(load.app, name="load")
app.add_typer(link.app, name="link")
app.add_typer(serve.app, name="serve")
app.add_typer(cypher.app, name="cypher")
app.add_typer(audit.app, name="audit")
app.add_typer(instance.app, name="instance")
app.add_typer(share.app, name="share")
demo.app.command("run")(demo_run.run)
app.add_typer(demo.app, name="demo")

err = Console(stderr=True)


def version() -> str:
    """The installed distribution's version (the package's own when not installed)."""
    try:
        return metadata.version("openfdp")
    except metadata.PackageNotFoundError:
        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"openfdp {version()}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
    instance_dir: Annotated[
        Path | None,
        typer.Option(
            "--instance",
            envvar=INSTANCE_DIR_ENV,
            help="Run against the instance in this folder (its instance.env; docs/federation.md).",
        ),
    ] = None,
) -> None:
    """Options of `openfdp` itself (the help text is the app's)."""
    del show_version
    if instance_dir is not None:
        try:
            use_instance(instance_dir)
        except InstanceNotFound as exc:
            err.print(f"[red]configuration error:[/red] {escape(str(exc))}")
            raise typer.Exit(ExitCode.CONFIG) from None


def main() -> None:
    """Entry point: failures become one clear line and a distinct exit code, never a
    traceback."""
    try:
        app()
    except StoreError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(ExitCode.RUNTIME)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        err.print(f"[red]configuration error:[/red] {escape(problems)}")
        sys.exit(ExitCode.CONFIG)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(ExitCode.INTERRUPTED)
