"""`openfdp ontology validate|show|diff|apply|export`: work with the ontology files.

Exit codes (openfdp/cli/exit_codes.py): 0 fine; 1 not valid (shape problems, data
violations) or, for ``diff``, breaking changes; 2 a usage error (unknown format, missing
--out); 3 an error while working (bad ontology file, folder or git revision; Neo4j
unreachable; a file not writable), shown as one clear line, never a traceback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from openfdp.cli._common import console, err_console, settings
from openfdp.cli.exit_codes import ExitCode
from openfdp.cli.ontology_check import validate_data
from openfdp.cli.ontology_compare import print_diff, resolve
from openfdp.cli.ontology_picture import write_png
from openfdp.ontology import SHAPES_DIR, SOURCE_DIR, OntologyError, load_ontology
from openfdp.ontology.compile import ontology_graph
from openfdp.ontology.cypher_ddl import schema_objects, to_cypher_script
from openfdp.ontology.diff import diff as diff_ontologies
from openfdp.ontology.export_json import to_json
from openfdp.ontology.graphql_sdl import to_sdl
from openfdp.ontology.picture import to_svg
from openfdp.ontology.reference import to_markdown
from openfdp.ontology.shacl import check_shapes, to_shacl
from openfdp.ontology.sources import read_folder
from openfdp.store.driver import open_driver
from openfdp.store.schema import apply_ontology

app = typer.Typer(
    help="Validate, inspect, compare, apply and export the ontology (ontology/source/*.ttl).",
    no_args_is_help=True,
)

SourceOpt = Annotated[
    Path | None,
    typer.Option("--source", help="Ontology folder [default: the package's ontology/source]."),
]
FORMATS = ("sdl", "cypher", "json", "png", "svg", "shacl", "reference", "ttl")


@contextmanager
def clean_errors() -> Iterator[None]:
    """Ontology problems become one line on stderr and exit code 3 (runtime failure)."""
    try:
        yield
    except OntologyError as exc:
        err_console.print(f"[red]ontology error:[/red] {escape(str(exc))}")
        raise typer.Exit(ExitCode.RUNTIME) from None


# --- validate ------------------------------------------------------------------------------------


@app.command()
def validate(
    source: SourceOpt = None,
    data: Annotated[
        list[Path] | None,
        typer.Option("--data", help="Instance data (Turtle) to check against the SHACL shapes."),
    ] = None,
) -> None:
    """Compile the ontology, check the SHACL shapes, and optionally validate instance data."""
    with clean_errors():
        onto = load_ontology(source)
        shapes = read_folder(SHAPES_DIR)
        problems = check_shapes(onto, shapes)
        if source is None and shapes.get("generated.ttl") != to_shacl(onto):
            problems.append(
                "shapes/generated.ttl is out of date: run `openfdp ontology export --format shacl "
                "--out ontology/shapes/generated.ttl`"
            )
        violations = sum(validate_data(path, source) for path in data or [])
    n_props = len({p for nt in onto.node_types.values() for p in nt.properties})
    abstract = sum(nt.abstract for nt in onto.node_types.values())
    codes = sum(len(c) for c in onto.concept_schemes.values())
    console.print(
        f"Ontology {onto.version} ({onto.version_info}): {len(onto.node_types)} classes "
        f"({abstract} abstract), {n_props} properties, {len(onto.rel_types)} relationship types, "
        f"{len(onto.schemes)} code lists ({codes} codes), {len(shapes)} shape files."
    )
    for problem in problems:
        console.print(f"[red]shape problem:[/red] {escape(problem)}")
    if problems or violations:
        console.print(
            f"[red]not valid[/red]: {len(problems)} shape problems, {violations} data violations"
        )
        raise typer.Exit(1)
    console.print("[green]valid[/green]")


# --- show ----------------------------------------------------------------------------------------


@app.command()
def show(
    class_name: Annotated[str, typer.Argument(metavar="CLASS")], source: SourceOpt = None
) -> None:
    """Show one class: labels, key, properties and relationships."""
    with clean_errors():
        onto = load_ontology(source)
        nt = onto.node_type(class_name)
    kind = "abstract class" if nt.abstract else "class"
    console.print(f"[bold]{nt.name}[/bold] ({kind}, module {nt.module}): {escape(nt.description)}")
    console.print(f"  labels: {', '.join(nt.labels)}   key: ({', '.join(nt.key)})")
    for m in nt.exact_match + nt.close_match:
        console.print(f"  {'exact' if m in nt.exact_match else 'close'} match: {m}")
    table = Table(show_edge=False)
    for col in ("property", "type", "key", "required", "code list / pattern"):
        table.add_column(col)
    for p in nt.properties.values():
        table.add_row(
            p.name,
            p.datatype,
            "yes" if p.is_key else "",
            "yes" if p.required else "",
            escape(p.code_list or p.pattern or ""),
        )
    console.print(table)
    for rel in sorted(onto.rel_types.values(), key=lambda r: r.name):
        for s, e in rel.pairs:
            if s in nt.labels:
                console.print(f"  ({s})-[:{rel.name}]->({e})")
            if e in nt.labels:
                console.print(f"  ({e})<-[:{rel.name}]-({s})")
    console.print(f"{len(nt.properties)} properties, {len(nt.required)} required.")


# --- diff ----------------------------------------------------------------------------------------


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="Folder or REV:PATH, e.g. HEAD~1:ontology/source.")],
    new: Annotated[
        str | None, typer.Argument(help="Folder or REV:PATH [default: the working ontology].")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Compare two ontology versions; exit 1 when any change is breaking."""
    with clean_errors():
        before = resolve(old)
        after = resolve(new) if new else load_ontology(SOURCE_DIR)
    result = diff_ontologies(before, after)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        print_diff(result.to_dict())
    if result.is_breaking:
        raise typer.Exit(1)


