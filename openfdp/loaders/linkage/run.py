"""A linkage run: score pending evidence, then write only the outcome to the graph.

1. Read the comparable rows of the domain from the evidence store (encodings only).
2. Use the model trained for this model version, or train it (u by random sampling, m by
   EM). If it cannot be trained, fall back to deterministic linkage with a warning.
3. Score the pairs that involve pending rows (all pairs with ``full``), band them into
   links and review tasks, and write those with their evidence.
4. Recompute clusters from every ``SAME_PERSON_AS`` in the graph and write the cluster_ids
   that changed; mark the rows linked.

Linking the same data again finds no pending rows and changes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neo4j import Driver
from openfdp.loaders.linkage import engine
from openfdp.loaders.linkage.clusters import PersonPair, UnionFind, band, person_pairs
from openfdp.loaders.linkage.config import LinkageModel, load_model
from openfdp.loaders.linkage.store import EvidenceStore, default_path
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.settings import Settings
from openfdp.store.linkage import LinkGraph, task_id

log = logging.getLogger("openfdp.linkage")

Progress = Callable[[str, float], None]
"""Called with a step description and the fraction of the run done (0..1)."""


def pseudonymiser_for(settings: Settings) -> Pseudonymiser:
    return Pseudonymiser(
        key=settings.privacy.hmac_key.get_secret_value().encode(), domain=settings.privacy.domain
    )


@dataclass
class Scoring:
    mode: str  # "probabilistic" or "deterministic only"
    pairs: list[PersonPair]
    records: int
    pending: int
    trained_now: bool
    upto: int
    warnings: list[str] = field(default_factory=list)
    verified: frozenset[str] = frozenset()  # persons with a verified NHS number


@dataclass
class LinkSummary:
    model_version: str
    mode: str
    persons: int = 0
    records: int = 0
    pending: int = 0
    trained_now: bool = False
    pairs_scored: int = 0
    links_created: int = 0
    merges: int = 0
    review_tasks_created: int = 0
    cluster_ids_changed: int = 0
    clusters: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def score(
    store: EvidenceStore,
    model: LinkageModel,
    domain: str,
    *,
    retrain: bool = False,
    full: bool = False,
    threads: int = 1,
    progress: Progress | None = None,
) -> Scoring:
    """Steps 1-3 without the graph: person pairs at or above the review threshold."""
    say = progress or (lambda _s, _f: None)
    upto = store.high_water()
    say("reading encoded evidence", 0.05)
    frame = store.frame(domain, upto)
    pending = int(frame["pending"].sum()) if len(frame) else 0
    verified = frozenset(str(x) for x in frame.loc[frame["nhs_verified"], "person_id"])
    trained = None if retrain else store.trained(model.model_version)
    trained_now = False
    if trained is None:
        try:
            trained = engine.train(frame, model, threads=threads, progress=lambda s: say(s, 0.3))
        except engine.TrainingFailed as exc:
            msg = f"probabilistic linkage skipped: {exc}; deterministic linkage only"
            log.warning(msg)
            return Scoring(
                "deterministic only", [], len(frame), pending, False, upto, [msg], verified
            )
        store.save_trained(model.model_version, trained, len(frame))
        trained_now = True
    rescore_all = full or retrain
    if not rescore_all and pending == 0:
        return Scoring("probabilistic", [], len(frame), pending, trained_now, upto, [], verified)
    say("scoring candidate pairs", 0.6)
    scored = engine.predict(frame, model, trained, pending_only=not rescore_all, threads=threads)
    pairs = person_pairs(scored)
    return Scoring("probabilistic", pairs, len(frame), pending, trained_now, upto, [], verified)


def run_linkage(
    driver: Driver,
    settings: Settings,
    *,
    progress: Progress | None = None,
    model_path: Path | None = None,
    retrain: bool = False,
    full: bool = False,
    threads: int = 1,
) -> LinkSummary:
    """Link the evidence stored for the settings' domain and write the outcome to Neo4j."""
    t0 = time.monotonic()
    say = progress or (lambda _s, _f: None)
    model = load_model(model_path)
    domain = settings.privacy.domain
    graph = LinkGraph(driver, settings.neo4j.database)
    with EvidenceStore(default_path(settings.state_dir), pseudonymiser_for(settings)) as store:
        scoring = score(
            store, model, domain, retrain=retrain, full=full, threads=threads, progress=say
        )
        say("writing links and review tasks", 0.8)
        summary = _write(graph, domain, model, scoring)
        if scoring.mode == "probabilistic":
            store.mark_linked(domain, scoring.upto)
    say("done", 1.0)
    summary.seconds = time.monotonic() - t0
    return summary


