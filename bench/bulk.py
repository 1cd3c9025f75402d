"""Bulk backfill benchmark: `openfdp db import` (neo4j-admin import) with 1..N mapping
processes, against the incremental pipeline (`openfdp load`), on the same generated extracts.

    .venv/bin/python bench/bulk.py --patients 5000 --workers 1 2   # side by side
    .venv/bin/python bench/bulk.py --patients 50000 --workers 2 --no-incremental

Uses the LOCAL Neo4j of the current settings (OPENFDP_STATE_DIR, OPENFDP_NEO4J__*); its graph
is WIPED, and the bulk step stops and restarts it. Steps: generate the trust extracts (a
subprocess); incremental (unless --no-incremental): apply the ontology, `run_load` of the
extracts in this process, timed; then for each --workers value: wipe, remove the linkage
evidence store, and run `openfdp db import --csv <files> --workers N` as its own process:
its phases (read/validate/pseudonymise/map + merge into files; server stop + import + start;
schema) and rates from its output, its peak RSS from wait4 (ru_maxrss: the largest of the
command, its mapping workers and the neo4j-admin JVM it waits for) and the command's own
figures (peak RSS of its Python process and of its largest worker, measured before the
import runs; the most rows a collector held). Every graph's fingerprint is compared with
the first. Results go in docs/benchmarks.md ("Bulk backfill").
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openfdp.loaders.linkage.store import default_path
from openfdp.loaders.pipeline import run_load
from openfdp.loaders.pipeline_inputs import fingerprint_files, map_context
from openfdp.loaders.privacy import pseudonymiser_for
from openfdp.loaders.readers import trust_csv
from openfdp.ontology import load_ontology
from openfdp.settings import get_settings
from openfdp.store import local_server
from openfdp.store.driver import open_driver
from openfdp.store.fingerprint import graph_counts, graph_fingerprint
from openfdp.store.schema import apply_ontology

sys.path.insert(0, str(Path(__file__).parent))
from load import wipe

SUMMARY = re.compile(
    r"bulk import: ([\d,]+) records .* in ([\d.]+)s .*mapping ([\d.]+)s, import ([\d.]+)s, "
    r"schema ([\d.]+)s\)"
)
MAPPING = re.compile(
    r"mapping: (\d+) process\(es\), ([\d,]+) records/s; peak RSS ([\d,]+) MiB \(this process\), "
    r"([\d,]+) MiB \(largest worker\); at most ([\d,]+) rows held"
)


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def bulk_run(files: list[Path], workers: int, quarantine: Path) -> dict[str, float]:
    """`openfdp db import` in its own process; its figures and wait4's peak RSS (MiB)."""
    argv = [str(Path(sys.executable).parent / "openfdp"), "db", "import",
            *(a for f in files for a in ("--csv", str(f))),
            "--workers", str(workers), "--quarantine", str(quarantine)]  # fmt: skip
    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env={**os.environ,
                            "COLUMNS": "300"})  # fmt: skip
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) not in {0, 1}:
        raise SystemExit(f"openfdp db import failed:\n{out}")
    summary, mapping = SUMMARY.search(out), MAPPING.search(out)
    if summary is None or mapping is None:
        raise SystemExit(f"unexpected output of openfdp db import:\n{out}")
    records, seconds, map_s, import_s, schema_s = (_num(g) for g in summary.groups())
    return {
        "workers": workers, "records": records, "seconds": seconds, "wall": wall,
        "map_s": map_s, "import_s": import_s, "schema_s": schema_s,
        "map_rate": _num(mapping.group(2)), "rss_self": _num(mapping.group(3)),
        "rss_worker": _num(mapping.group(4)), "held": _num(mapping.group(5)),
        "rss_wait4": usage.ru_maxrss / 1024,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=20_000)
    ap.add_argument("--trusts", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--no-incremental", action="store_true", help="Bulk runs only.")
    args = ap.parse_args()
    s = get_settings()
    ontology = load_ontology()
    ctx = map_context(pseudonymiser=pseudonymiser_for(s), ontology=ontology)
    local_server.start(s)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "extracts"
        subprocess.run(
            [sys.executable, "-c",
             "import sys; from pathlib import Path; from openfdp.loaders.generate import generate; "
             "from openfdp.settings import REFERENCE_DATA_DIR as D; "
             "generate(Path(sys.argv[1]), data_dir=D, trusts=int(sys.argv[2]), "
             "patients=int(sys.argv[3]), seed=int(sys.argv[4]))",
             str(out), str(args.trusts), str(args.patients), str(args.seed)],
            check=True,
        )  # fmt: skip
        files = sorted(
            p for p in out.glob("*.csv") if p.name not in {"answers.csv", "rtt_answers.csv"}
        )
        fingerprints, runs, counts, inc_s, records = [], [], None, None, 0
        if not args.no_incremental:
            with open_driver(s) as driver:
                wipe(driver)
                apply_ontology(driver, ontology)
                t0 = time.perf_counter()
                inc = run_load(
                    driver, source="csv", outcomes=trust_csv.outcomes(files, ctx),
                    ontology=ontology, input_fingerprint=fingerprint_files(files),
                    quarantine_dir=Path(tmp) / "q0",
                )  # fmt: skip
                inc_s, records = time.perf_counter() - t0, inc.read
                fingerprints.append(graph_fingerprint(driver))
                counts = graph_counts(driver)
        for n, workers in enumerate(args.workers):
            local_server.start(s)
            with open_driver(s) as driver:
                wipe(driver)
            shutil.rmtree(default_path(s.state_dir).parent, ignore_errors=True)
            runs.append(bulk_run(files, workers, Path(tmp) / f"q{n + 1}"))
            with open_driver(s) as driver:
                fingerprints.append(graph_fingerprint(driver))
                counts = counts or graph_counts(driver)
            records = int(runs[-1]["records"])
    assert counts is not None
    print(f"records: {records:,}  graph: {counts['nodes']:,} nodes, "
          f"{counts['relationships']:,} relationships  (reference data not loaded)")  # fmt: skip
    if inc_s is not None:
        print(f"incremental (openfdp load, in this process): {inc_s:.1f} s, "
              f"{records / inc_s:,.0f} records/s")  # fmt: skip
    print("| workers | end to end s | records/s | mapping + files s | mapping records/s "
          "| stop + import + start s | schema s | peak RSS wait4 MiB | python MiB "
          "| largest worker MiB | rows held |")  # fmt: skip
    print("|---:" * 11 + "|")
    for r in runs:
        print(f"| {r['workers']:.0f} | {r['seconds']:.1f} | {r['records'] / r['seconds']:,.0f} "
              f"| {r['map_s']:.1f} | {r['map_rate']:,.0f} | {r['import_s']:.1f} "
              f"| {r['schema_s']:.1f} | {r['rss_wait4']:,.0f} | {r['rss_self']:,.0f} "
              f"| {r['rss_worker']:,.0f} | {r['held']:,.0f} |")  # fmt: skip
    print(f"same graph (fingerprint) in every run: {len(set(fingerprints)) == 1}")


if __name__ == "__main__":
    main()