# --- apply ---------------------------------------------------------------------------------------


@app.command()
def apply(source: SourceOpt = None) -> None:
    """Create constraints and indexes, load the code lists, record the version (idempotent)."""
    with clean_errors():
        onto = load_ontology(source)
    s = settings()
    t0 = time.monotonic()
    driver = open_driver(s)
    try:
        r = apply_ontology(driver, onto, s.neo4j.database)
    finally:
        driver.close()
    state = "already applied; nothing changed" if not r.changed else "applied"
    console.print(f"Ontology {r.version} {state} [dim]({time.monotonic() - t0:.1f}s)[/dim]")
    console.print(
        f"  {len(schema_objects(onto))} schema objects: {r.constraints_created} constraints and "
        f"{r.indexes_created} indexes created, {len(r.replaced)} re-created"
    )
    console.print(
        f"  {r.concepts_merged} code-list concepts: {r.concepts_created} created, "
        f"{r.concepts_updated} updated"
    )
    if r.stale:
        console.print(
            "  [yellow]stale schema objects of an older ontology (kept):[/yellow] "
            + ", ".join(r.stale)
        )


# --- export --------------------------------------------------------------------------------------


@app.command()
def export(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}.")
    ] = "json",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write [stdout].")] = None,
    source: SourceOpt = None,
) -> None:
    """Export the ontology as GraphQL SDL, Cypher DDL, JSON, SHACL, Markdown, merged Turtle
    or a picture (png, svg)."""
    if fmt not in FORMATS:
        err_console.print(
            f"[red]error:[/red] unknown format {escape(fmt)!r}; use one of {', '.join(FORMATS)}"
        )
        raise typer.Exit(2)
    with clean_errors():
        onto = load_ontology(source)
    if fmt == "png":
        if out is None:
            err_console.print("[red]error:[/red] --format png needs --out FILE")
            raise typer.Exit(2)
        write_png(onto, out)
        console.print(f"Wrote the ontology picture ({len(onto.node_types)} classes) to {out}")
        return
    render = {
        "sdl": to_sdl,
        "cypher": to_cypher_script,
        "json": to_json,
        "svg": to_svg,
        "shacl": to_shacl,
        "reference": to_markdown,
    }.get(fmt)
    with clean_errors():
        text = render(onto) if render else _merged_turtle(source)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        err_console.print(
            f"[red]error:[/red] cannot write {escape(str(out))}: {escape(exc.strerror or str(exc))}"
        )
        raise typer.Exit(ExitCode.RUNTIME) from None
    console.print(
        f"Wrote {fmt} of ontology {onto.version} ({len(text.splitlines())} lines) to {out}"
    )


def _merged_turtle(source: Path | None) -> str:
    """All source files as one Turtle document (e.g. to open the whole ontology in Protégé)."""
    return ontology_graph(source).serialize(format="turtle")