def _write(graph: LinkGraph, domain: str, model: LinkageModel, scoring: Scoring) -> LinkSummary:
    summary = LinkSummary(
        model_version=model.model_version,
        mode=scoring.mode,
        records=scoring.records,
        pending=scoring.pending,
        trained_now=scoring.trained_now,
        pairs_scored=len(scoring.pairs),
        warnings=list(scoring.warnings),
    )
    graph.ensure_cluster_ids(domain)
    banded = band(scoring.pairs, model.thresholds)
    involved = sorted({x for p in banded.links + banded.reviews for x in (p.a, p.b)})
    present = graph.existing_persons(domain, involved) if involved else set()
    ids = [task_id(p.a, p.b) for p in banded.links + banded.reviews]
    statuses = graph.task_statuses(ids) if ids else {}

    existing = graph.links(domain)
    uf = UnionFind(scoring.verified)
    for a, b in existing:
        uf.union(a, b)
    known = set(existing)
    link_rows = []
    conflicts = []
    # strongest evidence first, so a record joins the person it matches best
    for p in sorted(banded.links, key=lambda p: (-p.match_probability, p.a, p.b)):
        if p.a not in present or p.b not in present or (p.a, p.b) in known:
            continue
        if statuses.get(task_id(p.a, p.b)) == "rejected":
            continue  # a reviewer said these are different people
        if not uf.can_union(p.a, p.b):
            conflicts.append(p)  # would join two different verified NHS numbers: review
            continue
        summary.merges += uf.union(p.a, p.b)
        link_rows.append(_row(p, model))
    review_rows = []
    for p in [*banded.reviews, *conflicts]:
        if p.a not in present or p.b not in present or uf.find(p.a) == uf.find(p.b):
            continue
        review_rows.append({**_row(p, model), "task_id": task_id(p.a, p.b)})
    summary.links_created = graph.merge_links(domain, link_rows) if link_rows else 0
    summary.review_tasks_created = (
        graph.merge_review_tasks(domain, review_rows) if review_rows else 0
    )
    summary.cluster_ids_changed = _recluster(graph, domain)
    status = graph.status(domain)
    summary.persons = status["persons"]
    summary.clusters = status["clusters"]
    return summary


def _row(p: PersonPair, model: LinkageModel) -> dict[str, Any]:
    return {
        "a": p.a,
        "b": p.b,
        "match_probability": p.match_probability,
        "match_weight": p.match_weight,
        "model_version": model.model_version,
        "agreed": list(p.agreed),
    }


def _recluster(graph: LinkGraph, domain: str) -> int:
    """Cluster ids from every SAME_PERSON_AS (components, lowest pseudo_id); write changes."""
    uf = UnionFind()
    for a, b in graph.links(domain):
        uf.union(a, b)
    wanted = uf.clusters()
    for pseudo_id in graph.cluster_ids(domain):
        wanted.setdefault(pseudo_id, pseudo_id)  # no longer linked: back to itself
    rows = [{"pseudo_id": k, "cluster_id": v} for k, v in sorted(wanted.items())]
    return graph.set_cluster_ids(domain, rows) if rows else 0
