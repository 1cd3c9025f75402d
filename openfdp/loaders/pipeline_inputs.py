"""What a load starts from: the mapping context every mapper needs (the pseudonymiser and
the ontology's code lists), the fingerprint of the input files and the load batch id
derived from it and the source name (so the same input loaded again is the same batch and
MERGEs onto the same nodes), and the loader's version recorded on the batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from openfdp.loaders.model import MapContext
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.ontology.model import Ontology


def map_context(
    *, pseudonymiser: Pseudonymiser, ontology: Ontology, source_ods: str | None = None
) -> MapContext:
    """What every mapper needs: the process's pseudonymiser (built once at the edge, see
    :func:`openfdp.loaders.privacy.pseudonymiser_for`) and every code list of the ontology."""
    schemes = ontology.concept_schemes
    return MapContext(
        pseudonymiser=pseudonymiser,
        code_lists={name: dict(codes) for name, codes in schemes.items()},
        source_ods=source_ods,
    )


def loader_version() -> str:
    try:
        return metadata.version("openfdp")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


def fingerprint_files(paths: Iterable[Path]) -> str:
    """SHA-256 over the names and bytes of the input files, in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def batch_id_for(source: str, input_fingerprint: str) -> str:
    return hashlib.sha256(f"{source}|{input_fingerprint}".encode()).hexdigest()[:32]
