"""Before and after: the full pipeline of an earlier commit against this checkout, by CPU.

    .venv/bin/python bench/load_ab.py --before 37a3e41 --patients 2000 --rounds 2

On a shared machine wall time swings with other work; CPU seconds swing much less. For each
round, the same generated extracts are loaded by `run_load` (read, map, validate,
pseudonymise, provenance, writes) into an emptied graph of the Neo4j of the current settings
(WIPED), once with the code of `--before` (a `git archive` of that commit on PYTHONPATH) and
once with this checkout, alternating, each in its own process. Reported per run: wall
seconds, the loader's CPU seconds (all its threads), the Neo4j server's CPU seconds over the
load, and records per CPU second of both together (the rate the pipeline would reach with
both processes on two otherwise idle cores is at most 2x that).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def child(data: Path) -> None:
    import psutil  # noqa: PLC0415 - the code under test comes from PYTHONPATH

    from openfdp.loaders.pipeline import run_load  # noqa: PLC0415
    from openfdp.loaders.pipeline_inputs import fingerprint_files, map_context  # noqa: PLC0415
    from openfdp.loaders.privacy import Pseudonymiser  # noqa: PLC0415
    from openfdp.loaders.readers import trust_csv  # noqa: PLC0415
    from openfdp.ontology import load_ontology  # noqa: PLC0415
    from openfdp.settings import get_settings  # noqa: PLC0415
    from openfdp.store import local_server  # noqa: PLC0415
    from openfdp.store.driver import open_driver  # noqa: PLC0415
    from openfdp.store.schema import apply_ontology  # noqa: PLC0415

    cfg = get_settings()
    ontology = load_ontology()
    server = psutil.Process(local_server.running_pid(cfg))
    files = sorted(p for p in data.glob("*.csv") if "answers" not in p.name)
    ctx = map_context(pseudonymiser=Pseudonymiser(key=b"bench", domain="bench"), ontology=ontology)
    with open_driver(cfg) as driver, tempfile.TemporaryDirectory() as q:
        with driver.session() as session:
            session.run("MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS")
            session.run("MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS")
        apply_ontology(driver, ontology)
        s0 = sum(server.cpu_times()[:2])
        c0, t0 = time.process_time(), time.perf_counter()
        summary = run_load(
            driver, source="csv", outcomes=trust_csv.outcomes(files, ctx), ontology=ontology,
            input_fingerprint=fingerprint_files(files), quarantine_dir=Path(q),
        )  # fmt: skip
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        neo = sum(server.cpu_times()[:2]) - s0
    print(json.dumps({"records": summary.read, "wall": wall, "loader": cpu, "neo4j": neo}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="37a3e41")
    ap.add_argument("--patients", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        old, data = Path(tmp) / "before", Path(tmp) / "data"
        old.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.before, "openfdp"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        code = (
            "import sys; from pathlib import Path; from openfdp.loaders.generate import generate; "
            "from openfdp.settings import REFERENCE_DATA_DIR as D; "
            "generate(Path(sys.argv[1]), data_dir=D, trusts=3, patients=int(sys.argv[2]), seed=1)"
        )
        subprocess.run([sys.executable, "-c", code, str(data), str(args.patients)], check=True)
        totals: dict[str, list[float]] = {"before": [], "after": []}
        for r in range(args.rounds):
            for name, path in (("before", str(old)), ("after", str(ROOT))):
                env = {**os.environ, "PYTHONPATH": path}
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", str(data)],
                    env=env, cwd=tmp, check=True, capture_output=True, text=True,
                )  # fmt: skip
                m = json.loads(proc.stdout.strip().splitlines()[-1])
                per_cpu = m["records"] / (m["loader"] + m["neo4j"])
                totals[name].append(per_cpu)
                print(
                    f"round {r + 1} {name:6} {m['records']:,} records: wall {m['wall']:7.1f} s "
                    f"({m['records'] / m['wall']:6,.0f} rec/s) | cpu loader {m['loader']:6.1f} s, "
                    f"neo4j {m['neo4j']:6.1f} s | {per_cpu:6,.0f} records per CPU second",
                    flush=True,
                )
        b, a = (sum(totals[k]) / len(totals[k]) for k in ("before", "after"))
        print(f"records per CPU second (loader + neo4j): before {b:,.0f}, after {a:,.0f}: "
              f"{a / b:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
