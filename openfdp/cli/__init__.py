"""`openfdp`: the command line. Each command group lives in its own module of this package.

Exit codes are those of :mod:`openfdp.cli.exit_codes` (README, "Exit codes").
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from openfdp import __version__
from openfdp.cli.exit_codes import ExitCode
from openfdp.cli.instance_env import INSTANCE_DIR_ENV, InstanceNotFound, use_instance
from openfdp.store.errors import StoreError

HELP = (
    "openfdp: an open, auditable graph ontology and linkage service for NHS trusts "
    "and ICSs.\n\n"
    "Start with `openfdp demo run` (Neo4j up, demo data loaded, API serving).\n\n"
    "Exit codes: 0 success, 1 check failed, 2 usage error, 3 runtime failure, "
    "4 configuration error, 130 interrupted."
)
#: the command groups, in the order `openfdp --help` lists them
GROUPS = ("db", "ontology", "load", "link", "serve", "cypher", "audit", "instance", "share",
          "demo")  # fmt: skip


def _add_group(app: typer.Typer, name: str) -> None:
    """Import one command group's module and add it (a command imports only its own group:
    the others pull in the API, Splink or pandas, seconds of start-up per process)."""
    module = importlib.import_module(f"openfdp.cli.{name}")
    group: typer.Typer = module.app
    if name == "db" and not any(c.name == "import" for c in group.registered_commands):
        from openfdp.cli import db_import  # noqa: PLC0415

        group.command("import")(db_import.import_cmd)
    if name == "demo" and not any(c.name == "run" for c in group.registered_commands):
        from openfdp.cli import demo_run  # noqa: PLC0415

        group.command("run")(demo_run.run)
    app.add_typer(group, name=name)


def build_app(groups: Iterable[str] = GROUPS) -> typer.Typer:
    """The `openfdp` application with these command groups."""
    app = typer.Typer(
        name="openfdp",
        help=HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(_root)
    for name in groups:
        _add_group(app, name)
    return app


def invoked_group(argv: Sequence[str]) -> str | None:
    """The command group named on this command line, or None (help, version, a typo: then
    every group is loaded, so help lists them all and a typo gets click's suggestion)."""
    args = iter(argv)
    for arg in args:
        if arg == "--instance":
            next(args, None)
        elif arg.startswith("--instance="):
            continue
        elif arg.startswith("-"):
            return None
        else:
            return arg if arg in GROUPS else None
    return None


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
    name = invoked_group(sys.argv[1:])
    try:
        build_app([name] if name else GROUPS)()
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


def __getattr__(name: str) -> typer.Typer:
    """``openfdp.cli.app``: the whole application (for in-process callers and tests)."""
    if name == "app":
        app = build_app()
        globals()["app"] = app
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
