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
    """One product's journey, sender -> receiver, with its timings (seconds) and size."""

    sender: str
    product: Path
    receipt: Path
    bytes: int
    export_s: float
    transfer_s: float
    import_s: float
    ack_s: float


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def share_product(trust: Instance, ics: Instance, agreement: str, outbox: Path) -> Flow:
    """Export at the trust, transfer (a copy into the ICS's inbox), import at the ICS, and
    acknowledge the ICS's receipt at the trust."""
    import shutil  # noqa: PLC0415

    t0 = time.perf_counter()
    product = printed_path(
        trust.run("share", "export", "--agreement", agreement, "--out", str(outbox), "--json"),
        "folder",
    )
    t1 = time.perf_counter()
    inbox = ics.folder / "inbox" / trust.name / product.name
    if inbox.exists():
        shutil.rmtree(inbox)
    shutil.copytree(product, inbox)
    t2 = time.perf_counter()
    receipt = printed_path(ics.run("share", "import", str(inbox), "--json"), "receipt")
    t3 = time.perf_counter()
    back = trust.folder / "receipts" / f"{product.name}.json"  # the receipt's way back
    back.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(receipt, back)
    trust.run("share", "ack", str(back))
    t4 = time.perf_counter()
    return Flow(trust.name, inbox, receipt, folder_bytes(product), t1 - t0, t2 - t1, t3 - t2,
                t4 - t3)  # fmt: skip
