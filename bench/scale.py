"""An ICS on one box: bulk backfill, a weekly snapshot on top, linkage, then the API.

    .venv/bin/python bench/scale.py --people 20000
    .venv/bin/python bench/scale.py --people 1000000 --trusts 5      # the ICS-sized run

Uses the LOCAL Neo4j of the current settings (OPENFDP_STATE_DIR, OPENFDP_NEO4J__*); its graph
is WIPED. Steps, each command in its own process so its peak memory (VmHWM, from wait4's
ru_maxrss) is its own: generate P people across the trusts (week 0) and the same population
a week later (week 1); `openfdp db import` of the ODS reference data and week 0 (bulk);
`openfdp load csv` of week 1 (incremental, on top); `openfdp link run`; then the API
(`openfdp serve` under uvicorn, a real ICS token) at 1 and at 32 concurrent clients: one
pathway by id, the ICB waiting list by treatment function, and the ICB's long waiters
(52 weeks). Reports seconds and records/s of each step, peak RSS of each process, the Neo4j
server's VmHWM (/proc/<pid>/status; the server restarts during the bulk import, so this is
the server after it), the store size on disk and the page cache it was given.
Results go in docs/benchmarks.md ("An ICS on one box").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from openfdp.loaders.generate.extracts import AS_OF
from openfdp.loaders.readers import trust_csv
from openfdp.services.auth import mint_token
from openfdp.settings import REPO_ROOT, get_settings
from openfdp.store import local_server
from openfdp.store.driver import open_driver

sys.path.insert(0, str(Path(__file__).parent))
from api import (
    OPENFDP_PATHWAY,
    OPENFDP_PORT,
    OPENFDP_WAITING,
    LeanPool,
    graphql_call,
    measure,
    sample,
    start_openfdp,
    stop,
    summary,
)
from load import wipe

ODS = REPO_ROOT / "openfdp" / "data" / "nhs-ods-jhau-nhs-spend"
LONG_WAITERS = """
query($icb: String!) { longWaiters(icb: $icb, minWeeks: 52, first: 50) {
  nodes { id providerOds treatmentFunctionCode daysWaiting } } }
"""
ICB = "QOP"


def run_child(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run a command; (wall seconds, its peak RSS in MiB). Exit code 1 (some records
    quarantined) is not a failure here."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, env={**os.environ, **(env or {})}, cwd=REPO_ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in {0, 1}:
        raise SystemExit(f"{' '.join(argv[:4])} failed with exit code {proc.returncode}")
    return time.perf_counter() - t, usage.ru_maxrss / 1024


def generate(out: Path, people: int, trusts: int, seed: int, week: int) -> subprocess.Popen[bytes]:
    """Start generating one week's extracts (a child process; the caller waits)."""
    as_of = AS_OF + timedelta(days=7 * week)
    code = (
        "import sys, datetime; from pathlib import Path; "
        "from openfdp.loaders.generate import generate; "
        "from openfdp.settings import REFERENCE_DATA_DIR as D; "
        "generate(Path(sys.argv[1]), data_dir=D, trusts=int(sys.argv[2]), "
        "patients=int(sys.argv[3]), seed=int(sys.argv[4]), "
        "as_of=datetime.date.fromisoformat(sys.argv[5]))"
    )
    argv = [sys.executable, "-c", code, str(out), str(trusts), str(people), str(seed)]
    return subprocess.Popen([*argv, as_of.isoformat()])


def vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def du_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


#: one API request, numbered (what bench/api.py's ``measure`` calls)
Call = Callable[[int], Awaitable[None]]
#: p50, p95 (ms) and requests/s, or why the step failed
Result = dict[str, float] | str


