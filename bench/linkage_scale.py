"""Linkage memory and time against the number of people (docs/benchmarks.md, "Linkage at scale").

    .venv/bin/python bench/linkage_scale.py --people 50000 100000 200000

For each size: generated people at five trusts (loaders.generate.population/records, seed 1)
are encoded into an evidence store (kept in --work between runs), then one child process
per size runs what ``openfdp link run`` runs before it writes to the graph: read the
evidence, train the model, score every pair, decide links, review tasks and clusters. It
prints the wall time of each phase and the child's peak RSS, with the settings of
``OPENFDP_LINKAGE__*`` (memory limit, chunk and training sample sizes) in force.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

TRUSTS = ["RA1", "RB2", "RC3", "RD4", "RE5"]
KEY = b"benchmark-key"
DOMAIN = "scale"


def build(people: int, path: Path) -> None:
    """The evidence store of `people` generated people (no graph: evidence only)."""
    from openfdp.loaders.generate.population import generate_population  # noqa: PLC0415
    from openfdp.loaders.generate.records import record_evidence, trust_records  # noqa: PLC0415
    from openfdp.loaders.linkage import EvidenceStore  # noqa: PLC0415
    from openfdp.loaders.privacy import Pseudonymiser  # noqa: PLC0415

    t = time.perf_counter()
    recs = trust_records(generate_population(people, 1, date(2026, 11, 1)), TRUSTS, 1)
    ps = Pseudonymiser(key=KEY, domain=DOMAIN)
    part = path.with_suffix(".part")
    part.unlink(missing_ok=True)
    with EvidenceStore(part, ps) as store:
        for i in range(0, len(recs), 50_000):
            store.add([record_evidence(r, ps) for r in recs[i : i + 50_000]])
        rows = store.count()
    part.rename(path)
    print(f"  {people:,} people: {len(recs):,} records, {rows:,} evidence rows, "
          f"encoded in {time.perf_counter() - t:.0f} s", flush=True)  # fmt: skip


def one(path: Path) -> None:
    """The child: score and decide on a copy of the store; phases and peak RSS."""
    from openfdp.loaders.linkage import EvidenceStore, load_model, score  # noqa: PLC0415
    from openfdp.loaders.linkage.run import engine_config  # noqa: PLC0415
    from openfdp.loaders.privacy import Pseudonymiser  # noqa: PLC0415
    from openfdp.settings import get_settings  # noqa: PLC0415

    t0 = time.perf_counter()
    phases: list[str] = []

    def say(step: str, _f: float) -> None:
        phases.append(f"{time.perf_counter() - t0:.0f}s {step}")

    model = load_model()
    cfg = engine_config(get_settings())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "evidence.duckdb"
        work.write_bytes(path.read_bytes())
        with EvidenceStore(work, Pseudonymiser(key=KEY, domain=DOMAIN)) as store:
            scoring = score(store, model, DOMAIN, full=True, progress=say, engine_cfg=cfg)
            decisions, _ = scoring.decide(model)
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"    {scoring.records:,} records, {len(scoring.pairs):,} pairs kept, "
          f"{len(decisions.links):,} links, {len(decisions.reviews):,} review tasks")  # fmt: skip
    print(f"    phases: {'; '.join(phases)}")
    print(
        f"    {wall:.0f} s, peak RSS {rss:,.0f} MiB (memory limit {cfg.memory_limit}, chunks "
        f"of {cfg.chunk_records:,} records, training sample {cfg.train_records:,})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, nargs="+", default=[50_000, 100_000, 200_000])
    ap.add_argument("--work", type=Path, default=Path(".openfdp/bench-linkage-scale"))
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"linkage against the number of people (DuckDB, {os.cpu_count()} cores)")
    for people in args.people:
        path = args.work / f"evidence-{people}.duckdb"
        if not path.exists():
            build(people, path)
        print(f"  {people:,} people:", flush=True)
        code = subprocess.call([sys.executable, __file__, "--one", str(path)])
        if code:
            print(f"    the linkage child failed (exit {code})")


if __name__ == "__main__":
    main()
