"""`openfdp demo run --federated`: 3 trust instances and 1 ICS instance on one machine.

Instances made (``<state dir>/federated/<ODS>``, keys kept between runs) -> Neo4j started for
each (small heaps) -> the demo extracts generated once and split by provider -> each trust
loads its own, the ICS the ICS-wide reference data -> signing keys exchanged, one agreement
per trust recorded on both sides -> each trust's product exported, transferred, imported and
linked at the ICS, the receipt acknowledged -> the API served at every instance, with
tokens per role. docs/federation.md describes the flows.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

from rich.table import Table

from openfdp.cli._common import console
from openfdp.cli.demo_split import split_extracts
from openfdp.cli.federation_steps import (
    Flow,
    Instance,
    create_agreements,
    ensure_instance,
    exchange_keys,
    share_products,
)
from openfdp.loaders.generate import generate
from openfdp.settings import REFERENCE_DATA_DIR

ODS_FOLDERS = ("nhs-ods-jhau-nhs-spend", "nhs-gp-practice-map-nhsx")
T = TypeVar("T")


@dataclass(frozen=True)
class FederatedPlan:
    root: Path
    patients: int
    seed: int
    trusts: int
    icb: str
    bolt_base: int  # the ICS's port; trusts take the next ones
    api_base: int
    memory: tuple[str, str]  # heap, page cache of each instance's Neo4j
    as_of: date


@dataclass
class Federation:
    ics: Instance
    trusts: list[Instance]
    flows: list[Flow]


def make_instances(plan: FederatedPlan, trust_codes: list[str]) -> tuple[Instance, list[Instance]]:
    ics = ensure_instance(
        plan.root / plan.icb, role="ics", ods=plan.icb,
        ports=(plan.bolt_base, plan.api_base), memory=plan.memory,
    )  # fmt: skip
    trusts = []
    for n, ods in enumerate(trust_codes, start=1):
        ports = (plan.bolt_base + n, plan.api_base + n)
        trusts.append(
            ensure_instance(
                plan.root / ods,
                role="trust",
                ods=ods,
                ports=ports,
                memory=plan.memory,
                ics=ics.folder,
            )
        )
    return ics, trusts


def in_parallel(
    instances: list[Instance], work: Callable[[Instance], T]
) -> Iterator[tuple[Instance, T]]:
    """`work` on every instance at once (each its own child processes), in finishing order."""
    with ThreadPoolExecutor(max_workers=len(instances)) as pool:
        futures = {pool.submit(work, inst): inst for inst in instances}
        for done in as_completed(futures):
            yield futures[done], done.result()


def start_server(inst: Instance) -> None:
    inst.run("db", "start", timeout=900)
    inst.run("ontology", "apply")


def load_own(
    inst: Instance, ics: Instance, folders: dict[str, Path]
) -> subprocess.CompletedProcess[str]:
    """The ODS reference data (the ICS also the GP practices) and the instance's own
    extracts; exit 1 (some records quarantined) is a load that worked."""
    ods = ODS_FOLDERS if inst is ics else ODS_FOLDERS[:1]
    inst.run("load", "ods", *(str(REFERENCE_DATA_DIR / f) for f in ods))
    own = folders["ics" if inst is ics else inst.name]
    return inst.run_allowing("load", "csv", str(own), ok=(0, 1))


def step(title: str) -> float:
    console.rule(f"[bold]{title}")
    return time.perf_counter()


def run_federated(plan: FederatedPlan) -> Federation:
    """Everything up to serving; the federation built (raises StepFailed on a failed step)."""
    t0 = step("1/5 Extracts, generated once and split by provider")
    summary = generate(
        plan.root / "extracts", data_dir=REFERENCE_DATA_DIR, trusts=plan.trusts,
        patients=plan.patients, seed=plan.seed, icb=plan.icb, as_of=plan.as_of,
    )  # fmt: skip
    folders = split_extracts(plan.root / "extracts", summary.trusts, plan.root / "split")
    console.print(f"{sum(summary.rows.values()):,} rows for trusts {', '.join(summary.trusts)}")
    step("2/5 Instances and their Neo4j servers")
    ics, trusts = make_instances(plan, summary.trusts)
    start_server(ics)  # first alone: on a fresh clone it fetches the Neo4j jars once
    console.print(f"{ics.name} ({ics.role}) in {ics.folder}")
    for inst, _ in in_parallel(trusts, start_server):
        console.print(f"{inst.name} ({inst.role}) in {inst.folder}")
    step("3/5 Each instance loads its own data (side by side)")
    for inst, res in in_parallel([ics, *trusts], lambda i: load_own(i, ics, folders)):
        note = " (some records quarantined: see its quarantine folder)" if res.returncode else ""
        console.print(f"{inst.name}: loaded{note}")
    step("4/5 Keys exchanged, agreements recorded on both sides")
    exchange_keys(ics, trusts)
    agreements = create_agreements(ics, trusts, plan.as_of.isoformat())
    console.print(", ".join(agreements.values()))
    step("5/5 Products exported, transferred, imported and linked at the ICS")
    exchange = share_products(trusts, ics, agreements, plan.root / "outbox")
    flows = exchange.flows
    for f in flows:
        console.print(f"{f.sender} -> {ics.name}: {f.bytes:,} bytes; export {f.export_s:.1f}s")
    console.print(f"{ics.name}: products imported and linked in {exchange.import_s:.1f}s")
    console.print(f"[dim]set up in {time.perf_counter() - t0:.0f}s[/dim]")
    return Federation(ics, trusts, flows)


def start_apis(fed: Federation) -> list[subprocess.Popen[bytes]]:
    """`openfdp --instance DIR serve` for every instance, in the background."""
    procs = []
    for inst in [fed.ics, *fed.trusts]:
        cmd = [sys.executable, "-m", "openfdp.cli", "--instance", str(inst.folder), "serve"]
        log = (inst.folder / "api.log").open("ab")
        procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))
    return procs


def print_access(fed: Federation, tokens: dict[str, list[tuple[str, str]]]) -> None:
    table = Table(title="openfdp federated demo is ready")
    for col in ("instance", "role", "API", "folder"):
        table.add_column(col)
    for inst in [fed.ics, *fed.trusts]:
        url = f"http://127.0.0.1:{inst.api_port}/graphql"
        table.add_row(inst.name, inst.role, url, str(inst.folder))
    console.print(table)
    console.print("Tokens (header `Authorization: Bearer <token>`; valid 12 hours):")
    for name, pairs in tokens.items():
        for who, token in pairs:
            console.print(f"\n[bold]{name}: {who}[/bold]")
            console.print(token, soft_wrap=True, markup=False, highlight=False)
    console.print("\nStop the servers: openfdp --instance <folder> db stop (each instance).")


TOKEN_TTL_S = 12 * 3600


def instance_tokens(fed: Federation, icb: str) -> dict[str, list[tuple[str, str]]]:
    """Tokens per role, each signed with its own instance's secret."""
    from openfdp.cli.instance_env import instance_settings  # noqa: PLC0415
    from openfdp.services.auth import mint_token  # noqa: PLC0415

    out: dict[str, list[tuple[str, str]]] = {}
    s = instance_settings(fed.ics.folder)
    out[fed.ics.name] = [
        ("ICS user, planning", mint_token(s, "demo-planner", icb, ["ics_user"], "planning",
                                          TOKEN_TTL_S)),
        ("analyst, research (POST /cypher)", mint_token(s, "demo-analyst", icb,
                                                        ["analyst", "ics_user"], "research",
                                                        TOKEN_TTL_S)),
    ]  # fmt: skip
    for t in fed.trusts:
        s = instance_settings(t.folder)
        token = mint_token(s, "demo-clinician", t.name, ["trust_user"], "direct_care", TOKEN_TTL_S)
        out[t.name] = [("trust user, direct care", token)]
    return out


def serve_until_interrupted(fed: Federation, icb: str) -> None:
    """Serve the API of every instance until Ctrl-C, then stop those API processes."""
    procs = start_apis(fed)
    print_access(fed, instance_tokens(fed, icb))
    console.rule("[bold]APIs serving (Ctrl-C to stop them)")
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(1)
        console.print("[red]an API process stopped; see api.log in its instance folder[/red]")
    except KeyboardInterrupt:
        console.print("stopping the APIs")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
