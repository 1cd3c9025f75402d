"""`openfdp`: the command line. Each command group lives in its own module of this package."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError
from rich.console import Console

from openfdp.cli import (
    audit,
    cypher,
    db,
    db_import,
    demo,
    demo_run,
    link,
    load,
    ontology,
    serve,
)
from openfdp.store.errors import StoreError

app = typer.Typer(
    name="openfdp",
    help=(
        "openfdp: an open, auditable graph ontology and linkage service for NHS trusts "
        "and ICSs.\n\n"
        "Start with `openfdp demo run` (Neo4j up, demo data loaded, API serving)."
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
demo.app.command("run")(demo_run.run)
app.add_typer(demo.app, name="demo")

err = Console(stderr=True)


def main() -> None:
    """Entry point: user errors become one clear line and exit code 2, never a traceback."""
    try:
        app()
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        err.print(f"[red]configuration error:[/red] {problems}")
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
