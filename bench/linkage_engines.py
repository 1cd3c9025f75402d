"""The two linkage engines side by side (bench/linkage.py --engines): DuckDB and Spark.

The same model file, the same evidence and the same decision rule; only the SQL engine that
trains the model and scores the pairs differs. Time is wall clock of encode + train + score
(Spark: local mode, the JVM already started; its start is reported apart). Metrics are
pairwise over the project's auto-links, as in the main benchmark.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from openfdp.loaders.linkage import EvidenceStore, load_model, score
from openfdp.loaders.linkage.engine_spark import spark_session
from openfdp.loaders.linkage.engine_sql import EngineConfig
from openfdp.loaders.model import IdentityEvidence
from openfdp.loaders.privacy import Pseudonymiser

Pair = tuple[str, str]
Metrics = Callable[[str, list[Pair], set[Pair], tuple[float, float]], None]


def _links(
    evidence: list[IdentityEvidence], domain: str, ps: Pseudonymiser, cfg: EngineConfig
) -> tuple[list[Pair], float]:
    model = load_model()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with EvidenceStore(Path(tmp) / "evidence.duckdb", ps) as store:
            store.add(evidence)
            scoring = score(store, model, domain, engine_cfg=cfg)
        decisions, _ = scoring.decide(model)
        return [(p.a, p.b) for p in decisions.links], time.perf_counter() - t0


def febrl_subset(a: pd.DataFrame, b: pd.DataFrame, pairs: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first `pairs` originals of FEBRL4 A and their duplicates in B."""
    originals = a.sort_index().head(pairs)
    dups = b[b.index.str.replace(r"-dup-\d+$", "-org", regex=True).isin(originals.index)]
    return originals, dups


def compare(
    label: str,
    evidence: list[IdentityEvidence],
    domain: str,
    ps: Pseudonymiser,
    truth: set[Pair],
    metrics: Metrics,
    partitions: int,
) -> None:
    spark = EngineConfig(name="spark", spark_partitions=partitions)
    t0 = time.perf_counter()
    spark_session(spark)
    print(f"{label}: Spark session ready in {time.perf_counter() - t0:.1f}s (JVM start)")
    found: dict[str, set[Pair]] = {}
    for cfg in (EngineConfig(), spark):
        links, seconds = _links(evidence, domain, ps, cfg)
        found[cfg.name] = {tuple(sorted(p)) for p in links}  # type: ignore[misc]
        metrics(f"{label} engine {cfg.name} auto-links", links, truth, (seconds, 0.0))
    same = found["duckdb"] == found["spark"]
    print(f"{label}: the two engines' auto-links are {'identical' if same else 'DIFFERENT'}")


def realistic(people: int, seed: int, metrics: Metrics, partitions: int) -> None:
    """Generated households at three trusts; truth: persons (pseudo_ids) of one true person."""
    from linkage_realistic import AS_OF, TRUSTS, _evidence  # noqa: PLC0415

    from openfdp.loaders.generate.population import generate_population  # noqa: PLC0415
    from openfdp.loaders.generate.records import trust_records  # noqa: PLC0415

    recs = trust_records(generate_population(people, seed, AS_OF), TRUSTS, seed)
    ps = Pseudonymiser(key=b"benchmark-key", domain="realistic")
    evidence, pseudo = _evidence(recs, ps)
    persons_of: dict[str, set[str]] = {}
    for r in recs:
        persons_of.setdefault(r.true_person_id, set()).add(
            pseudo[f"{r.provider_ods}:{r.local_patient_id}"]
        )
    truth = {(x, y) for ps_ in persons_of.values() for x in ps_ for y in ps_ if x < y}
    print(f"realistic: {people} people, {len(recs)} records, {len(truth)} true person pairs")
    compare("realistic", evidence, "realistic", ps, truth, metrics, partitions)
