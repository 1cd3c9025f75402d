"""Federation benchmark: 3 trusts x N patients shared with an ICS, against a central load.

    .venv/bin/python bench/federation.py --patients 10000
    .venv/bin/python bench/federation.py --patients 100000      # the large run

One run, one machine, same extracts (generated once, seed 1, ICB QOP, 3 trusts) and the same
Neo4j sizes for every server:

- central: one instance loads every extract (`openfdp load csv`) and links (`openfdp link
  run`), as the central demo does;
- federated: each trust instance loads its own extracts (the three side by side); then per
  trust `openfdp share export` -> transfer (a copy of the product folder into the ICS's
  inbox); one `openfdp share import` of the three products at the ICS (verification,
  loads, one incremental linkage run); per trust `openfdp share ack` of its receipt.

Every step is the command a user runs (a child process, `openfdp --instance DIR ...`), timed
from outside. Printed and written to --json: seconds per step; the federated time to a linked
ICS graph (export + transfer + import with linkage + ack, one after another on this
machine) against the central time (load + linkage); the same with the trusts' own loads
added (in a federation each trust loads its own extracts on its own machine; here the three
run side by side, wall time); product bytes against the raw CSV extracts' bytes, and each
graph's store size on disk. Results go in docs/benchmarks.md ("Federation"). Servers use
ports --bolt-base .. +4 (ICS, 3 trusts, central) and are stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from openfdp.cli.demo_federated import in_parallel
from openfdp.cli.demo_split import csv_bytes, split_extracts
from openfdp.cli.federation_steps import (
    Exchange,
    Instance,
    StepFailed,
    create_agreements,
    ensure_instance,
    exchange_keys,
    folder_bytes,
    share_products,
)
from openfdp.cli.instance_env import INSTANCE_FILE, read_instance, write_env_file
from openfdp.loaders.generate import AS_OF, generate
from openfdp.settings import REFERENCE_DATA_DIR, REPO_ROOT

ICB = "QOP"
ODS_FOLDERS = [str(REFERENCE_DATA_DIR / f) for f in ("nhs-ods-jhau-nhs-spend",)]


def timed(inst: Instance, *args: str) -> float:
    """Seconds of one command (exit 1 allowed: a load that quarantined some records)."""
    t0 = time.perf_counter()
    inst.run_allowing(*args, ok=(0, 1))
    return time.perf_counter() - t0


def central_instance(root: Path, ics: Instance, ports: tuple[int, int]) -> Instance:
    """A central instance: the ICS's settings (fresh password and ports), role central."""
    folder = root / "central"
    if not (folder / INSTANCE_FILE).exists():
        values = read_instance(ics.folder)
        values |= {
            "OPENFDP_STATE_DIR": str(folder.resolve()),
            "OPENFDP_INSTANCE__ROLE": "central",
            "OPENFDP_NEO4J__BOLT_PORT": str(ports[0]),
            "OPENFDP_API__PORT": str(ports[1]),
            "OPENFDP_PRIVACY__DOMAIN": "openfdp-central",
        }
        folder.mkdir(parents=True, exist_ok=True)
        write_env_file(folder / INSTANCE_FILE, values)
    return Instance("central", folder.resolve(), "central")


def fresh_server(inst: Instance) -> None:
    """Start the instance's Neo4j on an empty store, ontology applied, ODS reference loaded."""
    inst.run("db", "stop")
    shutil.rmtree(inst.folder / "neo4j" / "data", ignore_errors=True)
    for sub in ("linkage", "keys", "inbox", "quarantine", "audit"):
        shutil.rmtree(inst.folder / sub, ignore_errors=True)
    inst.run("db", "start", timeout=900)
    inst.run("ontology", "apply")
    inst.run("load", "ods", *ODS_FOLDERS)


def store_bytes(inst: Instance) -> int:
    return folder_bytes(inst.folder / "neo4j" / "data" / "databases")


def central_again(args: argparse.Namespace) -> dict[str, Any]:
    """Re-time the central side of an earlier run (--root with its split extracts and central
    instance): fresh store, ontology, ODS list, then the timed load and linkage."""
    root: Path = args.root.resolve()
    central = Instance("central", root / "central", "central")
    folders = sorted(p for p in (root / "split").iterdir() if p.is_dir() and p.name != "ics")
    try:
        fresh_server(central)
        load = timed(central, "load", "csv", *(str(f) for f in folders))
        link = timed(central, "link", "run")
        return {"central": {"load_s": load, "link_s": link, "total_s": load + link,
                            "store_bytes": store_bytes(central)}}  # fmt: skip
    finally:
        if not args.keep:
            central.run_allowing("db", "stop", ok=(0, 1, 3))


def federated_again(args: argparse.Namespace) -> dict[str, Any]:
    """Re-time the federated side of an earlier run (--root with its loaded trust instances):
    a fresh ICS (store, keys, inbox), the trusts' export ledgers and receipts cleared so each
    exports everything again, then the timed export, transfer, import with linkage and ack."""
    root: Path = args.root.resolve()
    ics = Instance(ICB, root / ICB, "ics")
    found = sorted(p.parent for p in root.glob(f"*/{INSTANCE_FILE}"))
    trusts = [
        Instance(f.name, f, "trust")
        for f in found
        if read_instance(f).get("OPENFDP_INSTANCE__ROLE") == "trust"
    ]
    folders = {p.name: p for p in (root / "split").iterdir() if p.is_dir()}
    try:
        fresh_server(ics)
        timed(ics, "load", "csv", str(folders["ics"]))  # ICS-wide supplier data, not timed
        for t in trusts:
            for sub in ("share", "receipts"):
                shutil.rmtree(t.folder / sub, ignore_errors=True)
            t.run("db", "start", timeout=900)
        shutil.rmtree(root / "outbox", ignore_errors=True)
        exchange_keys(ics, trusts)
        agreements = create_agreements(ics, trusts, AS_OF.isoformat())
        return {"federated": summarise(share_products(trusts, ics, agreements, root / "outbox"),
                                       ics)}  # fmt: skip
    finally:
        if not args.keep:
            for inst in (ics, *trusts):
                inst.run_allowing("db", "stop", ok=(0, 1, 3))


