"""`openfdp db import`: bulk backfill of an empty local database with neo4j-admin import.

The same validation, pseudonymisation, mapping, quarantine and provenance as `openfdp load`,
written as import files instead of transactions; then the ontology's constraints are applied.
Exit codes as `openfdp load` (cli/exit_codes.py): 0 loaded, 1 some records quarantined,
2 usage error, 3 the import could not be done (one line).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from openfdp.cli._common import console, err_console, settings
from openfdp.cli.exit_codes import ExitCode
from openfdp.cli.load_feeds import FEEDS, evidence_sink, input_files
from openfdp.cli.load_summary import print_summary
from openfdp.loaders.bulk import BulkFeed, bulk_load, csv_chunks
from openfdp.loaders.errors import LoaderError
from openfdp.loaders.instance_scope import check_scope, scoped
from openfdp.loaders.model import MapContext, Outcome
from openfdp.loaders.pipeline_inputs import map_context
from openfdp.loaders.privacy import pseudonymiser_for
from openfdp.store.errors import StoreError


def scoped_read(
    name: str, role: str, own: str | None, paths: Sequence[Path], ctx: MapContext
) -> Iterator[Outcome]:
    """The reader of feed `name`, limited to what this instance may load (picklable, for the
    worker processes, with `functools.partial`)."""
    return scoped(FEEDS[name][0](paths, ctx), role, own)


def import_cmd(
    *,
    ods: Annotated[
        list[Path] | None, typer.Option("--ods", exists=True, help="ODS files or folders.")
    ] = None,
    csv: Annotated[
        list[Path] | None, typer.Option("--csv", exists=True, help="Trust CSV extracts.")
    ] = None,
    fhir: Annotated[
        list[Path] | None, typer.Option("--fhir", exists=True, help="FHIR bundles.")
    ] = None,
    hl7: Annotated[
        list[Path] | None, typer.Option("--hl7", exists=True, help="HL7 v2 messages.")
    ] = None,
    quarantine: Annotated[
        Path | None, typer.Option("--quarantine", help="Folder for quarantine files [state dir].")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Mapping processes [number of CPUs]; 1: this one."),
    ] = None,
) -> None:
    """Bulk-load feeds into an EMPTY local database (neo4j-admin import; much faster than
    `openfdp load`). Feeds load in the order ods, csv, fhir, hl7. The server is stopped for
    the import and started again."""
    from openfdp.ontology import load_ontology  # noqa: PLC0415

    chosen = [
        (name, p) for name, p in (("ods", ods), ("csv", csv), ("fhir", fhir), ("hl7", hl7)) if p
    ]
    if not chosen:
        err_console.print("[red]error:[/red] name at least one feed (--ods, --csv, --fhir, --hl7)")
        raise typer.Exit(ExitCode.USAGE)
    cfg = settings()
    ontology = load_ontology()
    pseudonymiser = pseudonymiser_for(cfg)  # the one pseudonymiser of this command
    ctx = map_context(
        pseudonymiser=pseudonymiser,
        ontology=ontology,
    )
    role, own = cfg.instance.role, cfg.instance.ods

    try:
        check_scope(role, own)
        feeds = [
            BulkFeed(
                FEEDS[name][1],
                partial(scoped_read, name, role, own),
                list(paths),
                input_files(name, paths),
                csv_chunks(paths) if name == "csv" else None,
            )
            for name, paths in chosen
        ]
        with ExitStack() as stack:
            sink = evidence_sink(stack, cfg, pseudonymiser)
            bar = stack.enter_context(
                Progress(SpinnerColumn(), TextColumn("records"), BarColumn(), MofNCompleteColumn(),
                         console=err_console, transient=True)
            )  # fmt: skip
            task = bar.add_task("records", total=None)
            result = bulk_load(
                cfg, ontology, feeds, ctx,
                work_dir=cfg.state_dir / "bulk-import",
                quarantine_dir=quarantine or cfg.state_dir / "quarantine",
                identity_sink=sink,
                step=lambda m: err_console.print(f"[dim]{m}[/dim]"),
                progress=lambda n: bar.advance(task, n),
                workers=workers or os.cpu_count() or 1,
            )  # fmt: skip
    except (LoaderError, StoreError) as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(ExitCode.RUNTIME) from None
    print_summary(result.summaries)
    files = result.files
    rate = result.records / result.seconds if result.seconds else 0.0
    console.print(
        f"bulk import: {result.records:,} records -> "
        f"{files.node_count if files else 0:,} nodes, "
        f"{files.relationship_count if files else 0:,} relationships in {result.seconds:.1f}s "
        f"({rate:,.0f} records/s; mapping {result.map_seconds:.1f}s, import "
        f"{result.import_seconds:.1f}s, schema {result.schema_seconds:.1f}s)"
    )
    console.print(
        f"mapping: {result.workers} process(es), {result.map_rate:,.0f} records/s; peak RSS "
        f"{result.map_rss_kib / 1024:,.0f} MiB (this process), "
        f"{result.worker_rss_kib / 1024:,.0f} MiB (largest worker); at most "
        f"{result.peak_held:,} rows held per collector"
    )
    quarantined = any(s.quarantined for _, s in result.summaries)
    raise typer.Exit(ExitCode.CHECK_FAILED if quarantined else ExitCode.OK)