def ics_targets(
    lean: LeanPool, url: str, auth: dict[str, str], ids: list[str], waiting: str = OPENFDP_WAITING
) -> list[tuple[str, Call]]:
    """The three API queries measured: a pathway by id, the ICB waiting list, long waiters."""
    return [
        ("pathway", graphql_call(lean.post, url, OPENFDP_PATHWAY,
                                 lambda i: {"id": ids[i % len(ids)]}, auth,
                                 lambda d: d["pathway"] is not None)),
        ("waitingList", graphql_call(lean.post, url, waiting, lambda i: {"icb": ICB}, auth)),
        ("longWaiters", graphql_call(lean.post, url, LONG_WAITERS, lambda i: {"icb": ICB}, auth)),
    ]  # fmt: skip


async def measure_targets(
    targets: list[tuple[str, Call]],
    requests: int,
    prefix: str = "  ",
    note: Callable[[], str] = lambda: "",
) -> dict[tuple[str, int], Result]:
    """A warm-up (10 calls of each; it fills an answer cache that is on, so the first call,
    timed and printed, is the one that computes), then each query at 1 and 32 clients,
    printed as it goes; a step that fails (e.g. the API's own 30 s timeout on a busy box) is
    recorded with its reason and the others go on."""
    for name, call in targets:
        t = time.perf_counter()
        try:
            await call(0)
            first = f"{1000 * (time.perf_counter() - t):8.1f} ms"
            for i in range(1, 10):
                await call(i)
        except (SystemExit, OSError, asyncio.IncompleteReadError) as exc:
            first = f"failed: {str(exc)[:120]}"
        print(f"{prefix}{name:12} first request {first}{note()}", flush=True)
    out: dict[tuple[str, int], Result] = {}
    for clients in (1, 32):
        for name, call in targets:
            try:
                lat, wall = await measure(call, 0, requests, clients)
            except (SystemExit, OSError, asyncio.IncompleteReadError) as exc:
                out[(name, clients)] = f"failed: {str(exc)[:120]}"
                print(
                    f"{prefix}{name:12} c={clients:<3} {out[(name, clients)]}{note()}", flush=True
                )
                continue
            res = summary(lat, wall)
            out[(name, clients)] = res
            line = f"p50 {res['p50']:8.1f} ms  p95 {res['p95']:8.1f} ms  {res['rps']:7.1f} req/s"
            print(f"{prefix}{name:12} c={clients:<3} {line}{note()}", flush=True)
    return out


async def api_latencies(requests: int) -> list[tuple[str, int, dict[str, float]]]:
    s = get_settings()
    ids, total = sample(s, ICB, 500)
    print(f"{total:,} pathways at the trusts of {ICB}")
    auth = {
        "Authorization": f"Bearer {mint_token(s, 'bench', ICB, ['ics_user'], 'planning', 3600)}"
    }
    url = f"http://127.0.0.1:{OPENFDP_PORT}/graphql"
    api = start_openfdp(s)
    lean = LeanPool()
    try:
        out = await measure_targets(ics_targets(lean, url, auth, ids), requests)
        print(f"API process: VmHWM {vm_hwm_mib(api.pid):,.0f} MiB (one uvicorn worker)")
    finally:
        stop(api)
        await lean.close()
    return [(name, c, r) for (name, c), r in out.items() if not isinstance(r, str)]


