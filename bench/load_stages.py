"""Loading, stage by stage: where the time of the incremental pipeline goes.

    .venv/bin/python bench/load_stages.py --patients 5000
    .venv/bin/python bench/load_stages.py --data DIR          # extracts already generated

Uses the Neo4j of the current settings (OPENFDP_* / NEO4J_* variables); the graph is WIPED.
Each stage is timed on its own over the same generated trust extracts, in one process, with
nothing else of the pipeline running: reading and mapping (CSV rows to mapped records, which
includes pseudonymisation), validation (ontology checks and datatype coercion), buffering
(provenance rows, grouping, de-duplication: the parameters of the writes), then the writes
alone of the buffered batches — the pipeline's writer, and the ceiling (bare ``UNWIND
CREATE`` of the distinct rows) — each on an emptied graph. Pseudonymisation alone is timed
over the identifiers of the extracts. Results go in docs/benchmarks.md ("Where the time goes").
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from openfdp.loaders.model import MappedRecord
from openfdp.loaders.pipeline_batch import RowBatch, buffer_record
from openfdp.loaders.pipeline_inputs import map_context
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import trust_csv
from openfdp.loaders.validation import OntologyIndex
from openfdp.ontology import load_ontology
from openfdp.settings import get_settings
from openfdp.store import local_server
from openfdp.store.driver import open_driver
from openfdp.store.schema import apply_ontology
from openfdp.store.writer import GraphWriter

sys.path.insert(0, str(Path(__file__).parent))
import legacy_batch
from legacy_writer import GraphWriter as LegacyWriter
from load import wipe
from load_ceiling import BareWriter


def generate(out: Path, patients: int, trusts: int) -> None:
    code = (
        "import sys; from pathlib import Path; from openfdp.loaders.generate import generate; "
        "from openfdp.settings import REFERENCE_DATA_DIR as D; "
        "generate(Path(sys.argv[1]), data_dir=D, trusts=int(sys.argv[2]), "
        "patients=int(sys.argv[3]), seed=1)"
    )
    subprocess.run([sys.executable, "-c", code, str(out), str(trusts), str(patients)], check=True)


class Clock:
    """Wall seconds, this process's CPU seconds and the Neo4j server's CPU seconds (the CPU
    figures are steadier than wall time on a shared machine)."""

    def __init__(self, server_pid: int | None) -> None:
        self._server = psutil.Process(server_pid) if server_pid else None

    def _server_cpu(self) -> float:
        if self._server is None:
            return 0.0
        t = self._server.cpu_times()
        return float(t.user + t.system)

    def start(self) -> None:
        self._t = (time.perf_counter(), time.process_time(), self._server_cpu())

    def stage(self, name: str, records: int) -> None:
        wall = time.perf_counter() - self._t[0]
        cpu = time.process_time() - self._t[1]
        server = self._server_cpu() - self._t[2]
        print(
            f"{name:<50} wall {wall:7.2f} s {records / wall:9,.0f} rec/s | "
            f"cpu loader {cpu:6.2f} s, neo4j {server:6.2f} s"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=5000)
    ap.add_argument("--trusts", type=int, default=3)
    ap.add_argument("--data", type=Path)
    ap.add_argument("--batch-size", type=int, default=2000)
    ap.add_argument("--skip-ceiling", action="store_true")
    ap.add_argument("--skip-before", action="store_true")
    args = ap.parse_args()
    ontology = load_ontology()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.data or Path(tmp)
        if args.data is None:
            generate(out, args.patients, args.trusts)
        files = sorted(p for p in out.glob("*.csv") if "answers" not in p.name)
        ctx = map_context(
            pseudonymiser=Pseudonymiser(key=b"bench", domain="bench"), ontology=ontology
        )
        cfg = get_settings()
        clock = Clock(None if cfg.neo4j.external else local_server.running_pid(cfg))
        clock.start()
        outcomes = list(trust_csv.outcomes(files, ctx))
        n = len(outcomes)
        mapped = [o for o in outcomes if isinstance(o, MappedRecord)]
        clock.stage("read + map (includes pseudonymisation)", len(outcomes))
        index = OntologyIndex(ontology)
        clock.start()
        ok = [o for o in mapped if index.check(o) is None]
        clock.stage("validation + coercion", len(outcomes))
        clock.start()
        batches: list[tuple[Any, Any]] = []
        seen: set[Any] = set()
        buf = RowBatch()
        for rec in ok:
            buffer_record(buf, rec, {"batch_id": "bench"}, seen)
            if buf.records >= args.batch_size:
                batches.append(buf.grouped())
                buf = RowBatch()
        batches.append(buf.grouped())
        clock.stage("buffering: provenance, grouping (write parameters)", len(outcomes))
        if not args.skip_before:
            clock.start()
            old = legacy_batch.RowBatch()
            for rec in ok:
                legacy_batch.buffer_record(old, rec, {"batch_id": "bench"}, set())
                if old.records >= args.batch_size:
                    old.grouped()
                    old = legacy_batch.RowBatch()
            clock.stage("buffering before (shapes built per row)", len(outcomes))
        nodes = sum(len(r) for b in batches for r in b[0].values())
        rels = sum(len(r) for b in batches for r in b[1].values())
        pseudo = Pseudonymiser(key=b"bench", domain="bench")
        clock.start()
        for i in range(n):
            pseudo.person_id(nhs_number=f"{9434765919 + i}")
        clock.stage("pseudonymisation alone (one token per record)", n)
        print(f"{n:,} records, {len(ok):,} valid; {nodes:,} node rows, {rels:,} rel rows "
              f"in {len(batches)} batches")  # fmt: skip
        with open_driver(cfg) as driver:
            wipe(driver)
            apply_ontology(driver, ontology)
            writers = (("the writer", GraphWriter), ("before: MERGE by keys", LegacyWriter))
            for label, cls in writers:
                if cls is LegacyWriter and args.skip_before:
                    continue
                wipe(driver)
                writer = cls(driver, ontology)
                clock.start()
                for nb, rb in batches:
                    writer.write(nb, rb, batch="bench")
                clock.stage(f"writes: {label}", n)
            if not args.skip_ceiling:
                wipe(driver)
                bare = BareWriter(driver, ontology)
                clock.start()
                for nb, rb in batches:
                    bare.write(nb, rb)
                clock.stage("writes: ceiling, plain UNWIND CREATE", n)
            wipe(driver)


if __name__ == "__main__":
    main()
