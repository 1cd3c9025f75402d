"""A linkage run: score pending evidence, then write only the outcome to the graph.

1. Read the comparable rows of the domain from the evidence store (encodings only).
2. Use the model trained for this model version, or train it (u by random sampling, m by
   EM). If it cannot be trained, fall back to deterministic linkage with a warning.
3. Score the pairs that involve pending rows (all pairs with ``full``), choose the
   thresholds from the scores (:mod:`openfdp.loaders.linkage.calibrate`), decide links, review
   tasks and clusters with the cluster rule (:mod:`openfdp.loaders.linkage.decide`), and write
   those with their evidence.
4. Recompute clusters from every ``SAME_PERSON_AS`` in the graph and write the cluster_ids
   that changed; mark the rows linked; keep the operating point for ``link status``.

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
from openfdp.loaders.linkage.calibrate import OperatingPoint, choose_thresholds, expected
from openfdp.loaders.linkage.clusters import PersonPair, UnionFind
from openfdp.loaders.linkage.config import LinkageModel, Thresholds, load_model
from openfdp.loaders.linkage.decide import Decisions, best_pairs, decide
from openfdp.loaders.linkage.engine_sql import EngineConfig, EngineName
from openfdp.loaders.linkage.store import EvidenceStore, default_path
from openfdp.loaders.privacy import pseudonymiser_for
from openfdp.settings import Settings
from openfdp.store.linkage import LinkageError, LinkGraph, task_id

log = logging.getLogger("openfdp.linkage")

Progress = Callable[[str, float], None]
"""Called with a step description and the fraction of the run done (0..1)."""


def engine_config(
    settings: Settings, name: str | None = None, threads: int | None = None
) -> EngineConfig:
    """The engine of the settings (``OPENFDP_LINKAGE__*``), or the one a command asks for."""
    ls = settings.linkage
    chosen: EngineName
    if name is None:
        chosen = ls.engine
    elif name in ("duckdb", "spark"):
        chosen = "spark" if name == "spark" else "duckdb"
    else:
        raise LinkageError(f"unknown linkage engine {name!r} (duckdb or spark)")
    return EngineConfig(
        name=chosen,
        threads=threads or ls.threads,
        spark_master=ls.spark_master,
        spark_partitions=ls.spark_partitions,
        spark_conf=tuple(sorted(ls.spark_conf.items())),
        work_dir=ls.spark_dir or settings.state_dir / "linkage" / "spark",
        memory_limit=ls.duckdb_memory_limit,
        temp_dir=settings.state_dir / "linkage" / "tmp",
        chunk_records=ls.chunk_records,
        train_records=ls.train_records,
    )


@dataclass
class Scoring:
    mode: str  # "probabilistic" or "deterministic only"
    pairs: list[engine.ScoredPair]  # record pairs at or above the lower of review and floor
    records: int
    pending: int
    trained_now: bool
    upto: int
    warnings: list[str] = field(default_factory=list)
    verified: frozenset[str] = frozenset()  # persons with a verified NHS number
    records_of: dict[str, list[str]] = field(default_factory=dict)  # person -> record ids
    thresholds: Thresholds | None = None  # chosen from the scores (None: nothing scored)

    def decide(
        self,
        model: LinkageModel,
        existing: list[tuple[str, str]] | None = None,
        rejected: frozenset[tuple[str, str]] = frozenset(),
    ) -> tuple[Decisions, OperatingPoint]:
        """Links, review tasks and clusters under the cluster rule, and what to expect."""
        thresholds = self.thresholds or model.thresholds
        out = decide(
            self.pairs,
            model,
            thresholds,
            records_of=self.records_of,
            verified=self.verified,
            existing=existing or [],
            rejected=rejected,
        )
        probs = [p.match_probability for p in best_pairs(self.pairs).values()]
        point = expected(probs, out.link_probabilities, out.review_probabilities, thresholds)
        return out, point


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
    point: OperatingPoint | None = None  # thresholds chosen and what the model expects
    held: dict[str, int] = field(default_factory=dict)  # candidate links held back, by reason


def score(
    store: EvidenceStore,
    model: LinkageModel,
    domain: str,
    *,
    retrain: bool = False,
    full: bool = False,
    threads: int = 1,
    progress: Progress | None = None,
    engine_cfg: EngineConfig | None = None,
) -> Scoring:
    """Steps 1-3 without the graph: person pairs at or above the review threshold."""
    say = progress or (lambda _s, _f: None)
    upto = store.high_water()
    say("reading encoded evidence", 0.05)
    frame = store.frame(domain, upto)
    pending = int(frame["pending"].sum()) if len(frame) else 0
    verified = frozenset(str(x) for x in frame.loc[frame["nhs_verified"], "person_id"])
    records_of: dict[str, list[str]] = {}
    for rec, person in zip(frame["record_id"], frame["person_id"], strict=True):
        records_of.setdefault(str(person), []).append(str(rec))
    trained = None if retrain else store.trained(model.model_version)
    trained_now = False
    if trained is None:
        try:
            trained = engine.train(
                frame, model, threads=threads, progress=lambda s: say(s, 0.3), engine=engine_cfg
            )
        except engine.TrainingFailed as exc:
            msg = f"probabilistic linkage skipped: {exc}; deterministic linkage only"
            log.warning(msg)
            return Scoring(
                "deterministic only",
                [],
                len(frame),
                pending,
                False,
                upto,
                [msg],
                verified,
                records_of,
            )
        store.save_trained(model.model_version, trained, len(frame))
        trained_now = True
    rescore_all = full or retrain
    if not rescore_all and pending == 0:
        return Scoring(
            "probabilistic", [], len(frame), pending, trained_now, upto, [], verified, records_of
        )
    say("scoring candidate pairs", 0.6)
    scored = engine.predict(
        frame,
        model,
        trained,
        pending_only=not rescore_all,
        threads=threads,
        engine=engine_cfg,
        progress=lambda s: say(s, 0.6),
    )
    probs = [p.match_probability for p in best_pairs(scored).values()]
    thresholds = choose_thresholds(probs, model.thresholds, model.decision)
    return Scoring(
        "probabilistic",
        scored,
        len(frame),
        pending,
        trained_now,
        upto,
        [],
        verified,
        records_of,
        thresholds,
    )


def run_linkage(
    driver: Driver,
    settings: Settings,
    *,
    progress: Progress | None = None,
    model_path: Path | None = None,
    retrain: bool = False,
    full: bool = False,
    threads: int | None = None,
    engine_name: str | None = None,
) -> LinkSummary:
    """Link the evidence stored for the settings' domain and write the outcome to Neo4j."""
    t0 = time.monotonic()
    say = progress or (lambda _s, _f: None)
    model = load_model(model_path)
    domain = settings.privacy.domain
    graph = LinkGraph(driver, settings.neo4j.database)
    cfg = engine_config(settings, engine_name, threads)
    with EvidenceStore(default_path(settings.state_dir), pseudonymiser_for(settings)) as store:
        scoring = score(
            store, model, domain, retrain=retrain, full=full, progress=say, engine_cfg=cfg
        )
        say("writing links and review tasks", 0.8)
        summary = _write(graph, domain, model, scoring)
        if scoring.mode == "probabilistic":
            store.mark_linked(domain, scoring.upto)
        if summary.point is not None and scoring.pairs:
            store.save_point(model.model_version, summary.point.as_dict())
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
    best = best_pairs(scoring.pairs)
    review_at = scoring.thresholds.review if scoring.thresholds else model.thresholds.review
    candidates = [k for k, p in best.items() if p.match_probability >= review_at]
    statuses = graph.task_statuses([task_id(*k) for k in candidates]) if candidates else {}
    rejected = frozenset(k for k in candidates if statuses.get(task_id(*k)) == "rejected")
    existing = graph.links(domain)
    decisions, point = scoring.decide(model, existing, rejected)
    summary.point = point
    summary.held = dict(decisions.held)
    involved = sorted({x for p in decisions.links + decisions.reviews for x in (p.a, p.b)})
    present = graph.existing_persons(domain, involved) if involved else set()
    link_rows = [_row(p, model) for p in decisions.links if p.a in present and p.b in present]
    summary.merges = len(link_rows)
    review_rows = [
        {**_row(p, model), "task_id": task_id(p.a, p.b)}
        for p in decisions.reviews
        if p.a in present
        and p.b in present
        and decisions.clusters.get(p.a, p.a) != decisions.clusters.get(p.b, p.b)
    ]
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