def _snapshot(s: Any, target: Path, restore: bool) -> None:
    """Copy the stopped server's data folder to `target` (or back, with `restore`)."""
    data = local_server.home_dir(s) / "data"
    local_server.stop(s)
    if restore:
        shutil.rmtree(data)
        shutil.copytree(target, data)
    else:
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(data, target)
    local_server.start(s)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=20_000)
    ap.add_argument("--trusts", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--work", type=Path, help="folder for the extracts (default: state dir)")
    ap.add_argument("--skip-api", action="store_true")
    ap.add_argument("--api-only", action="store_true", help="only the API step, on the graph there")
    ap.add_argument(
        "--resume",
        action="store_true",
        help="go on from the steps a run in the same folder finished (WORK/figures.json); "
        "an interrupted incremental load starts again from the copy of the graph taken "
        "after the bulk import (WORK/after-bulk)",
    )
    ap.add_argument(
        "--stop-after",
        choices=["generate", "bulk", "incremental"],
        help="stop after this step (go on later with --resume)",
    )
    args = ap.parse_args()
    s = get_settings()
    work = args.work or s.state_dir / "bench-scale"
    openfdp = [sys.executable, "-m", "openfdp.cli"]
    if args.api_only:
        asyncio.run(api_latencies(args.requests))
        return
    record = work / "figures.json"
    shape = {"people": args.people, "trusts": args.trusts, "seed": args.seed}
    done: dict[str, Any] = json.loads(record.read_text()) if args.resume and record.exists() else {}
    if done and done.get("shape") != shape:
        raise SystemExit(f"{record} is of another run ({done.get('shape')}); not resuming")

    def keep(name: str, value: Any) -> None:
        done[name] = value
        record.write_text(json.dumps({"shape": shape, **done}, indent=1))

    if "generate" not in done:
        t = time.perf_counter()
        # the two weeks side by side (one core each)
        kids = [generate(work / f"week{w}", args.people, args.trusts, args.seed, w) for w in (0, 1)]
        if [kid.wait() for kid in kids] != [0, 0]:
            raise SystemExit("generating the extracts failed")
        records = [trust_csv.count_rows([work / f"week{w}"]) for w in (0, 1)]
        keep("generate", {"records": records, "seconds": time.perf_counter() - t})
    if args.stop_after == "generate":
        return
    records = done["generate"]["records"]
    print(f"{args.people:,} people at {args.trusts} trusts: {records[0]:,} records (week 0), "
          f"{records[1]:,} (week 1), generated in {done['generate']['seconds']:.0f} s")  # fmt: skip
    local_server.start(s)
    if not done.keys() - {"generate"}:
        with open_driver(s) as driver:
            wipe(driver)
    q = str(work / "quarantine")
    steps = [
        ("bulk import (ODS + week 0)", records[0],
         [*openfdp, "db", "import", "--ods", str(ODS), "--csv", str(work / "week0"),
          "--quarantine", q]),
        ("incremental load (week 1)", records[1],
         [*openfdp, "load", "csv", str(work / "week1"), "--quarantine", q]),
        # DuckDB on every core: the server is idle until the links are written
        ("linkage (link run)", 0, [*openfdp, "link", "run", "--threads", str(os.cpu_count() or 1)]),
    ]  # fmt: skip
    for name, n, argv in steps:
        if name in done:
            wall, rss = done[name]
            print(f"{name:<30} {wall:8.1f} s  (an earlier run)", flush=True)
            continue
        if name.startswith("incremental"):
            # a copy of the graph after the bulk import: an interrupted run starts from it
            _snapshot(s, work / "after-bulk", restore=(work / "after-bulk.done").exists())
            (work / "after-bulk.done").touch()
        print(f"{name} … (from {time.strftime('%H:%M:%S')})", flush=True)
        wall, rss = run_child(argv)
        rate = f"{n / wall:10,.0f} records/s" if n else ""
        print(f"{name:<30} {wall:8.1f} s {rate}  peak RSS {rss:7.0f} MiB", flush=True)
        keep(name, (wall, rss))
        if args.stop_after and name.startswith(args.stop_after):
            return
    pid = local_server.running_pid(s)
    home = local_server.home_dir(s)
    store = du_mib(home / "data" / "databases" / s.neo4j.database)
    tx = du_mib(home / "data" / "transactions" / s.neo4j.database)
    hwm = vm_hwm_mib(pid) if pid else float("nan")
    print(
        f"neo4j: VmHWM {hwm:,.0f} MiB (heap {s.neo4j.heap_size}, page cache "
        f"{s.neo4j.pagecache_size}); store {store:,.0f} MiB + transaction logs {tx:,.0f} MiB"
    )
    if not args.skip_api:
        asyncio.run(api_latencies(args.requests))


if __name__ == "__main__":
    main()
