"""API benchmark: the same reads four ways, side by side, against the same Neo4j and data.

    OPENFDP_STATE_DIR=.openfdp/bench OPENFDP_NEO4J__BOLT_PORT=7706 \\
        .venv/bin/python bench/api.py                      # generate, load, measure
    .venv/bin/python bench/api.py --reuse --requests 200   # keep the loaded graph

Uses the Neo4j of the current settings (OPENFDP_* / NEO4J_* variables; a local server is
started if none runs). Unless --reuse finds a loaded graph, the graph is WIPED and reloaded
with generated trust extracts for one ICS (ODS reference data + trust CSV extracts).

Targets, each warmed up, then a bounded number of requests at 1 and at 32 concurrent
clients (loopback only), in rounds that interleave the targets:
- openfdp: HTTP to a uvicorn server started here (``create_app``, JWT of an ICS user for
  planning, so access policy, audit log and disclosure control all run);
- raw Cypher: the same Cypher statements openfdp runs, through the async driver, no HTTP;
- @neo4j/graphql (pathway query only): the Node server in bench/neo4j-graphql (installed
  with ``npm ci``), equivalent type definitions, same fields.
- raw Cypher behind bare HTTP (pathway only): the same statement in the thinnest ASGI
  handler on the same uvicorn (bench/raw_http.py): no auth, GraphQL or audit;
- the floor: ``{ __typename }`` through openfdp with the same token, i.e. what every request
  costs before any resolver runs (token check, access scope, fsync'd audit event).
HTTP requests are sent by the lean keep-alive client of bench/http1.py (one connection per
concurrent client), the same for every HTTP target; ``--client httpx`` uses httpx instead.
Prints p50/p95 latency and requests/s. Results go in docs/benchmarks.md ("API").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from openfdp.cli.load import load_feed
from openfdp.loaders.generate import generate
from openfdp.services.auth import mint_token
from openfdp.settings import REFERENCE_DATA_DIR, REPO_ROOT, Settings, get_settings
from openfdp.store import local_server
from openfdp.store.driver import open_async_driver, open_driver
from openfdp.store.queries import ics as ics_q
from openfdp.store.queries import pathways as pathway_q
from openfdp.store.queries import read_rows
from openfdp.store.schema import apply_ontology

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http1 import Connection

from openfdp.ontology import load_ontology

DATA = REFERENCE_DATA_DIR  # the ODS lists and RTT statistics shipped in openfdp/data
NODE_DIR = Path(__file__).resolve().parent / "neo4j-graphql"
WIPE = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
OPENFDP_PORT, NODE_PORT, RAW_HTTP_PORT = 8765, 4765, 8766
ROUNDS = 5

# The pathway query: every field of a pathway that both APIs can serve.
OPENFDP_PATHWAY = """
query($id: ID!) { pathway(id: $id) {
  ppid ppidIssuerOds providerOds treatmentFunctionCode priorityTypeCode
  referralRequestReceivedDate pathwayStatus provider { name }
  clockPeriods { periodId startDate endDate status stopStatusCode lengthDays breachDate18w
    breachDate52w breachDate65w breachDate78w breachDate104w nullified dataQualityFlags }
  statusEvents { eventId statusCode activityDate seq }
  appointments { appointmentId appointmentDate firstAttendanceCode attendedOrDnaCode
    outcomeOfAttendanceCode treatmentFunctionCode consultationMediumCode site { name } }
  procedures { procedureId procedureDate codeSystem code display }
  diagnoses { diagnosisId diagnosisDate codeSystem code display isPrimary }
  person { pseudoId yearOfBirth sexCode areaCode }
  pathwaysAtOtherTrusts { ppid ppidIssuerOds providerOds pathwayStatus }
} }
"""

NEO4J_GRAPHQL_PATHWAY = """
query($issuer: String!, $ppid: String!) {
  rttPathways(where: { ppid_issuer_ods: { eq: $issuer }, ppid: { eq: $ppid } }) {
    ppid ppid_issuer_ods provider_ods treatment_function_code priority_type_code
    referral_request_received_date pathway_status provider { name }
    periods(sort: [{ start_date: ASC }]) { period_id start_date end_date status
      stop_status_code length_days breach_date_18w breach_date_52w breach_date_65w
      breach_date_78w breach_date_104w nullified data_quality_flags }
    events(sort: [{ activity_date: ASC }, { seq: ASC }]) { event_id status_code activity_date seq }
    appointments(sort: [{ appointment_date: ASC }]) { appointment_id appointment_date
      first_attendance_code attended_or_dna_code outcome_of_attendance_code
      treatment_function_code consultation_medium_code site { name } }
    procedures(sort: [{ procedure_date: ASC }]) { procedure_id procedure_date code_system code
      display }
    diagnoses(sort: [{ diagnosis_date: ASC }]) { diagnosis_id diagnosis_date code_system code
      display is_primary }
    person { pseudo_id year_of_birth sex_code area_code }
    linked { ppid ppid_issuer_ods provider_ods pathway_status }
  }
}
"""

OPENFDP_WAITING = """
query($icb: String!) { waitingList(icb: $icb, groupBy: TFC) {
  total { incompletePathways pctWithin18Weeks }
  rows { nodes { key incompletePathways within18Weeks pctWithin18Weeks over52Weeks
                 over65Weeks over78Weeks } }
  disclosurePolicy { name version } } }
