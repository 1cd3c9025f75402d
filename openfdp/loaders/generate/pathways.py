"""The synthetic RTT pathways of the trust extracts: for one person at one trust, a wait
drawn from the trust and treatment function's published wait quantiles, the waiting-list
rows of its RTT status events (and of the receiving trust's copy after an inter-provider
transfer), a first outpatient appointment, the linkage answers of each row and the
pathway's RTT answer (clock start, status and class).
"""

from __future__ import annotations

import bisect
import random
from datetime import date, timedelta
from typing import Any

from openfdp.loaders.generate.people import Person
from openfdp.loaders.generate.reference import WaitShape
from openfdp.loaders.generate.resources import Files
from openfdp.loaders.generate.rtt_cases import RTT_ANSWER_COLS, Case, draw_case


def wait_days(rng: random.Random, shape: WaitShape) -> int:
    """A wait in days drawn from the shape's published wait quantiles."""
    pts = shape.quantiles()
    u = rng.random()
    i = max(1, bisect.bisect_left([q for q, _ in pts], u))
    (q0, w0), (q1, w1) = pts[i - 1], pts[min(i, len(pts) - 1)]
    weeks = w0 if q1 == q0 else w0 + (w1 - w0) * (u - q0) / (q1 - q0)
    return max(0, int(weeks * 7))


class PathwayWriter:
    """Writes the synthetic pathways of the ICS's trusts, one at a time, to the extracts."""

    def __init__(self, rng: random.Random, files: Files, as_of: date, trusts: list[str]) -> None:
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
        start = self.as_of - timedelta(days=wait_days(rng, shape))
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
