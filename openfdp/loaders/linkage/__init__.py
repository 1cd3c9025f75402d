"""Identity resolution: deterministic (verified NHS number) and probabilistic (Splink).

Raw quasi-identifiers are used in memory only at the loader boundary; the evidence store
keeps keyed tokens and Bloom-filter encodings, and the graph receives only the outcome
(``cluster_id``, ``SAME_PERSON_AS`` evidence, ``LinkReviewTask``). See docs/linkage.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openfdp.loaders.linkage.config import LinkageModel, Thresholds, load_model
    from openfdp.loaders.linkage.run import LinkSummary, run_linkage, score
    from openfdp.loaders.linkage.store import EvidenceStore, default_path
    from openfdp.loaders.privacy import pseudonymiser_for

#: where each name lives; imported on first use, so a command that only stores evidence
#: (`openfdp load`) does not import Splink (most of a second of start-up per process)
_HOMES = {
    "LinkageModel": "openfdp.loaders.linkage.config",
    "Thresholds": "openfdp.loaders.linkage.config",
    "load_model": "openfdp.loaders.linkage.config",
    "LinkSummary": "openfdp.loaders.linkage.run",
    "run_linkage": "openfdp.loaders.linkage.run",
    "score": "openfdp.loaders.linkage.run",
    "EvidenceStore": "openfdp.loaders.linkage.store",
    "default_path": "openfdp.loaders.linkage.store",
    "pseudonymiser_for": "openfdp.loaders.privacy",
}

__all__ = [
    "EvidenceStore",
    "LinkSummary",
    "LinkageModel",
    "Thresholds",
    "default_path",
    "load_model",
    "pseudonymiser_for",
    "run_linkage",
    "score",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