"""


# ----------------------------------------------------------------------------- data


def load_data(settings: Settings, patients: int, seed: int, icb: str) -> None:
    out = settings.state_dir / "bench-api-extracts"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    generate(out, data_dir=DATA, trusts=3, patients=patients, seed=seed, icb=icb)
    onto = load_ontology()
    with open_driver(settings) as driver:
        with driver.session(database=settings.neo4j.database) as session:
            session.run(WIPE).consume()
        apply_ontology(driver, onto, settings.neo4j.database)
        for feed, paths in (("ods", [DATA / "nhs-ods-jhau-nhs-spend"]), ("csv", [out])):
            load_feed(feed, paths, cfg=settings, driver=driver, ontology=onto)
    print(f"loaded {patients} patients in {time.perf_counter() - t0:.0f} s")


def sample(settings: Settings, icb: str, n: int) -> tuple[list[str], int]:
    """Pathway ids of the ICB's trusts (for the pathway query) and the pathway count."""
    with open_driver(settings) as driver:
        rows = driver.execute_query(
            "MATCH (t:NHSTrust)-[:IN_ICB_GEOGRAPHY]->(:ICB {ods_code: $icb}) "
            "MATCH (p:RTTPathway {provider_ods: t.ods_code}) "
            "WHERE NOT EXISTS { (:PseudonymisedPerson {ndoo_opt_out: true})-[:SUBJECT_OF]->(p) } "
            "RETURN p.ppid_issuer_ods + ':' + p.ppid AS id",
            icb=icb,
        ).records
    ids = [r["id"] for r in rows]
    random.Random(1).shuffle(ids)
    return ids[:n], len(ids)


# ----------------------------------------------------------------------------- servers


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server for {url} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def start_uvicorn(
    settings: Settings, factory: str, port: int, ready_path: str,
    env: dict[str, str] | None = None, args: tuple[str, ...] = (),
) -> subprocess.Popen[bytes]:  # fmt: skip
    """An app factory under uvicorn on loopback, with this run's Neo4j settings."""
    environment = {
        **os.environ,
        "OPENFDP_STATE_DIR": str(settings.state_dir),
        "OPENFDP_NEO4J__BOLT_PORT": str(settings.neo4j.bolt_port),
        "OPENFDP_NEO4J__PASSWORD": settings.neo4j.password.get_secret_value(),
        **(env or {}),
    }
    cmd = [sys.executable, "-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", "--no-access-log", *args]  # fmt: skip
    proc = subprocess.Popen(cmd, env=environment, cwd=REPO_ROOT)
    wait_http(f"http://127.0.0.1:{port}{ready_path}", proc)
    return proc


def start_openfdp(settings: Settings, workers: int = 1) -> subprocess.Popen[bytes]:
    return start_uvicorn(
        settings, "openfdp.api.app:create_app", OPENFDP_PORT, "/healthz",
        args=("--workers", str(workers)),
    )  # fmt: skip


def start_raw_http(settings: Settings, providers: list[str]) -> subprocess.Popen[bytes]:
    env = {"BENCH_PROVIDERS": ",".join(providers), "PYTHONPATH": str(REPO_ROOT)}
    return start_uvicorn(settings, "bench.raw_http:create_app", RAW_HTTP_PORT, "/", env)


