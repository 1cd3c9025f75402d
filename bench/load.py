"""Loading benchmark: the full pipeline against a bare `UNWIND $rows CREATE` of the same rows.

    .venv/bin/python bench/load.py                    # 100,000 patients
    .venv/bin/python bench/load.py --patients 10000   # quicker

Uses the Neo4j of the current settings (OPENFDP_* / NEO4J_* variables); the graph is WIPED.
Steps: generate the trust extracts (in a subprocess, so its memory is not counted); the
pipeline: `run_load` (read, validate, pseudonymise, map, MERGE with provenance) timed end
to end, with the loader's peak RSS above its starting point sampled every 10 ms; wipe; the
ceiling: map the same extracts again and time only `UNWIND $rows CREATE` of the distinct
final rows (same driver, same batches, no MERGE, no checks). Results go in
docs/benchmarks.md ("Loading").
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from neo4j import Driver
from openfdp.loaders.model import MappedRecord
from openfdp.loaders.pipeline import run_load
from openfdp.loaders.pipeline_batch import RowBatch, buffer_record
from openfdp.loaders.pipeline_inputs import fingerprint_files, map_context
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import trust_csv
from openfdp.loaders.validation import OntologyIndex
from openfdp.ontology import load_ontology
from openfdp.settings import REFERENCE_DATA_DIR, get_settings
from openfdp.store.driver import open_driver
from openfdp.store.schema import apply_ontology

sys.path.insert(0, str(Path(__file__).parent))
from load_ceiling import BareWriter

DATA = REFERENCE_DATA_DIR  # the ODS lists and RTT statistics shipped in openfdp/data
WIPE_RELS = "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS"
WIPE_NODES = "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS"


def wipe(driver: Driver) -> None:
    """Relationships first, so no transaction holds a node with 100,000s of them."""
    with driver.session() as session:
        session.run(WIPE_RELS).consume()
        session.run(WIPE_NODES).consume()


class PeakRss:
    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.01)

    def __enter__(self) -> PeakRss:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()

    @property
    def mib(self) -> float:
        return (self.peak - self.base) / 2**20


def bare_ceiling(driver: Driver, ontology: Any, ctx: Any, out: Path, batch_size: int) -> float:
    """Records/s of plain CREATE of the same graph (mapping time not counted)."""
    writer = BareWriter(driver, ontology)
    index = OntologyIndex(ontology)
    seen: set[Any] = set()
    spent, records = 0.0, 0

    def write(buf: RowBatch) -> float:
        nodes, rels = buf.grouped()
        t = time.perf_counter()
        writer.write(nodes, rels)
        return time.perf_counter() - t

    buf = RowBatch()
    for o in trust_csv.outcomes([out], ctx):
        if isinstance(o, MappedRecord) and index.check(o) is None:
            buffer_record(buf, o, {"batch_id": "bench"}, seen)
            records += 1
        if buf.records >= batch_size:
            spent += write(buf)
            buf = RowBatch()
    spent += write(buf)
    ceiling = records / spent
    print(
        f"ceiling  (plain UNWIND CREATE of the same graph, writes only): {records:,} records "
        f"in {spent:.1f}s = {ceiling:,.0f} records/s"
    )
    return ceiling


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=100_000)
    ap.add_argument("--trusts", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=2000)
    ap.add_argument("--skip-ceiling", action="store_true")
    args = ap.parse_args()
    cfg = get_settings()
    ontology = load_ontology()
    with tempfile.TemporaryDirectory() as tmp, open_driver(cfg) as driver:
        out = Path(tmp)
        t = time.perf_counter()
        code = (
            "from pathlib import Path; from openfdp.loaders.generate import generate; "
            f"generate(Path({str(out)!r}), data_dir=Path({str(DATA)!r}), trusts={args.trusts}, "
            f"patients={args.patients}, seed=1)"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
        rows = trust_csv.count_rows([out])
        print(
            f"generated {args.patients:,} patients, {rows:,} rows in {time.perf_counter() - t:.1f}s"
        )
        wipe(driver)
        apply_ontology(driver, ontology)  # constraints and indexes, for both runs
        ctx = map_context(
            pseudonymiser=Pseudonymiser(key=b"bench", domain="bench"), ontology=ontology
        )
        files = sorted(out.glob("*.csv"))
        with PeakRss() as mem:
            s = run_load(
                driver, source="csv", outcomes=trust_csv.outcomes([out], ctx), ontology=ontology,
                input_fingerprint=fingerprint_files(files), quarantine_dir=out / "q",
                batch_size=args.batch_size,
            )  # fmt: skip
        assert s.reconciles
        print(
            "pipeline (read+map+validate+MERGE+provenance): "
            f"{s.read:,} records in {s.seconds:.1f}s "
            f"= {s.records_per_s:,.0f} records/s; quarantined {s.quarantined}"
        )
        if not args.skip_ceiling:
            wipe(driver)  # constraints and indexes stay
            ceiling = bare_ceiling(driver, ontology, ctx, out, args.batch_size)
            print(f"ratio pipeline/ceiling: {s.records_per_s / ceiling:.2f}")
        print(f"loader peak RSS above start: {mem.mib:.0f} MiB at {args.patients:,} patients")
        wipe(driver)  # leave an empty graph (a test-suite wipe chokes on 100k-patient supernodes)


if __name__ == "__main__":
    main()