def summarise(exchange: Exchange, ics: Instance) -> dict[str, Any]:
    """The federated side's figures: seconds per step summed over the trusts, the headline
    (every step one after another on this machine) and the wall time when each trust exports
    on its own machine (the slowest export, then the import, then the slowest ack)."""
    flows = exchange.flows
    return {
        "export_s": sum(f.export_s for f in flows),
        "transfer_s": sum(f.transfer_s for f in flows),
        "import_link_s": exchange.import_s,
        "ack_s": sum(f.ack_s for f in flows),
        "share_s": exchange.total_s,
        "share_parallel_trusts_s": max(f.export_s + f.transfer_s for f in flows)
        + exchange.import_s
        + max(f.ack_s for f in flows),
        "per_trust": {f.sender: {"export_s": f.export_s, "bytes": f.bytes} for f in flows},
        "ics_store_bytes": store_bytes(ics),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    root: Path = args.root.resolve()
    memory = (args.heap, args.pagecache)
    t0 = time.perf_counter()
    made = generate(
        root / "extracts", data_dir=REFERENCE_DATA_DIR, trusts=3, patients=args.patients,
        seed=1, icb=ICB, as_of=AS_OF,
    )  # fmt: skip
    folders = split_extracts(root / "extracts", made.trusts, root / "split")
    out: dict[str, Any] = {"patients": args.patients, "rows": sum(made.rows.values())}
    out["generate_s"] = time.perf_counter() - t0
    b = args.bolt_base
    ics = ensure_instance(root / ICB, role="ics", ods=ICB, ports=(b, b + 1000), memory=memory)
    trusts = [
        ensure_instance(
            root / ods,
            role="trust",
            ods=ods,
            ports=(b + n, b + 1000 + n),
            memory=memory,
            ics=ics.folder,
        )
        for n, ods in enumerate(made.trusts, start=1)
    ]
    central = central_instance(root, ics, (b + 4, b + 1004))
    everyone = [central, ics, *trusts]
    try:
        fresh_server(ics)  # first alone (a fresh clone fetches the Neo4j jars once)
        for _ in in_parallel([central, *trusts], fresh_server):  # set-up, not timed
            pass
        central_load = timed(central, "load", "csv", *(str(folders[t.name]) for t in trusts))
        central_link = timed(central, "link", "run")
        out["central"] = {"load_s": central_load, "link_s": central_link,
                          "total_s": central_load + central_link,
                          "store_bytes": store_bytes(central)}  # fmt: skip
        print(f"central: load {central_load:.1f}s + link {central_link:.1f}s", flush=True)
        # the trusts load side by side, as they do on their own machines (not in the headline)
        t_loads = time.perf_counter()
        out["trust_load_s"] = dict(
            (t.name, s) for t, s in in_parallel(trusts, lambda t: timed(t, "load", "csv",
                                                                      str(folders[t.name])))
        )  # fmt: skip
        out["trust_loads_wall_s"] = time.perf_counter() - t_loads
        timed(ics, "load", "csv", str(folders["ics"]))  # ICS-wide supplier data, not timed
        exchange_keys(ics, trusts)
        agreements = create_agreements(ics, trusts, AS_OF.isoformat())
        exchange = share_products(trusts, ics, agreements, root / "outbox")
        flows = exchange.flows
        out["flows"] = [
            {k: str(v) if isinstance(v, Path) else v for k, v in vars(f).items()} for f in flows
        ]
        share_s = exchange.total_s
        trust_loads = out["trust_loads_wall_s"]
        out["federated"] = summarise(exchange, ics) | {"with_trust_loads_s": trust_loads + share_s}
        central_s = out["central"]["total_s"]
        out["ratio_time"] = share_s / central_s
        out["ratio_time_with_trust_loads"] = (trust_loads + share_s) / central_s
        product = sum(f.bytes for f in flows)
        raw = sum(csv_bytes(folders[t.name]) for t in trusts)
        out["bytes"] = {"products": product, "raw_csv": raw, "ratio": product / raw}
    except StepFailed as exc:
        out["failed"] = str(exc)
    finally:
        if not args.keep:
            for inst in everyone:
                inst.run_allowing("db", "stop", ok=(0, 1, 3))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--root", type=Path, default=REPO_ROOT / ".openfdp" / "bench-federation")
    ap.add_argument("--bolt-base", type=int, default=7745, help="ICS; trusts +1..3; central +4")
    ap.add_argument("--heap", default="1g")
    ap.add_argument("--pagecache", default="512m")
    ap.add_argument("--keep", action="store_true", help="Leave the servers running.")
    ap.add_argument("--json", type=Path, help="Also write the results to this file.")
    ap.add_argument(
        "--central-again",
        action="store_true",
        help="Only re-time the central load and linkage of an earlier run kept in --root.",
    )
    ap.add_argument(
        "--federated-again",
        action="store_true",
        help="Only re-time export, transfer, import with linkage and ack of an earlier run "
        "kept in --root (its trusts stay loaded; a fresh ICS).",
    )
    args = ap.parse_args()
    if args.central_again:
        out = central_again(args)
    elif args.federated_again:
        out = federated_again(args)
    else:
        out = run(args)
    text = json.dumps(out, indent=2, default=str)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    sys.exit(1 if "failed" in out else 0)


if __name__ == "__main__":
    main()
