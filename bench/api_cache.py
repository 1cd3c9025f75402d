"""The answer cache of the ICB-wide reads, measured: bench/scale.py's API step with the cache
off and on, side by side.

    export OPENFDP_STATE_DIR=.openfdp/cachebench OPENFDP_NEO4J__BOLT_PORT=7835 \\
        OPENFDP_NEO4J__HEAP=512m OPENFDP_NEO4J__PAGECACHE=512m
    .venv/bin/python bench/scale.py --people 5000 --skip-api   # the graph (WIPED first)
    .venv/bin/python bench/api_cache.py --requests 100 --port 7836

For each setting (``OPENFDP_API__ANSWER_CACHE_SIZE=0``, then the default) an ``openfdp``
API server (uvicorn, one worker) is started on the graph of the current settings, with a
real ICS token (planning), the audit on. After a warm-up (which fills the cache when it is
on), scale.py's three queries at 1 and 32 clients: p50, p95, requests/s. Then cold bursts:
32 simultaneous requests for an answer not asked before (a new ``asOf``), timed until all
are answered (with the cache on, one computes and 31 wait for it). The 1-, 5- and 15-minute
load averages are printed before and after each setting. Results go in docs/benchmarks.md
("An ICS on one box").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from openfdp.services.auth import mint_token
from openfdp.settings import get_settings

sys.path.insert(0, str(Path(__file__).parent))
from api import (
    LeanPool,
    graphql_call,
    sample,
    start_uvicorn,
    stop,
)
from scale import ICB, ics_targets, measure_targets

WAITING_AT = """
query($icb: String!, $asOf: Date) { waitingList(icb: $icb, groupBy: TFC, asOf: $asOf) {
  total { incompletePathways pctWithin18Weeks }
  rows { nodes { key incompletePathways within18Weeks pctWithin18Weeks over52Weeks
                 over65Weeks over78Weeks } }
  disclosurePolicy { name version } } }
"""
LONG_AT = """
query($icb: String!, $asOf: Date) {
  longWaiters(icb: $icb, minWeeks: 52, first: 50, asOf: $asOf) {
  nodes { id providerOds treatmentFunctionCode daysWaiting } } }
"""
BURSTS = 3


def loadavg() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


async def one_setting(
    cache_size: int | None, requests: int, port: int, ids: list[str]
) -> dict[tuple[str, int], dict[str, float] | str]:
    s = get_settings()
    token = mint_token(s, "bench", ICB, ["ics_user"], "planning", 3600)
    auth = {"Authorization": f"Bearer {token}"}
    url = f"http://127.0.0.1:{port}/graphql"
    env = {} if cache_size is None else {"OPENFDP_API__ANSWER_CACHE_SIZE": str(cache_size)}
    api = start_uvicorn(s, "openfdp.api.app:create_app", port, "/healthz", env)
    lean = LeanPool()
    out: dict[tuple[str, int], dict[str, float] | str] = {}
    label = "off" if cache_size == 0 else "on"
    try:
        targets = ics_targets(lean, url, auth, ids, WAITING_AT)
        out.update(
            await measure_targets(
                targets, requests, f"  cache {label} ", lambda: f"  load {loadavg()}"
            )
        )
        for name, query in (("waitingList", WAITING_AT), ("longWaiters", LONG_AT)):
            walls: list[float] = []
            for b in range(BURSTS):  # a date no request asked for yet: a cold entry
                as_of = (date.today() - timedelta(days=100 + b)).isoformat()
                call = graphql_call(lean.post, url, query,
                                    lambda i, a=as_of: {"icb": ICB, "asOf": a}, auth)  # fmt: skip
                t = time.perf_counter()
                try:
                    await asyncio.gather(*(call(i) for i in range(32)))
                except (SystemExit, OSError, asyncio.IncompleteReadError) as exc:
                    out[(f"{name} cold burst", 32)] = f"failed: {str(exc)[:120]}"
                    break
                walls.append(time.perf_counter() - t)
            if walls:
                med = 1000 * statistics.median(walls)
                out[(f"{name} cold burst", 32)] = {"p50": med, "p95": float("nan"), "rps": 0.0}
            print(f"  cache {label} {name} cold burst of 32: "
                  f"{out[(f'{name} cold burst', 32)]}  load {loadavg()}", flush=True)  # fmt: skip
    finally:
        stop(api)
        await lean.close()
    return out


def cell(r: dict[str, float] | str | None) -> str:
    if r is None or isinstance(r, str):
        return r or "–"
    return f"{r['p50']:,.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--port", type=int, default=7836, help="port of the API server started")
    ap.add_argument("--on-first", action="store_true", help="measure with the cache on first")
    args = ap.parse_args()
    ids, total = sample(get_settings(), ICB, 500)
    print(f"{total:,} pathways at the trusts of {ICB}; load {loadavg()}")
    results: dict[str, dict[tuple[str, int], dict[str, float] | str]] = {}
    settings: list[tuple[str, int | None]] = [("off", 0), ("on", None)]
    for label, size in reversed(settings) if args.on_first else settings:
        print(f"cache {label}: load before {loadavg()}", flush=True)
        results[label] = asyncio.run(one_setting(size, args.requests, args.port, ids))
        print(f"cache {label}: load after {loadavg()}", flush=True)
    print("\n| query | clients | cache off p50 ms | off req/s | cache on p50 ms | on req/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for key in results["off"]:
        off, on = results["off"][key], results["on"].get(key)
        rps = [f"{r['rps']:,.1f}" if isinstance(r, dict) and r["rps"] else "–" for r in (off, on)]
        print(f"| {key[0]} | {key[1]} | {cell(off)} | {rps[0]} | {cell(on)} | {rps[1]} |")


if __name__ == "__main__":
    main()
