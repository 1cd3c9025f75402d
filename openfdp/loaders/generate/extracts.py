"""The synthetic trust extracts for one ICS (docs/formats.md), deterministic for a seed.

Waiting-list size, share within 18 weeks and median wait per trust x treatment function
follow NHS England's published incomplete-pathway statistics; people attend one or more
of the ICS's trusts, each trust holding its own (sometimes wrong) copy of their details.
The truth (which row is which person) goes to ``answers.csv`` only.
"""

from __future__ import annotations

import bisect
import csv
import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from openfdp.loaders.formats_data import EXTRACTS
from openfdp.loaders.generate.pathways import PathwayWriter
from openfdp.loaders.generate.people import Person, make_person, trust_copy
from openfdp.loaders.generate.reference import DEFAULT_ICB, Trust, icb_trusts, wait_shapes
from openfdp.loaders.generate.rtt_cases import RTT_ANSWER_COLS

AS_OF = date(2026, 3, 31)  # the census date of the published statistics (March 2026)

#: the header of each extract, from the one description of the extracts (docs/formats.md)
COLUMNS: dict[str, list[str]] = {name: fmt.header for name, fmt in EXTRACTS.items()}
ANSWER_COLS = ["source_file", "row_key", "provider_ods", "local_patient_id", "true_person_id"]
ROLES = [
    ("CONS", "Consultant"),
    ("REG", "Specialty registrar"),
    ("ANAES", "Anaesthetist"),
    ("SN", "Staff nurse"),
    ("ODP", "Operating department practitioner"),
    ("HCA", "Healthcare assistant"),
]
SUPPLIERS = [
    ("SUP-0001", "Meridian Health Records Ltd", "Electronic patient record"),
    ("SUP-0002", "Larkfield Analytics Ltd", "Federated data platform"),
    ("SUP-0003", "Northmoor Cloud Hosting Ltd", "Hosting"),
    ("SUP-0004", "Brightwater Theatre Systems Ltd", "Theatre management system"),
]


@dataclass
class GenerateSummary:
    out: Path
    trusts: list[str]
    icb: str
    persons: int
    rows: dict[str, int] = field(default_factory=dict)


class _Files:
    """Open CSV writers per (extract, trust); rows counted per extract."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self._open: dict[str, tuple[IO[str], Any]] = {}
        self.counts: dict[str, int] = {}

    def name(self, extract: str, trust: str | None) -> str:
        return f"{extract}-{trust}.csv" if trust else f"{extract}.csv"

    def write(self, extract: str, trust: str | None, row: dict[str, Any]) -> str:
        fname = self.name(extract, trust)
        if fname not in self._open:
            fh = (self.out / fname).open("w", newline="", encoding="utf-8")
            cols = COLUMNS.get(
                extract, RTT_ANSWER_COLS if extract == "rtt_answers" else ANSWER_COLS
            )
            w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
            w.writeheader()
            self._open[fname] = (fh, w)
        self._open[fname][1].writerow({k: "" if v is None else v for k, v in row.items()})
        self.counts[extract] = self.counts.get(extract, 0) + 1
        return fname

    def close(self) -> None:
        for fh, _ in self._open.values():
            fh.close()


def _outwards(trusts: list[Trust]) -> list[str]:
    areas = sorted({"".join(c for c in t.postcode.split(" ")[0] if c.isalpha()) for t in trusts})
    return [f"{a}{n}" for a in areas for n in range(1, 21)]


def generate(
    out: Path,
    *,
    data_dir: Path,
    trusts: int = 3,
    patients: int = 1000,
    seed: int = 1,
    icb: str = DEFAULT_ICB,
    as_of: date = AS_OF,
) -> GenerateSummary:
    """Write the extracts and ``answers.csv`` into `out` (created if needed)."""
    from openfdp.loaders.generate.resources import write_resources  # noqa: PLC0415

    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    out.mkdir(parents=True, exist_ok=True)
    _clear_previous(out)
    chosen = icb_trusts(data_dir, icb, trusts)
    shapes = wait_shapes(data_dir, [t.ods for t in chosen])
    cum: list[float] = []
    total = 0.0
    for s in shapes:
        total += s.size
        cum.append(total)
    outwards = _outwards(chosen)
    files = _Files(out)
    try:
        people = [make_person(rng, n, outwards, as_of) for n in range(patients)]
        owners = list(range(patients)) + [rng.randrange(patients) for _ in range(patients // 4)]
        owners.sort()
        copies: dict[tuple[int, str], tuple[str, Person]] = {}
        admitted: dict[str, list[str]] = {t.ods: [] for t in chosen}
        state = PathwayWriter(rng, files, as_of, [t.ods for t in chosen])
        for n, owner in enumerate(owners):
            shape = shapes[min(bisect.bisect_left(cum, rng.random() * total), len(shapes) - 1)]
            ck = (owner, shape.trust)
            if ck not in copies:
                copies[ck] = (
                    f"{shape.trust}-{len(copies) + 100000:07d}",
                    trust_copy(rng, people[owner]),
                )
            local_id, copy = copies[ck]
            entry = state.pathway(n, shape, people[owner].person_id, local_id, copy)
            if entry:
                admitted[shape.trust].append(entry)
        for p in people:
            if p.nhs_number and rng.random() < 0.03:
                files.write("opt_outs", None, {"nhs_number": p.nhs_number})
        write_resources(
            rng,
            files,
            trusts=chosen,
            admitted=admitted,
            as_of=as_of,
            suppliers=SUPPLIERS,
            roles=ROLES,
        )
    finally:
        files.close()
    return GenerateSummary(out, [t.ods for t in chosen], icb, patients, dict(files.counts))


def _clear_previous(out: Path) -> None:
    """Remove extracts an earlier run wrote here (e.g. for another trust), nothing else."""
    names = [*COLUMNS, "answers", "rtt_answers"]
    for path in out.glob("*.csv"):
        if any(path.stem == n or path.stem.startswith(f"{n}-") for n in names):
            path.unlink()
