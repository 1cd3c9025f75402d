"""The product folder: ``manifest.json`` (canonical JSON), ``signature`` (base64 Ed25519 over
the exact bytes of manifest.json) and the data files the manifest lists with their SHA-256
and row counts (docs/federation.md, "Product format")."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openfdp.loaders.share import keys
from openfdp.loaders.share.codec import canonical, sha256_file, write_lines
from openfdp.loaders.share.errors import ProductRefused
from openfdp.ontology.compile import SOURCE_DIR
from openfdp.ontology.sources import read_folder
from openfdp.settings import Settings

FORMAT = "openfdp-product/2"
MANIFEST = "manifest.json"
SIGNATURE = "signature"
NODES, TOMBSTONES, EVIDENCE, OPT_OUTS, ONTOLOGY = (
    "nodes.jsonl.xz",
    "tombstones.jsonl.xz",
    "evidence.jsonl.xz",
    "opt_outs.jsonl.xz",
    "ontology.jsonl.xz",
)
DATA_FILES = (NODES, TOMBSTONES, EVIDENCE, OPT_OUTS, ONTOLOGY)


def write_files(
    folder: Path,
    nodes: list[dict[str, Any]],
    tombstones: list[dict[str, Any]],
    evidence: list[dict[str, Any]],
    opt_outs: list[dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Write the data files; the manifest's ``files`` entry (sha256, rows, bytes) of each."""
    sources = read_folder(SOURCE_DIR)
    content: dict[str, Iterable[dict[str, Any]]] = {
        NODES: (_bare(n) for n in nodes),
        TOMBSTONES: tombstones,
        EVIDENCE: (_bare(e) for e in evidence),
        OPT_OUTS: opt_outs,
        ONTOLOGY: [{"file": name, "text": text} for name, text in sorted(sources.items())],
    }
    files = {}
    for name, rows in content.items():
        path = folder / name
        count = write_lines(path, rows)
        files[name] = {"sha256": sha256_file(path), "rows": count, "bytes": path.stat().st_size}
    return files


def _bare(row: dict[str, Any]) -> dict[str, Any]:
    """An item as it is written: its id and hash are the sender's bookkeeping (the receiver
    derives both from the content)."""
    return {k: v for k, v in row.items() if k not in ("item", "hash")}


def write_signed(folder: Path, manifest: dict[str, Any], settings: Settings) -> None:
    body = canonical(manifest)
    (folder / MANIFEST).write_bytes(body)
    signature = keys.sign(keys.keys_dir(settings), body)
    (folder / SIGNATURE).write_text(base64.b64encode(signature).decode() + "\n")


def read_signed(folder: Path) -> tuple[dict[str, Any], bytes, bytes]:
    """(manifest, its exact bytes, the signature) of a product folder; refused if unreadable."""
    if not folder.is_dir():
        raise ProductRefused(f"{folder} is not a product folder")
    try:
        body = (folder / MANIFEST).read_bytes()
        signature = base64.b64decode((folder / SIGNATURE).read_text().strip(), validate=True)
    except (OSError, binascii.Error, UnicodeDecodeError) as exc:
        raise ProductRefused(f"{folder}: no readable manifest.json and signature") from exc
    try:
        manifest = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProductRefused(f"{folder}/manifest.json is not JSON") from exc
    if not isinstance(manifest, dict):
        raise ProductRefused(f"{folder}/manifest.json is not a JSON object")
    return manifest, body, signature
