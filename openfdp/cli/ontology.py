"""`openfdp ontology validate|show|diff|apply|export`: work with the ontology files.

Exit codes (graph_service/cli/exit_codes.py): 0 fine; 1 not valid (shape problems, data
violations) or, for ``diff``, breaking changes; 2 a usage error (unknown format, missing
--out); 3 an error while working (bad ontology file, folder or git revision; Neo4j
unreachable; a file not writable), shown as one clear line, never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from openfdp.cli._common import console, err_console, settings
from openfdp.cli.exit_codes import ExitCode
from openfdp.ontology import (
    SHAPES_DIR,
    SOURCE_DIR,
    Ontology,
    OntologyError,
    compile_sources,
    load_ontology,
)
from openfdp.ontology.compile import ontology_graph, shapes_graph
from openfdp.ontology.cypher_ddl import schema_objects, to_cypher_script
from openfdp.ontology.diff import diff as diff_ontologies
from openfdp.ontology.export_json import to_json
from openfdp.ontology.graphql_sdl import to_sdl
from openfdp.ontology.picture import (
    BOX_H,
    BOX_W,
    COLOURS,
    LEFT,
    TOP,
    edge_points,
    layout,
    module_columns,
    to_svg,
)
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
        violations = sum(_validate_data(onto, path, source) for path in data or [])
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


def _validate_data(onto: Ontology, path: Path, source: Path | None) -> int:
    from pyshacl import validate as shacl_validate  # heavy; only when data is given  # noqa: PLC0415
    from rdflib import Graph  # noqa: PLC0415
    from rdflib.namespace import SH  # noqa: PLC0415

    g = Graph()
    try:
        g.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several unrelated types for bad syntax
        raise OntologyError(
            f"{path}: not valid Turtle: {' '.join(str(exc).split())[:300]}"
        ) from exc
    conforms, results, _ = shacl_validate(
        g, shacl_graph=shapes_graph(), ont_graph=ontology_graph(source), inference="none"
    )
    found = list(results.subjects(SH.resultSeverity, SH.Violation))
    if conforms:
        console.print(f"{path}: [green]conforms[/green] ({len(g)} triples)")
        return 0
    table = Table(title=f"{path}: {len(found)} violations", title_justify="left")
    for col in ("node", "path", "problem"):
        table.add_column(col)
    for r in found[:50]:
        node, rpath = results.value(r, SH.focusNode), results.value(r, SH.resultPath)
        message = results.value(r, SH.resultMessage) or results.value(
            r, SH.sourceConstraintComponent
        )
        table.add_row(escape(str(node)), escape(str(rpath or "")), escape(str(message)))
    console.print(table)
    return len(found)


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


def resolve(spec: str) -> Ontology:
    """A folder, or ``REV:PATH`` in the current git repository (e.g. ``HEAD~1:ontology/source``)."""
    folder = Path(spec)
    if folder.is_dir():
        return load_ontology(folder)
    if ":" not in spec:
        raise OntologyError(f"{spec!r} is neither a folder nor a git revision (REV:PATH)")
    rev, _, path = spec.partition(":")
    path = path.rstrip("/")
    names = _git("ls-tree", "--name-only", f"{rev}:{path}", spec=spec).splitlines()
    ttl = [n for n in names if n.endswith(".ttl")]
    if not ttl:
        raise OntologyError(f"{spec}: no .ttl files at that revision and path")
    return compile_sources({n: _git("show", f"{rev}:{path}/{n}", spec=spec) for n in ttl})


def _git(*args: str, spec: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OntologyError(f"{spec}: cannot run git: {exc}") from exc
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"git exited with {done.returncode}"
        raise OntologyError(f"{spec}: not a readable git revision and path ({reason})")
    return done.stdout


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
        _print_diff(result.to_dict())
    if result.is_breaking:
        raise typer.Exit(1)


def _print_diff(d: dict[str, Any]) -> None:
    if d["changes"]:
        table = Table(show_edge=False)
        for col in ("", "change", "graph", "GraphQL", "migration"):
            table.add_column(col)
        for c in d["changes"]:
            mark = "[red]BREAKING[/red]" if c["breaking"] else "[green]ok[/green]"
            table.add_row(
                mark,
                escape(f"{c['subject']}: {c['detail']}"),
                c["graph"],
                c["graphql"],
                escape(c["hint"]),
            )
        console.print(table)
    counts = d["counts"]
    verdict = "[red]breaking[/red]" if d["breaking"] else "[green]not breaking[/green]"
    console.print(
        f"{d['old_version']} -> {d['new_version']}: {counts['total']} changes, "
        f"{counts['breaking']} breaking, {counts['additive']} additive: {verdict}"
    )


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
        _write_png(onto, out)
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


def _write_png(onto: Ontology, out: Path) -> None:
    import matplotlib  # noqa: PLC0415 - heavy: imported only for PNG export

    matplotlib.use("Agg")
    from matplotlib import patheffects  # noqa: PLC0415
    from matplotlib import pyplot as plt  # noqa: PLC0415
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: PLC0415
    from matplotlib.path import Path as MplPath  # noqa: PLC0415

    lay = layout(onto)
    fig = plt.figure(figsize=(lay.width / 100, lay.height / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.axis("off")
    ax.text(LEFT, 30, lay.title, fontsize=13, weight="bold", va="baseline")
    ax.text(LEFT, 52, lay.note, fontsize=8.5, color="#444", va="baseline")
    for module, x in module_columns(lay):
        ax.text(x, TOP - 12, module, fontsize=9.5, weight="bold", color="#333", va="baseline")
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    for e in lay.edges:
        x1, y1, x2, y2, cx, cy = edge_points(lay, e)
        curve = MplPath(
            [(x1, y1), (cx, cy), (x2, y2)], [MplPath.MOVETO, MplPath.CURVE3, MplPath.CURVE3]
        )
        ax.add_patch(
            FancyArrowPatch(
                path=curve,
                arrowstyle="-|>",
                mutation_scale=10,
                color="#777",
                lw=0.9,
                linestyle="--" if e.subclass else "-",
            )
        )
        if e.label:
            mx, my = (x1 + 2 * cx + x2) / 4, (y1 + 2 * cy + y2) / 4
            ax.text(
                mx,
                my - 3,
                e.label,
                fontsize=6.8,
                ha="center",
                color="#333",
                path_effects=halo,
                zorder=5,
            )
    for b in lay.boxes.values():
        ax.add_patch(
            FancyBboxPatch(
                (b.x, b.y),
                BOX_W,
                BOX_H,
                boxstyle="round,pad=0,rounding_size=5",
                facecolor=COLOURS.get(b.module, "#eee"),
                edgecolor="#444",
                zorder=3,
            )
        )
        ax.text(
            b.cx,
            b.cy,
            b.name,
            fontsize=9,
            ha="center",
            va="center",
            zorder=4,
            style="italic" if b.abstract else "normal",
        )
    try:
        fig.savefig(out, dpi=130)
    except OSError as exc:
        raise OntologyError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        plt.close(fig)
