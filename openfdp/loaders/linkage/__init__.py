"""Identity resolution: deterministic (verified NHS number) and probabilistic (Splink).

Raw quasi-identifiers are used in memory only at the loader boundary; the evidence store
keeps keyed tokens and Bloom-filter encodings, and the graph receives only the outcome
(``cluster_id``, ``SAME_PERSON_AS`` evidence, ``LinkReviewTask``). See docs/linkage.md.
"""

from openfdp.loaders.linkage.config import LinkageModel, Thresholds, load_model
from openfdp.loaders.linkage.run import LinkSummary, run_linkage, score
from openfdp.loaders.linkage.store import EvidenceStore, default_path
from openfdp.loaders.privacy import pseudonymiser_for

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
