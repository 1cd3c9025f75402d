"""Synthetic trust extracts for demos, tests and scale benchmarks (docs/formats.md).

    >>> from openfdp.loaders.generate import generate
    >>> generate(Path("demo"), data_dir=REFERENCE_DATA_DIR, trusts=3, patients=1000, seed=7)

Writes one file per extract and trust (``waiting_list-R0A.csv`` ...), ICS-wide supplier,
DPA and opt-out files, and ``answers.csv`` (source_file, row_key, provider_ods,
local_patient_id, true_person_id) for scoring linkage. Same seed, same bytes.
"""

from __future__ import annotations

from openfdp.loaders.generate.extracts import AS_OF, GenerateSummary, generate
from openfdp.loaders.generate.reference import DEFAULT_ICB

__all__ = ["AS_OF", "DEFAULT_ICB", "GenerateSummary", "generate"]
