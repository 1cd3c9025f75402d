"""The steps of a federated deployment on one machine, each an ``openfdp --instance DIR ...``
command (the federated demo and bench/federation.py run exactly these; docs/federation.md).

An :class:`Instance` is a folder made by ``openfdp instance init``; its commands run as child
processes with the instance's own settings, so no two instances ever share a key or a port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openfdp.cli.instance import instance_values
from openfdp.cli.instance_env import INSTANCE_FILE, read_instance, write_env_file

#: the data classes the demo's agreements cover (the contract's names)
DATA_CLASSES = ("rtt_pathways", "appointments", "theatre_sessions", "beds", "staff")
PURPOSES = ("planning", "research")
LEGAL_BASIS = (
    "UK GDPR Article 6(1)(e) and Article 9(2)(h); NHS Act 2006 (planning of health services)"
)


class StepFailed(Exception):
    """A command of one instance failed; the message names the instance, command and cause."""


@dataclass(frozen=True)
class Instance:
    name: str  # the ODS code
    folder: Path
    role: str

    def settings_var(self, name: str) -> str:
        return read_instance(self.folder)[name]

    @property
    def api_port(self) -> int:
        return int(self.settings_var("OPENFDP_API__PORT"))

    def run(self, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
        """Run one openfdp command against this instance; StepFailed unless it exits 0."""
        return self.run_allowing(*args, ok=(0,), timeout=timeout)

    def run_allowing(
        self, *args: str, ok: tuple[int, ...], timeout: float = 3600
    ) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "openfdp.cli", "--instance", str(self.folder), *args]
        env = {**os.environ, "COLUMNS": "200"}
        res = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
        if res.returncode not in ok:
            tail = "\n".join((res.stderr or res.stdout).strip().splitlines()[-8:])
            raise StepFailed(
                f"{self.name}: `openfdp {' '.join(args)}` exited {res.returncode}:\n{tail}"
            )
        return res


def ensure_instance(
    folder: Path,
    *,
    role: str,
    ods: str,
    ports: tuple[int, int],
    memory: tuple[str, str],
    ics: Path | None = None,
) -> Instance:
    """The instance in `folder`, created (fresh keys) unless it exists (keys kept)."""
    if not (folder / INSTANCE_FILE).exists():
        ics_vars = read_instance(ics) if ics is not None else {}
        values = instance_values(
            folder.resolve(), role="trust" if role == "trust" else "ics", ods=ods,
            bolt_port=ports[0], api_port=ports[1],
            linkage_key=ics_vars.get("OPENFDP_SHARE__LINKAGE_KEY"),
            linkage_domain=ics_vars.get("OPENFDP_SHARE__LINKAGE_DOMAIN"), memory=memory,
        )  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        write_env_file(folder / INSTANCE_FILE, values)
    return Instance(ods.upper(), folder.resolve(), role)


def printed_path(res: subprocess.CompletedProcess[str], key: str | None = None) -> Path:
    """The path a share command printed: its JSON's `key` (or any path value), or its last
    line."""
    candidates: list[str] = []
    for raw in res.stdout.splitlines():
        line = raw.strip()
        if line.startswith("{"):
            try:
                data: Any = json.loads(line)
            except ValueError:
                continue
            if key is not None and isinstance(data.get(key), str):
                return Path(data[key])
            candidates += [v for v in data.values() if isinstance(v, str)]
        elif line:
            candidates.append(line)
    for text in reversed(candidates):
        if ("/" in text or os.sep in text) and Path(text).exists():
            return Path(text)
    raise StepFailed(f"no path in the output of the share command:\n{res.stdout[-500:]}")


def exchange_keys(ics: Instance, trusts: list[Instance]) -> None:
    """Signing keys on every instance; the ICS trusts each trust's key and each trust the
    ICS's (for its signed receipts)."""
    pubs = {i.name: printed_path(i.run("share", "keys", "init")) for i in [ics, *trusts]}
    for t in trusts:
        ics.run("share", "peer", "add", "--ods", t.name, "--public-key", str(pubs[t.name]))
        t.run("share", "peer", "add", "--ods", ics.name, "--public-key", str(pubs[ics.name]))


def agreement_id(sender: str, receiver: str) -> str:
    return f"DSA-{sender}-{receiver}"


def create_agreements(ics: Instance, trusts: list[Instance], start: str) -> dict[str, str]:
    """One agreement per trust, recorded on both sides; trust ODS -> agreement id."""
    ids = {}
    for t in trusts:
        ids[t.name] = agreement_id(t.name, ics.name)
        args = [
            "share", "agreement", "create", "--id", ids[t.name], "--sender", t.name,
            "--receiver", ics.name, "--legal-basis", LEGAL_BASIS, "--start", start,
        ]  # fmt: skip
        for p in PURPOSES:
            args += ["--purpose", p]
        for c in DATA_CLASSES:
            args += ["--data-class", c]
        for side in (t, ics):
            side.run(*args)
    return ids


@dataclass
class Flow:
    """One product's journey, sender -> receiver, with its timings (seconds) and size. The
    import is shared by every product of one exchange (one `share import` of them all)."""

    sender: str
    product: Path
    receipt: Path
    bytes: int
    export_s: float
    transfer_s: float
    ack_s: float


@dataclass
class Exchange:
    flows: list[Flow]
    import_s: float  # one `share import` of every product: verification, loads, linkage

    @property
    def total_s(self) -> float:
        return self.import_s + sum(f.export_s + f.transfer_s + f.ack_s for f in self.flows)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def share_products(
    trusts: list[Instance], ics: Instance, agreements: dict[str, str], outbox: Path
) -> Exchange:
    """Each trust exports (`share export`) and its product is transferred (a copy into the
    ICS's inbox); the ICS imports them all in one `share import` (one linkage run); each
    trust acknowledges its receipt (`share ack`)."""
    import shutil  # noqa: PLC0415

    sent: list[tuple[Instance, Path, Path, float, float]] = []
    for trust in trusts:
        t0 = time.perf_counter()
        args = ("share", "export", "--agreement", agreements[trust.name],
                "--out", str(outbox / trust.name), "--json")  # fmt: skip
        product = printed_path(trust.run(*args), "folder")
        t1 = time.perf_counter()
        inbox = ics.folder / "inbox" / trust.name / product.name
        if inbox.exists():
            shutil.rmtree(inbox)
        shutil.copytree(product, inbox)
        sent.append((trust, product, inbox, t1 - t0, time.perf_counter() - t1))
    t0 = time.perf_counter()
    res = ics.run("share", "import", *(str(inbox) for _, _, inbox, _, _ in sent), "--json")
    import_s = time.perf_counter() - t0
    receipts = {
        str(d["sender_ods"]): Path(str(d["receipt"]))
        for d in (json.loads(line) for line in res.stdout.splitlines() if line.startswith("{"))
    }
    flows = []
    for trust, product, inbox, export_s, transfer_s in sent:
        if trust.name not in receipts:
            raise StepFailed(f"no receipt for {trust.name} in:\n{res.stdout[-500:]}")
        t0 = time.perf_counter()
        back = trust.folder / "receipts" / f"{product.name}.json"  # the receipt's way back
        back.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(receipts[trust.name], back)
        trust.run("share", "ack", str(back))
        flows.append(Flow(trust.name, inbox, receipts[trust.name], folder_bytes(product),
                          export_s, transfer_s, time.perf_counter() - t0))  # fmt: skip
    return Exchange(flows, import_s)