def start_neo4j_graphql(settings: Settings) -> subprocess.Popen[bytes]:
    npm = ["npm", "ci"] if (NODE_DIR / "package-lock.json").exists() else ["npm", "install"]
    if not (NODE_DIR / "node_modules").exists():
        subprocess.run([*npm, "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)
    env = {
        **os.environ,
        "NODE_ENV": "production",
        "NEO4J_URI": settings.neo4j.effective_uri,
        "NEO4J_USER": settings.neo4j.user,
        "NEO4J_PASSWORD": settings.neo4j.password.get_secret_value(),
        "PORT": str(NODE_PORT),
    }
    proc = subprocess.Popen(["node", "server.mjs"], env=env, cwd=NODE_DIR)
    wait_http(f"http://127.0.0.1:{NODE_PORT}/", proc)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


# ----------------------------------------------------------------------------- load


async def measure(
    call: Callable[[int], Awaitable[None]], start: int, requests: int, concurrency: int
) -> tuple[list[float], float]:
    """``requests`` calls spread over ``concurrency`` workers: latencies (s), wall time (s)."""
    latencies: list[float] = []
    counter = iter(range(start, start + requests))

    async def worker() -> None:
        for i in counter:
            t = time.perf_counter()
            await call(i)
            latencies.append(time.perf_counter() - t)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - t0


def summary(latencies: list[float], wall: float) -> dict[str, float]:
    q = statistics.quantiles(latencies, n=100)
    return {"p50": 1000 * q[49], "p95": 1000 * q[94], "rps": len(latencies) / wall}


Post = Callable[[str, dict[str, Any], dict[str, str]], Awaitable[tuple[int, Any]]]


class LeanPool:
    """Keep-alive connections of the lean client (bench/http1.py), one per concurrent caller."""

    def __init__(self) -> None:
        self.idle: dict[tuple[str, int], list[Connection]] = {}

    async def post(
        self, url: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, Any]:
        u = httpx.URL(url)
        key = (u.host, u.port or 80)
        idle = self.idle.setdefault(key, [])
        conn = idle.pop() if idle else Connection(*key)
        try:
            result = await conn.post_json(u.raw_path.decode() or "/", body, headers)
        except BaseException:
            await conn.close()
            raise
        idle.append(conn)
        return result

    async def close(self) -> None:
        for conns in self.idle.values():
            for conn in conns:
                await conn.close()


def httpx_post(client: httpx.AsyncClient) -> Post:
    async def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, Any]:
        r = await client.post(url, json=body, headers=headers)
        return r.status_code, r.json()

    return post


def graphql_call(
    post: Post, url: str, query: str, variables: Callable[[int], dict[str, Any]],
    headers: dict[str, str] | None = None, check: Callable[[dict[str, Any]], bool] | None = None,
) -> Callable[[int], Awaitable[None]]:  # fmt: skip
    async def call(i: int) -> None:
        status, body = await post(url, {"query": query, "variables": variables(i)}, headers or {})
        if status != 200 or body.get("errors") or (check and not check(body["data"])):
            raise SystemExit(f"{url}: bad answer {status} {str(body)[:300]}")

    return call


Result = tuple[str, str, int, dict[str, float]]


async def run(args: argparse.Namespace, settings: Settings) -> list[Result]:
    ids, total = sample(settings, args.icb, 500)
    if not ids:
        raise SystemExit(f"no pathways at the trusts of ICB {args.icb}: load data first")
    print(f"{total} pathways at the trusts of {args.icb}; sampling {len(ids)}")
    token = mint_token(settings, "bench", args.icb, ["ics_user"], "planning", 3600)
    auth = {"Authorization": f"Bearer {token}"}
    providers = sorted({i.split(":", 1)[0] for i in ids})
    scope = {"providers": providers, "exclude_opted_out": True}
    db = settings.neo4j.database
    driver = open_async_driver(settings)
    api = start_openfdp(settings, args.workers)
    node = start_neo4j_graphql(settings)
    raw_http = start_raw_http(settings, providers)
    results: list[Result] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    lean = LeanPool()
    try:
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:
            post = lean.post if args.client == "lean" else httpx_post(client)
            openfdp_url = f"http://127.0.0.1:{OPENFDP_PORT}/graphql"
            node_url = f"http://127.0.0.1:{NODE_PORT}/"

            async def raw_pathway(i: int) -> None:
                issuer, ppid = ids[i % len(ids)].split(":", 1)
                params = {"issuer": issuer, "ppid": ppid, **scope}
                rows = await read_rows(driver, db, pathway_q.PATHWAY_BY_ID, params)
                assert rows, ids[i % len(ids)]

            async def raw_waiting(i: int) -> None:
                params = {"icb": args.icb, "provider": None, "group_by": "TFC",
                          "as_of": date.today(), **scope}  # fmt: skip
                rows = await read_rows(driver, db, ics_q.WAITING_LIST, params)
                assert rows[0]["groups"]

            def split(i: int) -> dict[str, Any]:
                issuer, ppid = ids[i % len(ids)].split(":", 1)
                return {"issuer": issuer, "ppid": ppid}

            targets = [
                ("pathway", "openfdp (HTTP)", graphql_call(
                    post, openfdp_url, OPENFDP_PATHWAY, lambda i: {"id": ids[i % len(ids)]},
                    auth, lambda d: d["pathway"] is not None)),
                ("pathway", "raw Cypher (driver)", raw_pathway),
                ("pathway", "raw Cypher behind bare HTTP", graphql_call(
                    post, f"http://127.0.0.1:{RAW_HTTP_PORT}/pathway", "", split, None,
                    lambda d: d is not None)),
                ("pathway", "@neo4j/graphql (HTTP)", graphql_call(
                    post, node_url, NEO4J_GRAPHQL_PATHWAY, split, None,
                    lambda d: len(d["rttPathways"]) == 1)),
                ("floor", "openfdp (HTTP) { __typename }", graphql_call(
                    post, openfdp_url, "{ __typename }", lambda i: {}, auth)),
                ("waitingList", "openfdp (HTTP)", graphql_call(
                    post, openfdp_url, OPENFDP_WAITING, lambda i: {"icb": args.icb}, auth)),
                ("waitingList", "raw Cypher (driver)", raw_waiting),
            ]  # fmt: skip
            for _, _, call in targets:  # warm-up: plans cached, connections open
                for i in range(20):
                    await call(i)
            # rounds interleave the targets, so a change in machine load hits all alike
            per_round = max(1, args.requests // ROUNDS)
            for concurrency in args.concurrency:
                runs: dict[int, tuple[list[float], float]] = {}
                for r in range(ROUNDS):
                    for n, (_, _, call) in enumerate(targets):
                        lat, wall = await measure(call, r * per_round, per_round, concurrency)
                        old_lat, old_wall = runs.get(n, ([], 0.0))
                        runs[n] = (old_lat + lat, old_wall + wall)
                for n, (query, target, _) in enumerate(targets):
                    res = summary(*runs[n])
                    results.append((query, target, concurrency, res))
                    line = f"  {query:12} {target:32} c={concurrency:<3} p50 {res['p50']:7.1f} ms"
                    print(f"{line}  p95 {res['p95']:7.1f} ms  {res['rps']:7.1f} req/s", flush=True)
    finally:
        stop(api)
        stop(node)
        stop(raw_http)
        await lean.close()
        await driver.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--icb", default="QOP", help="ICB of the generated trusts")
    parser.add_argument("--requests", type=int, default=300, help="per target and concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--reuse", action="store_true", help="keep a loaded graph")
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes for openfdp"
    )
    parser.add_argument(
        "--client", choices=["lean", "httpx"], default="lean",
        help="HTTP client for the HTTP targets: lean (bench/http1.py) or httpx",
    )  # fmt: skip
    args = parser.parse_args()
    settings = get_settings()
    local_server.start(settings) if not settings.neo4j.external else None
    _, loaded = sample(settings, args.icb, 1)
    if not (args.reuse and loaded):
        load_data(settings, args.patients, args.seed, args.icb)
    results = asyncio.run(run(args, settings))
    print("\n| query | target | clients | p50 ms | p95 ms | req/s |")
    print("|---|---|---:|---:|---:|---:|")
    for query, target, concurrency, r in results:
        print(f"| {query} | {target} | {concurrency} | {r['p50']:.1f} | {r['p95']:.1f} | "
              f"{r['rps']:.0f} |")  # fmt: skip
    for concurrency in args.concurrency:
        by = {(q, t): r for q, t, c, r in results if c == concurrency}
        for q in ("pathway", "waitingList"):
            ratio = by[(q, "openfdp (HTTP)")]["p50"] / by[(q, "raw Cypher (driver)")]["p50"]
            print(f"c={concurrency} {q}: openfdp p50 / raw Cypher p50 = {ratio:.2f}")
        ratio = by[("pathway", "openfdp (HTTP)")]["p50"] / by[
            ("pathway", "@neo4j/graphql (HTTP)")]["p50"]  # fmt: skip
        print(f"c={concurrency} pathway: openfdp p50 / @neo4j/graphql p50 = {ratio:.2f}")
        ratio = by[("pathway", "openfdp (HTTP)")]["p50"] / by[
            ("pathway", "raw Cypher behind bare HTTP")]["p50"]  # fmt: skip
        print(f"c={concurrency} pathway: openfdp p50 / raw Cypher behind bare HTTP = {ratio:.2f}")


if __name__ == "__main__":
    main()
