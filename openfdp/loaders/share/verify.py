"""Every check a data product passes before anything of it is written (docs/federation.md):
signature by the sender's registered key, receiver, agreement, every file's hash and row
count, ontology compatibility, and that the content stays within the agreement's data
classes. The first failed check refuses the product with its reason."""

from __future__ import annotations

import hashlib
import lzma
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neo4j import Driver
from openfdp.loaders.share import agreements, keys
from openfdp.loaders.share.classes import PERSON, PERSON_FIELDS, allowed_labels
from openfdp.loaders.share.codec import read_lines, sha256_file
from openfdp.loaders.share.errors import AgreementError, ProductRefused
from openfdp.loaders.share.manifest import (
    DATA_FILES,
    EVIDENCE,
    FORMAT,
    NODES,
    ONTOLOGY,
    TOMBSTONES,
    read_signed,
)
from openfdp.ontology import OntologyError, compile_sources
from openfdp.ontology.diff import diff
from openfdp.ontology.diff_model import BREAKING
from openfdp.ontology.model import Ontology
from openfdp.settings import Settings

_FIELDS = ("export_id", "agreement_id", "sender_ods", "receiver_ods", "ontology_version",
           "created_at", "watermark", "data_classes", "purposes", "files")  # fmt: skip


@dataclass(frozen=True)
class Verified:
    folder: Path
    manifest: dict[str, Any]
    agreement: dict[str, Any]
    manifest_sha256: str


def verify_product(
    driver: Driver, settings: Settings, ontology: Ontology, folder: Path
) -> Verified:
    manifest, body, signature = read_signed(folder)
    if manifest.get("format") != FORMAT:
        raise ProductRefused(f"not a product of format {FORMAT}: {manifest.get('format')!r}")
    if missing := [f for f in _FIELDS if f not in manifest]:
        raise ProductRefused(f"the manifest lacks {', '.join(missing)}")
    sender = str(manifest["sender_ods"])
    if not keys.verify(keys.peer_key(keys.keys_dir(settings), sender), signature, body):
        raise ProductRefused(f"the signature does not verify with {sender}'s registered key")
    receiver = agreements.this_instance(settings)
    try:
        agreement = agreements.require(driver, settings, str(manifest["agreement_id"]))
    except AgreementError as exc:
        raise ProductRefused(str(exc)) from None
    agreements.check_active(agreement, sender=sender, receiver=receiver, refuse=ProductRefused)
    agreements.check_covers(agreement, manifest["data_classes"], manifest["purposes"])
    _check_files(folder, manifest["files"])
    check_ontology(folder, str(manifest["ontology_version"]), ontology)
    _check_content(folder, manifest, sender)
    return Verified(folder, manifest, agreement, hashlib.sha256(body).hexdigest())


def _check_files(folder: Path, files: dict[str, Any]) -> None:
    if sorted(files) != sorted(DATA_FILES):
        raise ProductRefused(f"the manifest lists {sorted(files)}, expected {sorted(DATA_FILES)}")
    for name, meta in files.items():
        path = folder / name
        if not path.is_file():
            raise ProductRefused(f"{name} is missing")
        if sha256_file(path) != meta.get("sha256"):
            raise ProductRefused(f"{name} does not match its SHA-256 in the manifest")
        try:
            rows = sum(1 for _ in read_lines(path))
        except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:
            raise ProductRefused(f"{name} is not xz JSON lines") from exc
        if rows != meta.get("rows"):
            raise ProductRefused(f"{name} holds {rows} rows, the manifest says {meta.get('rows')}")


def check_ontology(folder: Path, version: str, ontology: Ontology) -> None:
    """Refuse a product written under an ontology whose data may not fit this one's."""
    if version == ontology.version:
        return
    sources = {str(r["file"]): str(r["text"]) for r in read_lines(folder / ONTOLOGY)}
    try:
        theirs = compile_sources(sources)
    except OntologyError as exc:
        raise ProductRefused(f"the sender's ontology does not compile: {exc}") from None
    if theirs.version != version:
        raise ProductRefused("the product's ontology files are not the version its manifest names")
    breaking = [c for c in diff(theirs, ontology).changes if c.graph == BREAKING]
    if breaking:
        named = "; ".join(f"{c.subject}: {c.detail}" for c in breaking[:5])
        more = f" (and {len(breaking) - 5} more)" if len(breaking) > 5 else ""
        raise ProductRefused(
            f"incompatible ontology: the sender runs {version}, this instance "
            f"{ontology.version}; breaking for the graph: {named}{more}"
        )


def _check_content(folder: Path, manifest: dict[str, Any], sender: str) -> None:
    allowed = allowed_labels(manifest["data_classes"])
    for row in read_lines(folder / NODES):
        labels = {row.get("label")} | {r.get("end_label") for r in row.get("rels", [])}
        if extra := sorted(str(x) for x in labels - allowed):
            raise ProductRefused(f"{NODES} holds {', '.join(extra)}, outside the data classes")
        if row["label"] == PERSON and set(row.get("props", {})) - set(PERSON_FIELDS):
            raise ProductRefused(f"{NODES} holds person properties a product may not carry")
    for row in read_lines(folder / TOMBSTONES):
        if row.get("label") not in allowed:
            raise ProductRefused(f"{TOMBSTONES} names {row.get('label')}, outside the data classes")
    for row in read_lines(folder / EVIDENCE):
        if row.get("provider_ods") != sender:
            raise ProductRefused(f"{EVIDENCE} holds evidence of another provider than {sender}")
