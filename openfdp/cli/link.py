"""`openfdp link run|status|explain|review`: identity resolution across trusts and sources.

Output shows pseudo_ids, probabilities, weights and the names of agreeing comparisons only;
no identifying value is ever printed.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from openfdp.cli._common import (
    JsonOption,
    as_record,
    console,
    err_console,
    print_json,
    settings,
)
from openfdp.cli.link_report import explain_pair_command, operating_point_rows
from openfdp.loaders.linkage import (
    EvidenceStore,
    default_path,
    load_model,
    pseudonymiser_for,
    run_linkage,
)
from openfdp.store.driver import open_driver
from openfdp.store.linkage import LinkageError, LinkGraph


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


app = typer.Typer(
    help="Link records of the same person across trusts and sources.", no_args_is_help=True
)


@app.command()
def run(
    *,
    retrain: bool = typer.Option(False, help="Train the model again on all stored evidence."),
    full: bool = typer.Option(False, help="Score every pair again, not only new evidence."),
    model: Annotated[
        Path | None, typer.Option(help="A linkage model file (default: default.json).")
    ] = None,
    threads: Annotated[
        int | None, typer.Option(min=1, help="DuckDB threads (default OPENFDP_LINKAGE__THREADS).")
    ] = None,
    engine: Annotated[
        Engine | None,
        typer.Option(help="duckdb (in-process) or spark (default OPENFDP_LINKAGE__ENGINE)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Link new evidence against existing persons; write links, review tasks and clusters."""
    s = settings()
    with (
        open_driver(s) as driver,
        Progress(
            TextColumn("{task.description:<40}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("linking", total=100)

        def progress(step: str, fraction: float) -> None:
            bar.update(task, description=step, completed=round(fraction * 100))

        summary = run_linkage(
            driver,
            s,
            progress=progress,
            model_path=model,
            retrain=retrain,
            full=full,
            threads=threads,
            engine_name=engine.value if engine else None,
        )
    for warning in summary.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {warning}")
    if as_json:
        print_json(as_record(summary))
        return
    table = Table(title=f"Linkage ({summary.model_version}, {summary.mode})", show_header=False)
    for name, value in (
        ("persons", summary.persons),
        ("clusters", summary.clusters),
        ("evidence records (comparable)", summary.records),
        ("evidence records linked this run", summary.pending),
        ("model trained this run", "yes" if summary.trained_now else "no"),
        ("candidate person pairs scored", summary.pairs_scored),
        ("links created (SAME_PERSON_AS)", summary.links_created),
        ("merges (clusters joined)", summary.merges),
        ("review tasks created", summary.review_tasks_created),
        ("cluster ids changed", summary.cluster_ids_changed),
        ("seconds", f"{summary.seconds:.1f}"),
    ):
        table.add_row(name, str(value))
    if summary.point is not None:
        pt = summary.point
        table.add_row("auto-link threshold (chosen from the scores)", f"p >= {pt.match:.4f}")
        table.add_row("review band", f"{pt.review:.4f} <= p < {pt.match:.4f}")
        table.add_row(
            "expected precision / recall of the links",
            f"{pt.expected_precision:.4f} / {pt.expected_recall:.4f}",
        )
    for reason, n in sorted(summary.held.items(), key=lambda x: -x[1]):
        table.add_row(f"held back: {reason}", str(n))
    console.print(table)


@app.command()
def status(as_json: JsonOption = False) -> None:
    """Persons, clusters, links and review tasks in the graph; the evidence store's state."""
    s = settings()
    m = load_model(None)
    with open_driver(s) as driver:
        counts = LinkGraph(driver, s.neo4j.database).status(s.privacy.domain)
        labels = LinkGraph(driver, s.neo4j.database).review_labels()
    with EvidenceStore(default_path(s.state_dir), pseudonymiser_for(s)) as store:
        records, pending = store.count(), store.count(pending=True)
        trained = store.trained(m.model_version) is not None
        point = store.point(m.model_version)
    if as_json:
        print_json(
            {
                "domain": s.privacy.domain, **counts, "evidence_records": records,
                "evidence_pending": pending, "model_version": m.model_version,
                "model_trained": trained, "operating_point": point,
                "review_labels": labels,
            }
        )  # fmt: skip
        return
    table = Table(title=f"Linkage status (domain {s.privacy.domain})", show_header=False)
    for name, value in (
        ("persons", counts["persons"]),
        ("  with a verified NHS number (deterministic)", counts["verified"]),
        ("clusters", counts["clusters"]),
        ("  with more than one person", counts["linked_clusters"]),
        ("SAME_PERSON_AS links", counts["links"]),
        (
            "review tasks open / accepted / rejected",
            f"{counts['open_tasks']} / {counts['accepted_tasks']} / {counts['rejected_tasks']}",
        ),
        ("evidence records stored / pending", f"{records} / {pending}"),
        (f"model {m.model_version}", "trained" if trained else "not trained yet"),
    ):
        table.add_row(name, str(value))
    for name, value in operating_point_rows(point, labels):
        table.add_row(name, value)
    console.print(table)


@app.command()
def explain(
    pseudo_id: str = typer.Argument(..., help="The person's pseudo_id."),
    other: Annotated[
        str | None,
        typer.Option("--with", metavar="PSEUDO_ID", help="Explain the pair with this person."),
    ] = None,
    png: Annotated[
        Path | None, typer.Option(help="With --with: also write the waterfall as a PNG.")
    ] = None,
) -> None:
    """A person's cluster, links with their evidence, and why (no identifying values).

    With ``--with OTHER``: the comparison levels and weights of the pair, as a waterfall
    from the prior to the match weight, and the decision the rule takes on it.
    """
    if other:
        explain_pair_command(pseudo_id, other, png)
        return
    s = settings()
    with open_driver(s) as driver:
        person = LinkGraph(driver, s.neo4j.database).person(s.privacy.domain, pseudo_id)
    if person is None:
        raise LinkageError(f"no person {pseudo_id!r} in domain {s.privacy.domain}")
    with EvidenceStore(default_path(s.state_dir), pseudonymiser_for(s)) as store:
        providers = store.providers(s.privacy.domain, pseudo_id)
    console.print(f"person   {person['pseudo_id']}")
    console.print(f"cluster  {person['cluster_id']}  ({len(person['members']) + 1} person(s))")
    for member in sorted(person["members"]):
        console.print(f"  member {member}")
    if person["nhs_number_verified"]:
        console.print(
            "why      identity resolved deterministically: pseudo_id is the keyed token of a "
            "verified NHS number, so every record with it is this one person"
        )
    if providers:
        where = ", ".join(f"{ods} ({n})" for ods, n in providers.items())
        console.print(f"evidence records by provider: {where}")
    links = [x for x in person["links"] if x]
    if not links:
        console.print("links    none")
    for x in sorted(links, key=lambda x: -float(x["match_probability"] or 0)):
        how = f"accepted by {x['decided_by']}" if x.get("decided_by") else "automatic"
        console.print(
            f"link     {x['other']}  p={x['match_probability']:.4f}  weight={x['match_weight']:.2f}"
            f"  {x['model_version']}  {how}"
        )
        console.print(f"         agreed: {', '.join(x['agreed'] or []) or '(none)'}")
    for t in (t for t in person["tasks"] if t):
        console.print(
            f"review   task {t['task_id']} ({t['status']}) with {t['other']}  "
            f"p={t['match_probability']:.4f}"
        )


@app.command()
def review(
    accept: str | None = typer.Option(None, "--accept", metavar="TASK", help="Accept a task."),
    reject: str | None = typer.Option(None, "--reject", metavar="TASK", help="Reject a task."),
    by: str | None = typer.Option(None, "--by", metavar="NAME", help="Who decides."),
    status: str = typer.Option("open", help="open, accepted, rejected or all."),
    limit: int = typer.Option(50, min=1),
) -> None:
    """List review tasks, or decide one (`--accept TASK --by NAME`, `--reject TASK --by NAME`)."""
    s = settings()
    if accept and reject:
        raise LinkageError("give either --accept or --reject, not both")
    task = accept or reject
    if task and not by:
        raise LinkageError("a decision needs --by NAME (who decided)")
    with open_driver(s) as driver:
        graph = LinkGraph(driver, s.neo4j.database)
        if task and by:
            outcome = graph.decide(task, accept=accept is not None, by=by)
            if accept:
                console.print(
                    f"accepted {task} (by {by}): cluster {outcome['cluster_id']} now has "
                    f"{outcome['members']} person(s)"
                )
            else:
                console.print(f"rejected {task} (by {by}): the two persons stay apart")
            return
        tasks = graph.list_tasks(None if status == "all" else status, limit)
    table = Table(title=f"Review tasks ({status})")
    for col in ("task", "status", "p", "weight", "persons", "agreed", "decided"):
        table.add_column(col)
    for t in tasks:
        decided = f"{t['decided_by']} {t['decided_at']}" if t["decided_by"] else ""
        table.add_row(
            t["task_id"],
            t["status"],
            f"{t['match_probability']:.3f}",
            f"{t['match_weight']:.2f}",
            "\n".join(t["persons"]),
            ", ".join(t["agreed"] or []),
            decided,
        )
    console.print(table)
    console.print(f"{len(tasks)} task(s)")
