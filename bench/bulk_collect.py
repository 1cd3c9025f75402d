"""The bulk path's mapping alone (no Neo4j): read, validate, pseudonymise, map, collect and
write the import files of generated trust extracts, in a fresh process; wall and CPU
seconds (this process and its worker processes), records/s, peak RSS of this process and of
the largest worker (ru_maxrss of RUSAGE_SELF and RUSAGE_CHILDREN).

    .venv/bin/python bench/bulk_collect.py --patients 5000 --workers 1
    .venv/bin/python bench/bulk_collect.py --patients 20000 --workers 2

The same steps run against the code before the streaming collector (commit c1e3689, whose
``collect`` returned the in-memory graph) when that checkout comes first on PYTHONPATH:
``git archive c1e3689 | tar -x -C /tmp/before && PYTHONPATH=/tmp/before .venv/bin/python
bench/bulk_collect.py --patients 5000`` (there --workers is ignored). Results go in
docs/benchmarks.md ("Bulk backfill").
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from openfdp.loaders import bulk
from openfdp.loaders.generate import generate
from openfdp.loaders.pipeline_inputs import map_context
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import trust_csv
from openfdp.ontology import load_ontology
from openfdp.settings import REFERENCE_DATA_DIR


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=5_000)
    ap.add_argument("--trusts", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "extracts"
        generate(out, data_dir=REFERENCE_DATA_DIR, trusts=args.trusts, patients=args.patients,
                 seed=args.seed)  # fmt: skip
        files = sorted(
            p for p in out.glob("*.csv") if p.name not in {"answers.csv", "rtt_answers.csv"}
        )
        ontology = load_ontology()
        ctx = map_context(pseudonymiser=Pseudonymiser(key=b"bench", domain="bench"),
                          ontology=ontology)  # fmt: skip
        t, c = time.perf_counter(), _cpu()
        if hasattr(bulk, "write_files"):
            feed = bulk.BulkFeed("csv", trust_csv.outcomes, files, files, bulk.csv_chunks(files))
            graph, summaries, chunks = bulk.collect(
                [feed], ctx, ontology, quarantine_dir=Path(tmp) / "q",
                spill_dir=Path(tmp) / "spill", workers=args.workers,
            )  # fmt: skip
            bulk.write_files(graph, chunks, Path(tmp) / "import")
        else:  # the code before the streaming collector
            feed = bulk.BulkFeed("csv", trust_csv.outcomes, files, files)
            graph, summaries = bulk.collect([feed], ctx, ontology, quarantine_dir=Path(tmp) / "q")  # type: ignore[call-arg,misc]
            graph.write_csv(Path(tmp) / "import")  # type: ignore[attr-defined]
        wall, cpu = time.perf_counter() - t, _cpu() - c
    records = sum(s.read for _, s in summaries)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"patients {args.patients:,} workers {args.workers} records {records:,}: "
          f"wall {wall:.1f} s ({records / wall:,.0f} records/s), CPU {cpu:.1f} s "
          f"({records / cpu:,.0f} records per CPU-second); peak RSS {own:,.0f} MiB (this "
          f"process), {kids:,.0f} MiB (largest worker)")  # fmt: skip


if __name__ == "__main__":
    main()
