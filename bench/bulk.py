"""Bulk backfill benchmark: `openfdp db import` (neo4j-admin import) against the incremental
pipeline (`openfdp load`) on the same generated extracts, in the same run.

    .venv/bin/python bench/bulk.py                    # 20,000 patients
    .venv/bin/python bench/bulk.py --patients 100000

Uses the LOCAL Neo4j of the current settings (OPENFDP_STATE_DIR, OPENFDP_NEO4J__*); its graph
is WIPED, and the bulk step stops and restarts it. Steps: generate the trust extracts (a
subprocess); incremental: apply the ontology, `run_load` of the extracts, timed; wipe; bulk:
`bulk_load` of the same extracts, timed per phase (read/validate/pseudonymise/map + files,
server stop + import + start, schema); both graphs' fingerprints are compared. Results go in
docs/benchmarks.md ("Bulk backfill").
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openfdp.loaders.bulk import BulkFeed, bulk_load
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=20_000)
    ap.add_argument("--trusts", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    s = get_settings()
    ontology = load_ontology()
    ctx = map_context(
        pseudonymiser=pseudonymiser_for(s),
        ontology=ontology,
    )
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
        with open_driver(s) as driver:
            wipe(driver)
            apply_ontology(driver, ontology)
            t0 = time.perf_counter()
            inc = run_load(
                driver, source="csv", outcomes=trust_csv.outcomes(files, ctx), ontology=ontology,
                input_fingerprint=fingerprint_files(files), quarantine_dir=Path(tmp) / "q1",
            )  # fmt: skip
            inc_s = time.perf_counter() - t0
            inc_fp = graph_fingerprint(driver)
            counts = graph_counts(driver)
            wipe(driver)
        feed = BulkFeed("csv", trust_csv.outcomes, files, files)
        res = bulk_load(
            s, ontology, [feed], ctx, work_dir=Path(tmp) / "bulk", quarantine_dir=Path(tmp) / "q2"
        )
        with open_driver(s) as driver:
            same = graph_fingerprint(driver) == inc_fp
    records = inc.read
    print(f"records: {records:,}  graph: {counts['nodes']:,} nodes, "
          f"{counts['relationships']:,} relationships  (reference data not loaded)")  # fmt: skip
    print(f"incremental (openfdp load): {inc_s:8.1f} s  {records / inc_s:10,.0f} records/s")
    print(
        f"bulk (openfdp db import):   {res.seconds:8.1f} s  {records / res.seconds:10,.0f} "
        f"records/s  = {inc_s / res.seconds:.1f}x faster"
    )
    print(
        f"  bulk phases: read/validate/pseudonymise/map + files {res.map_seconds:.1f} s "
        f"({records / res.map_seconds:,.0f} records/s); server stop + import + start "
        f"{res.import_seconds:.1f} s; constraints + indexes {res.schema_seconds:.1f} s"
    )
    print(f"same graph (fingerprint): {same}")


if __name__ == "__main__":
    main()
