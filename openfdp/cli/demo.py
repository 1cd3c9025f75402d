"""`openfdp demo generate|load`: synthetic trust extracts for one ICS, and a full demo load
(ODS reference data, the trust extracts, Synthea FHIR bundles, HL7 v2 ADT messages)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from openfdp.cli._common import console, err_console, settings
from openfdp.cli.exit_codes import ExitCode
from openfdp.cli.load import load_feed
from openfdp.cli.load_summary import print_summary
from openfdp.loaders.errors import FeedNotAvailable, LoaderError
from openfdp.loaders.generate import AS_OF, DEFAULT_ICB, GenerateSummary, generate
from openfdp.loaders.pipeline import LoadSummary
from openfdp.settings import REFERENCE_DATA_DIR
from openfdp.store.driver import open_driver

app = typer.Typer(
    help="Synthetic demo data: generate trust extracts, load a demo graph.", no_args_is_help=True
)

DATA_DIR = REFERENCE_DATA_DIR
#: feed -> folders under the reference data directory, loaded in this order
DEMO_FEEDS: list[tuple[str, list[str]]] = [
    ("ods", ["nhs-ods-jhau-nhs-spend", "nhs-gp-practice-map-nhsx"]),
    ("csv", []),  # the generated extracts
    ("fhir", ["synthea-r4-smart-on-fhir"]),
    ("hl7", ["hl7v2-itk-adt-examples"]),
]

Trusts = Annotated[int, typer.Option("--trusts", min=1, help="Trusts of the ICS to generate for.")]
Patients = Annotated[int, typer.Option("--patients", min=1, help="Synthetic people.")]
Seed = Annotated[int, typer.Option("--seed", help="Same seed, same files.")]
Icb = Annotated[str, typer.Option("--icb", help="ODS code of the ICB whose trusts are used.")]
DataDir = Annotated[Path, typer.Option("--data", help="Reference data folder [openfdp/data].")]
AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="Census date the extracts are drawn to [2026-03-31, the census of the published "
        "statistics]. Same seed and same date, same files.",
    ),
]


def _census(as_of: datetime | None) -> date:
    return as_of.date() if as_of is not None else AS_OF


def _generated_table(s: GenerateSummary) -> Table:
    table = Table(title=f"openfdp demo generate: ICB {s.icb}, trusts {', '.join(s.trusts)}")
    table.add_column("extract")
    table.add_column("rows", justify="right")
    for name, n in sorted(s.rows.items()):
        table.add_row(name, f"{n:,}")
    return table


def _generate_or_exit(
    out: Path,
    *,
    data: Path,
    trusts: int,
    patients: int,
    seed: int,
    icb: str,
    as_of: datetime | None,
) -> GenerateSummary:
    """Generate the extracts and print what was written; a clear error and exit 3 on failure."""
    try:
        with console.status(f"generating extracts for {patients:,} people"):
            summary = generate(
                out,
                data_dir=data,
                trusts=trusts,
                patients=patients,
                seed=seed,
                icb=icb,
                as_of=_census(as_of),
            )
    except (LoaderError, OSError) as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(ExitCode.RUNTIME) from None
    console.print(_generated_table(summary))
    return summary


@app.command("generate")
def generate_cmd(
    *,
    out: Annotated[Path, typer.Option("--out", help="Folder to write the extracts into.")],
    trusts: Trusts = 3,
    patients: Patients = 1000,
    seed: Seed = 1,
    icb: Icb = DEFAULT_ICB,
    data: DataDir = DATA_DIR,
    as_of: AsOf = None,
) -> None:
    """Write trust CSV extracts for real trusts of one ICB, plus answers.csv for linkage."""
    _generate_or_exit(
        out, data=data, trusts=trusts, patients=patients, seed=seed, icb=icb, as_of=as_of
    )
    console.print(f"extracts in {out}; the truth for scoring linkage is in {out / 'answers.csv'}")


@app.command("load")
def load_cmd(
    *,
    patients: Patients = 1000,
    seed: Seed = 1,
    trusts: Trusts = 3,
    icb: Icb = DEFAULT_ICB,
    data: DataDir = DATA_DIR,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to generate [state dir/demo].")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Generate the extracts, apply the ontology, load every demo feed into the graph."""
    from openfdp.ontology import load_ontology  # noqa: PLC0415
    from openfdp.store.bulk_import import check_no_unfinished_import  # noqa: PLC0415
    from openfdp.store.schema import apply_ontology  # noqa: PLC0415

    cfg = settings()
    target = out or cfg.state_dir / "demo"
    _generate_or_exit(
        target, data=data, trusts=trusts, patients=patients, seed=seed, icb=icb, as_of=as_of
    )
    ontology = load_ontology()
    done: list[tuple[str, LoadSummary]] = []
    check_no_unfinished_import(cfg)  # before the ontology goes into a half-imported database
    with open_driver(cfg) as driver:
        apply_ontology(driver, ontology, cfg.neo4j.database)
        for feed, folders in DEMO_FEEDS:
            paths = (
                [target] if feed == "csv" else [data / f for f in folders if (data / f).exists()]
            )
            if not paths:
                continue
            try:
                summary = load_feed(feed, paths, cfg=cfg, driver=driver, ontology=ontology)
            except FeedNotAvailable as exc:
                err_console.print(f"[yellow]skipped:[/yellow] {exc}")
                continue
            except LoaderError as exc:
                err_console.print(f"[red]error:[/red] {exc}")
                raise typer.Exit(ExitCode.RUNTIME) from None
            done.append((feed, summary))
    print_summary(done)
    raise typer.Exit(ExitCode.CHECK_FAILED if any(s.quarantined for _, s in done) else ExitCode.OK)
