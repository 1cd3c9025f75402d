"""`openfdp load csv|fhir|ods|hl7 PATH...`: load a feed into the graph.

Exit codes (openfdp/cli/exit_codes.py): 0 everything loaded (or skipped with a stated
reason), 1 some records were quarantined, 3 unreadable input or a connection error (one line,
no traceback), 4 a configuration error. ``--json`` prints the summary as one JSON object.
The feeds and their readers are in :mod:`openfdp.cli.load_feeds`, the printed summary in
:mod:`openfdp.cli.load_summary`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from openfdp.cli._common import JsonOption, as_record, err_console, print_json, settings
from openfdp.cli.exit_codes import ExitCode
from openfdp.cli.load_feeds import (
    FEEDS,
    evidence_sink,
    has_opt_out_extract,
    input_files,
    reader_for,
)
from openfdp.cli.load_summary import print_summary
from openfdp.loaders.errors import LoaderError
from openfdp.loaders.instance_scope import scoped
from openfdp.loaders.opt_out_snapshot import OptOutListing
from openfdp.loaders.pipeline import LoadSummary, run_load
from openfdp.loaders.pipeline_inputs import fingerprint_files, map_context
from openfdp.loaders.privacy import pseudonymiser_for
from openfdp.ontology.model import Ontology
from openfdp.settings import Settings
from openfdp.store.bulk_import import check_no_unfinished_import
from openfdp.store.driver import open_driver
from openfdp.store.opt_outs import lift_absent_opt_outs

app = typer.Typer(
    help="Load a feed (trust CSV extracts, FHIR, ODS, HL7 v2) into the graph.", no_args_is_help=True
)

Paths = Annotated[list[Path], typer.Argument(help="Files or folders.", exists=True)]
SourceOpt = Annotated[
    str | None,
    typer.Option("--source", help="ODS code of the providing trust, when rows do not say."),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", help="Load a waiting-list snapshot older than the provider's latest one."
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Read, map and validate; write nothing.")]
QuarantineOpt = Annotated[
    Path | None,
    typer.Option("--quarantine", help="Folder for quarantine files [state dir/quarantine]."),
]
BatchOpt = Annotated[
    int, typer.Option("--batch-size", min=1, help="Records per write transaction.")
]


def load_feed(
    feed: str,
    paths: Sequence[Path],
    *,
    cfg: Settings,
    driver: Any,
    ontology: Ontology,
    source_ods: str | None = None,
    dry_run: bool = False,
    quarantine_dir: Path | None = None,
    batch_size: int = 2000,
    force: bool = False,
) -> LoadSummary:
    """Read one feed and load it, with a progress bar and the linkage evidence store.

    Callers check for a half-done bulk import (``check_no_unfinished_import``) before they
    connect: a half-imported database may have no server running to connect to.
    """
    read = reader_for(feed)
    pseudonymiser = pseudonymiser_for(cfg)  # the one pseudonymiser of this command
    ctx = map_context(
        pseudonymiser=pseudonymiser,
        ontology=ontology,
        source_ods=source_ods,
    )
    files = input_files(feed, paths)
    total: int | None = None
    found: list[Any] = []
    if feed == "csv":
        from openfdp.loaders.readers.trust_csv import count_rows  # noqa: PLC0415
        from openfdp.loaders.snapshots import check_order, snapshots  # noqa: PLC0415

        total = count_rows(paths)
        found = snapshots(paths, source_ods)
        if driver is not None and not dry_run:
            check_order(driver, cfg.neo4j.database, found, force=force)
    with ExitStack() as stack:
        sink = None
        if not dry_run:
            sink = evidence_sink(stack, cfg, pseudonymiser)
        progress = stack.enter_context(
            Progress(
                SpinnerColumn(), TextColumn(f"load {feed}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=err_console, transient=True,
            )
        )  # fmt: skip
        task = progress.add_task(feed, total=total)
        listing = OptOutListing() if has_opt_out_extract(feed, paths) else None
        # a trust instance loads only its own trust's records (the others are quarantined)
        outcomes = scoped(read(list(paths), ctx), cfg.instance.role, cfg.instance.ods)
        summary = run_load(
            driver,
            source=FEEDS[feed][1],
            outcomes=listing.track(outcomes) if listing else outcomes,
            ontology=ontology,
            input_fingerprint=fingerprint_files(files),
            quarantine_dir=quarantine_dir or cfg.state_dir / "quarantine",
            batch_size=batch_size,
            identity_sink=sink,
            dry_run=dry_run,
            progress=lambda n: progress.advance(task, n),
            database=cfg.neo4j.database,
        )
    if listing is not None and not dry_run and listing.may_lift_absent:
        summary.opt_outs_lifted = lift_absent_opt_outs(
            driver, cfg.privacy.domain, listing.listed, database=cfg.neo4j.database
        )
    elif listing is not None and not dry_run:
        err_console.print(
            f"[yellow]opt-outs:[/yellow] {listing.rejected} opt-out row(s) quarantined, so no "
            "opt-out is lifted by its absence in this load (withdrawn = Y rows still apply)"
        )
    if found and driver is not None and not dry_run:
        from openfdp.loaders.snapshots import apply_removals  # noqa: PLC0415

        summary.removed_from_list = apply_removals(driver, cfg.neo4j.database, found)
    return summary


def _run(
    feed: str,
    paths: list[Path],
    *,
    source: str | None,
    dry_run: bool,
    quarantine: Path | None,
    batch: int,
    as_json: bool = False,
    force: bool = False,
) -> None:
    from openfdp.ontology import load_ontology  # noqa: PLC0415

    cfg = settings()
    try:
        reader_for(feed)
        if feed == "csv":  # a file that is no extract fails here, before any connection
            from openfdp.loaders.readers.trust_csv import plan  # noqa: PLC0415

            plan(paths)
        ontology = load_ontology()
        if not dry_run:
            check_no_unfinished_import(cfg)
        with ExitStack() as stack:
            driver = None if dry_run else stack.enter_context(open_driver(cfg))
            summary = load_feed(
                feed, paths, cfg=cfg, driver=driver, ontology=ontology, source_ods=source,
                dry_run=dry_run, quarantine_dir=quarantine, batch_size=batch, force=force,
            )  # fmt: skip
    except LoaderError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(ExitCode.RUNTIME) from None
    if as_json:
        print_json(as_record(summary, feed=feed, reconciles=summary.reconciles))
    else:
        print_summary([(feed, summary)])
    raise typer.Exit(ExitCode.CHECK_FAILED if summary.quarantined else ExitCode.OK)


FEED_HELP = {
    "csv": "Trust CSV extracts (docs/formats.md): files, or folders of them.",
    "fhir": "FHIR R4 bundles (JSON) and UK Core resources (XML).",
    "ods": "ODS reference data (trusts, sub-ICB locations, ICBs, GP practices).",
    "hl7": "HL7 v2 ADT messages.",
}


def _feed_command(feed: str) -> Callable[..., None]:
    def command(
        paths: Paths,
        *,
        source: SourceOpt = None,
        dry_run: DryRun = False,
        quarantine: QuarantineOpt = None,
        batch_size: BatchOpt = 2000,
        as_json: JsonOption = False,
        force: ForceOpt = False,
    ) -> None:
        _run(
            feed, paths, source=source, dry_run=dry_run, quarantine=quarantine,
            batch=batch_size, as_json=as_json, force=force,
        )  # fmt: skip

    command.__doc__ = FEED_HELP[feed]
    return command


for _feed in FEED_HELP:
    app.command(_feed)(_feed_command(_feed))
