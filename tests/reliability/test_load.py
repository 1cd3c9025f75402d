"""32 concurrent clients for 60 s of mixed queries against `openfdp serve`, over demo data.

The demo extracts (3 trusts of ICB QOP, 300 people, seed 7) and the ODS reference data are
loaded into the test Neo4j through the loaders' Python API (ontology applied); the API runs
as its own process (``openfdp serve`` on a free loopback port). 32 clients then send, round
robin, the five query families: a pathway (trust user, direct care), the ICS waiting list
(ICS user, planning), a site's theatre sessions (trust user), a supplier and who processes a
trust's data (public), and analyst Cypher (aggregate, planning). The loop stops by itself
after LOAD_SECONDS or MAX_REQUESTS.

Asserted: zero errors (every response 200, no GraphQL errors) and one audit event per request
served. Reported, not asserted: p50/p95/p99 latency per family and overall, and throughput;
each run appends one JSON line to ``.openfdp/reliability/load-results.jsonl``.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from neo4j import Driver
from openfdp.loaders.generate import generate
from openfdp.loaders.pipeline import run_load
from openfdp.loaders.pipeline_inputs import fingerprint_files, map_context
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import ods, trust_csv
from openfdp.ontology import load_ontology
from openfdp.services.audit import audit_dir
from openfdp.services.auth import mint_token
from openfdp.settings import REPO_ROOT, Settings
from openfdp.store.audit_log import AuditLog
from openfdp.store.schema import apply_ontology
from tests.data_paths import REFERENCE_DATA_DIR as DATA
from tests.reliability.served_api import free_port

pytestmark = pytest.mark.reliability

CLIENTS = 32
LOAD_SECONDS = float(os.environ.get("OPENFDP_LOAD_SECONDS", "60"))
MAX_REQUESTS = 200_000
REQUEST_TIMEOUT_S = 60.0
RESULTS = REPO_ROOT / ".openfdp" / "reliability" / "load-results.jsonl"
ICB = "QOP"


@dataclass(frozen=True)
class Call:
    family: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]


def _gql(query: str, **variables: Any) -> dict[str, Any]:
    return {"query": query, "variables": variables}


PATHWAY = """query($id: ID!) { pathway(id: $id) { id pathwayStatus daysWaiting
  currentPeriod { startDate breachDate18w } statusEvents { statusCode activityDate }
  appointments { appointmentDate } } }"""
WAITING_LIST = """query($icb: String!, $g: WaitingListGroupBy!) {
  waitingList(icb: $icb, groupBy: $g) { total { incompletePathways within18Weeks }
  rows(first: 20) { nodes { key incompletePathways over52Weeks } } } }"""
THEATRES = """query($site: String!) { theatreSessions(site: $site, from: "2026-03-01",
  to: "2026-05-31", first: 20) { summary { plannedMinutes bookedMinutes utilisation }
  sessions { totalCount nodes { sessionId plannedMinutes bookings } } } }"""
SUPPLIERS = """query($id: ID!, $ods: String!) { supplier(id: $id) { name
  contracts { ocid } products { name } }
  whoProcesses(odsCode: $ods) { suppliers { name } agreements { totalCount } } }"""
CYPHER = (
    "MATCH (p:RTTPathway) WHERE p.provider_ods IN $allowed_providers "
    "RETURN p.treatment_function_code AS tfc, count(*) AS pathways"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("load-demo")
    generate(out, data_dir=DATA, trusts=3, patients=300, seed=7, icb=ICB)
    return out


def _load_demo(driver: Driver, settings: Settings, demo: Path, qdir: Path) -> None:
    ontology = load_ontology()
    apply_ontology(driver, ontology)
    ctx = map_context(
        pseudonymiser=Pseudonymiser(
            key=settings.privacy.hmac_key.get_secret_value().encode(),
            domain=settings.privacy.domain,
        ),
        ontology=ontology,
    )
    ods_dir = DATA / "nhs-ods-jhau-nhs-spend"
    for source, reader, paths, files in (
        ("ods", ods, [ods_dir], sorted(ods_dir.rglob("*.csv"))),
        ("csv", trust_csv, [demo], sorted(demo.glob("*.csv"))),
    ):
        summary = run_load(
            driver, source=source, outcomes=reader.outcomes(paths, ctx), ontology=ontology,
            input_fingerprint=fingerprint_files(files), quarantine_dir=qdir,
        )  # fmt: skip
        assert summary.reconciles and summary.loaded > 0


def _calls(settings: Settings, demo: Path) -> list[list[Call]]:
    """Per family, a list of requests (varied arguments) to cycle through."""

    def bearer(org: str, role: str, purpose: str) -> dict[str, str]:
        token = mint_token(settings, f"load-{role}", org, [role], purpose, 3600)
        return {"Authorization": f"Bearer {token}"}

    trusts = sorted({p.stem.split("-")[1] for p in demo.glob("waiting_list-*.csv")})
    trust_users = {t: bearer(t, "trust_user", "direct_care") for t in trusts}
    pathway_calls = []
    for trust in trusts:
        with (demo / f"waiting_list-{trust}.csv").open() as fh:
            ids = sorted({f"{r['ppid_issuer_ods']}:{r['ppid']}" for r in csv.DictReader(fh)})
        user = trust_users[trust]
        pathway_calls += [
            Call("pathway", "/graphql", _gql(PATHWAY, id=i), user)
            for i in ids[:: max(1, len(ids) // 40)]
        ]
    ics = bearer(ICB, "ics_user", "planning")
    with (demo / "supplier_contracts.csv").open() as fh:
        suppliers = sorted({r["supplier_id"] for r in csv.DictReader(fh)})
    analyst = bearer(ICB, "analyst", "planning")
    return [
        pathway_calls,
        [
            Call("waitingList", "/graphql", _gql(WAITING_LIST, icb=ICB, g=g), ics)
            for g in ("PROVIDER", "TFC", "WEEKS_BAND")
        ],
        [
            Call("theatreSessions", "/graphql", _gql(THEATRES, site=f"{t}01"), trust_users[t])
            for t in trusts
        ],
        [
            Call("supplier", "/graphql", _gql(SUPPLIERS, id=s, ods=t), {})
            for s, t in zip(suppliers, trusts * len(suppliers), strict=False)
        ],
        [Call("cypher", "/cypher", {"query": CYPHER}, analyst)],
    ]  # fmt: skip


def _problem(call: Call, r: httpx.Response) -> str | None:
    if r.status_code != 200:
        return f"{call.family}: HTTP {r.status_code} {r.text[:200]}"
    body = r.json()
    if call.path == "/graphql" and (body.get("errors") or body.get("data") is None):
        return f"{call.family}: {str(body.get('errors'))[:200]}"
    return None


@pytest.fixture()
def api(tmp_path: Path, test_settings: Settings) -> Iterator[tuple[str, Settings]]:
    """`openfdp serve` as its own process, on a free loopback port, own audit log."""
    settings = test_settings.model_copy(update={"state_dir": tmp_path / "api"})
    port = free_port()
    env = {
        **os.environ,
        "OPENFDP_STATE_DIR": str(settings.state_dir),
        "OPENFDP_NEO4J__BOLT_PORT": str(settings.neo4j.bolt_port),
        "OPENFDP_NEO4J__PASSWORD": settings.neo4j.password.get_secret_value(),
    }
    if not settings.neo4j.external:
        env.pop("NEO4J_URI", None)
    cmd = [sys.executable, "-m", "openfdp.cli", "serve", "--host", "127.0.0.1"]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            assert proc.poll() is None, "openfdp serve exited"
            assert time.monotonic() < deadline, "openfdp serve did not start"
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)  # polling interval, not an assertion
        yield base, settings
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _drive(base: str, families: list[list[Call]]) -> tuple[dict[str, list[float]], list[str]]:
    latencies: dict[str, list[float]] = {f[0].family: [] for f in families}
    problems: list[str] = []
    stop_at = time.monotonic() + LOAD_SECONDS
    sent = 0
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:

        async def worker(n: int) -> None:
            nonlocal sent
            j = 0
            while time.monotonic() < stop_at and sent < MAX_REQUESTS:
                family = families[(n + j) % len(families)]
                call = family[(n * 7 + j) % len(family)]
                j += 1
                sent += 1
                started = time.perf_counter()
                try:
                    r = await client.post(call.path, json=call.body, headers=call.headers)
                except httpx.HTTPError as exc:
                    problems.append(f"{call.family}: {type(exc).__name__}")
                    continue
                latencies[call.family].append(time.perf_counter() - started)
                problem = _problem(call, r)
                if problem:
                    problems.append(problem)

        await asyncio.gather(*(worker(n) for n in range(CLIENTS)))
    return latencies, problems


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _report(latencies: dict[str, list[float]], elapsed: float) -> dict[str, Any]:
    everything = [x for v in latencies.values() for x in v]
    rows = {
        name: {
            "requests": len(v),
            "p50_ms": round(_pct(v, 50) * 1000, 1),
            "p95_ms": round(_pct(v, 95) * 1000, 1),
            "p99_ms": round(_pct(v, 99) * 1000, 1),
        }
        for name, v in [*latencies.items(), ("all", everything)]
    }
    lines = [
        f"load: {CLIENTS} clients, {elapsed:.0f} s, {len(everything)} requests, "
        f"{len(everything) / elapsed:.1f} requests/s",
        f"  {'family':16} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}",
    ]
    for name, r in rows.items():
        lines.append(
            f"  {name:16} {r['requests']:8d} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} "
            f"{r['p99_ms']:8.1f}"
        )
    return {
        "families": rows,
        "seconds": round(elapsed, 1),
        "rps": round(len(everything) / elapsed, 1),
        "text": "\n".join(lines),
    }


def _append_results(report: dict[str, Any], served: int, errors: int) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "test": "test_load",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "clients": CLIENTS,
        "seconds": report["seconds"],
        "requests": served,
        "errors": errors,
        "requests_per_s": report["rps"],
        "latency": report["families"],
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
    }
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


def _has_data(call: Call, r: httpx.Response) -> bool:
    body = r.json()
    if call.path == "/cypher":
        return bool(body.get("rows"))
    return all(v is not None for v in (body.get("data") or {None: None}).values())


def test_32_clients_for_60_seconds_of_mixed_queries(
    clean_graph: Driver,
    test_settings: Settings,
    demo: Path,
    api: tuple[str, Settings],
    tmp_path: Path,
) -> None:
    base, settings = api
    _load_demo(clean_graph, test_settings, demo, tmp_path / "quarantine")
    families = _calls(settings, demo)
    warm = 0
    for family in families:  # every family answers, with data, before the clock starts
        call = family[0]
        r = httpx.post(f"{base}{call.path}", json=call.body, headers=call.headers, timeout=60)
        warm += 1
        assert _problem(call, r) is None, _problem(call, r)
        assert _has_data(call, r), f"{call.family} returned no data: {r.text[:300]}"
    started = time.monotonic()
    latencies, problems = asyncio.run(_drive(base, families))
    elapsed = time.monotonic() - started
    served = sum(len(v) for v in latencies.values())
    report = _report(latencies, elapsed)
    print("\n" + report["text"])
    _append_results(report, served, len(problems))
    assert not problems, f"{len(problems)} errors, e.g. {problems[:5]}"
    assert served > CLIENTS
    log = AuditLog(audit_dir(settings))
    assert len(list(log.events())) == served + warm, "one audit event per request served"
    assert log.verify().ok
