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
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from openfdp.loaders.formats_data import EXTRACTS
from openfdp.loaders.generate.people import Person, make_person, trust_copy
from openfdp.loaders.generate.reference import (
    DEFAULT_ICB,
    Trust,
    WaitShape,
    icb_trusts,
    wait_shapes,
)
from openfdp.loaders.generate.rtt_cases import RTT_ANSWER_COLS, Case, draw_case

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


def _wait_days(rng: random.Random, shape: WaitShape) -> int:
    pts = shape.quantiles()
    u = rng.random()
    i = max(1, bisect.bisect_left([q for q, _ in pts], u))
    (q0, w0), (q1, w1) = pts[i - 1], pts[min(i, len(pts) - 1)]
    weeks = w0 if q1 == q0 else w0 + (w1 - w0) * (u - q0) / (q1 - q0)
    return max(0, int(weeks * 7))


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
        state = _PathwayWriter(rng, files, as_of, [t.ods for t in chosen])
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


class _PathwayWriter:
    def __init__(self, rng: random.Random, files: _Files, as_of: date, trusts: list[str]) -> None:
        self.rng, self.files, self.as_of, self.trusts = rng, files, as_of, trusts

    def _patient(self, trust: str, local_id: str, p: Person) -> dict[str, Any]:
        return {
            "provider_ods": trust,
            "local_patient_id": local_id,
            "nhs_number": p.nhs_number,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "birth_date": p.birth_date.isoformat(),
            "sex": p.sex,
            "postcode": p.postcode,
            "address_line": p.address_line,
        }

    def _answer(self, fname: str, key: str, trust: str, local_id: str, truth: str) -> None:
        self.files.write(
            "answers",
            None,
            {
                "source_file": fname,
                "row_key": key,
                "provider_ods": trust,
                "local_patient_id": local_id,
                "true_person_id": truth,
            },
        )

    def _write_case(  # noqa: PLR0917 - one call site each, all needed
        self,
        case: Case,
        trust: str,
        ppid: str,
        row: dict[str, Any],
        ids: tuple[str, str],
        cls: str,
    ) -> None:
        """The rows of one pathway at one trust, their linkage answers and the RTT answer."""
        if case.referral_date is None:
            row = {**row, "referral_received_date": None}
        for seq, (status, day, comm) in enumerate(case.events, start=1):
            event = {
                **row,
                "event_seq": seq,
                "status_code": status,
                "activity_date": day.isoformat(),
                "dna_communicated": comm,
                "ipt_receiving_ods": case.transfer_to if status == "21" else None,
                "snapshot_date": self.as_of.isoformat(),
            }
            fname = self.files.write("waiting_list", trust, event)
            self._answer(fname, f"{trust}:{ppid}:{seq}", trust, ids[0], ids[1])
        start = case.clock_start.isoformat() if case.clock_start else ""
        self.files.write(
            "rtt_answers",
            None,
            dict(
                zip(
                    RTT_ANSWER_COLS,
                    [trust, trust, ppid, case.name, case.status, start, cls],
                    strict=True,
                )
            ),
        )

    def pathway(self, n: int, shape: WaitShape, truth: str, local_id: str, p: Person) -> str | None:
        rng, trust = self.rng, shape.trust
        start = self.as_of - timedelta(days=_wait_days(rng, shape))
        ppid = f"PW{n:08d}"
        entry = f"WL{n:08d}"
        admitted = rng.random() < 0.35
        priority = rng.choices(["1", "2", "3"], weights=[80, 18, 2])[0]
        dta = (
            start + timedelta(days=rng.randrange(max((self.as_of - start).days, 1)))
            if admitted
            else None
        )
        tci = (
            self.as_of + timedelta(days=rng.randrange(1, 28))
            if admitted and rng.random() < 0.4
            else None
        )
        base = self._patient(trust, local_id, p)
        common = {
            "ppid": ppid,
            "ppid_issuer_ods": trust,
            "referral_id": f"RF{n:08d}",
            "referral_received_date": start.isoformat(),
            "source_of_referral": "03",
            "tfc": shape.tfc,
            "priority_type": priority,
            "wl_entry_id": entry,
            "waiting_list_type": "IRTT" if admitted else "ORTT",
            "decided_to_admit_date": dta.isoformat() if dta else None,
            "tci_date": tci.isoformat() if tci else None,
            "intended_management": rng.choice("12") if admitted else None,
        }
        others = [t for t in self.trusts if t != trust]
        case = draw_case(rng, start, self.as_of, others)
        cls = "admitted" if admitted else "non_admitted"
        self._write_case(case, trust, ppid, {**base, **common}, (local_id, truth), cls)
        if case.received is not None and case.transfer_to is not None:
            to = case.transfer_to
            received = {
                **base,
                **common,
                "provider_ods": to,
                "local_patient_id": f"{to}-T{n:07d}",
                "ppid": f"{ppid}T",  # the receiving trust issues its own PPID
                "ppid_issuer_ods": to,
                "referral_id": None,
                "referral_received_date": None,
                "wl_entry_id": None,
                "ipt_clock_start_date": start.isoformat(),
                "ipt_sending_ods": trust,
            }
            ids = (f"{to}-T{n:07d}", truth)
            self._write_case(case.received, to, f"{ppid}T", received, ids, cls)
        first = start + timedelta(days=rng.randrange(7, 60))
        if first < self.as_of:
            appt = f"AP{n:08d}"
            row = {
                **base,
                "appointment_id": appt,
                "ppid": ppid,
                "ppid_issuer_ods": trust,
                "site_ods": f"{trust}0{1 + n % 2}",
                "appointment_date": first.isoformat(),
                "first_attendance": "1",
                "attended_or_dna": "3" if rng.random() < 0.04 else "5",
                "outcome_of_attendance": "2",
                "tfc": shape.tfc,
                "consultation_medium": rng.choice(["01", "01", "01", "02"]),
            }
            fname = self.files.write("outpatient_appointments", trust, row)
            self._answer(fname, f"{trust}:{appt}", trust, local_id, truth)
        return entry if admitted else None
