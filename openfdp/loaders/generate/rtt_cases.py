"""The RTT status-event histories of generated pathways, and the answer by the rules for each.

Each pathway is one of a few cases the RTT rules treat differently (docs/formats.md): clock
start at referral receipt, no referral date (start at the 10), no determinable start,
first-appointment DNA clearly communicated (nullified, rebooked 10) or not (clock runs on),
inter-provider transfer (off the sender's list, on the receiver's from the original start),
a same-day start and stop recorded out of sequence, a clock stop, activity recorded before
the 10. The generator knows which case it drew, so it writes the expected clock state to
``rtt_answers.csv`` without running the clock engine: a hand count of that file is what the
waiting-list aggregate must equal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

RTT_ANSWER_COLS = [
    "provider_ods",
    "ppid_issuer_ods",
    "ppid",
    "case",
    "expected_status",
    "expected_clock_start",
    "pathway_class",
]


@dataclass
class Case:
    name: str
    #: (status, activity date, dna_communicated) in recording order (event_seq order)
    events: list[tuple[str, date, str]]
    referral_date: date | None
    #: the expected state of the latest clock period at the provider, by the rules
    status: str  # open | closed | transferred_out
    clock_start: date | None  # None: unknown start
    transfer_to: str | None = None
    #: a transfer's receiving pathway, written by the receiving trust
    received: Case | None = None
    ipt_clock_start: date | None = None
    ipt_from: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _later(rng: random.Random, day: date, as_of: date, n: int) -> list[date]:
    span = max((as_of - day).days, 1)
    return sorted(day + timedelta(days=1 + rng.randrange(span)) for _ in range(n))


def draw_case(rng: random.Random, start: date, as_of: date, others: list[str]) -> Case:
    """One pathway whose referral was received on `start`, as seen on `as_of`."""
    r = rng.random()
    span = (as_of - start).days
    follow = [("20", d, "") for d in _later(rng, start, as_of, rng.randrange(3))]
    if r < 0.01:  # activity recorded before the 10: the clock still starts at referral
        events = [("20", start, ""), ("10", start + timedelta(days=min(5, span)), "")]
        return Case("activity_before_10", events + follow, start, "open", start)
    if r < 0.03:  # no referral date: the clock starts at the 10, flagged
        return Case("no_referral_date", [("10", start, ""), *follow], None, "open", start)
    if r < 0.04:  # activity only, no 10, no referral date: open with unknown start
        events = [("20", d, "") for d in _later(rng, start, as_of, 2)]
        return Case("unknown_start", events, None, "open", None)
    if r < 0.06 and span > 30:  # first-appointment DNA
        dna = start + timedelta(days=rng.randrange(7, min(span, 40)))
        if rng.random() < 0.5:  # clearly communicated: nullified; the rebooked 10 restarts
            rebook = dna + timedelta(days=rng.randrange(1, 10))
            events = [("10", start, ""), ("33", dna, "Y"), ("10", rebook, "")]
            return Case("dna_communicated", events, start, "open", rebook)
        events = [("10", start, ""), ("33", dna, rng.choice(["N", ""]))]
        return Case("dna_not_communicated", events, start, "open", start)
    if r < 0.08 and others and span > 3:  # inter-provider transfer
        moved = start + timedelta(days=1 + rng.randrange(span - 1))
        to = rng.choice(others)
        received = Case(
            "transfer_received",
            [("20", d, "") for d in _later(rng, moved, as_of, 1 + rng.randrange(2))],
            None,
            "open",
            start,
            ipt_clock_start=start,
        )
        events = [("10", start, ""), ("21", moved, "")]
        return Case("transfer_sent", events, start, "transferred_out", start, to, received)
    if r < 0.09 and span > 2:  # seen and treated the same day, recorded stop first
        day = start + timedelta(days=1 + rng.randrange(span - 1))
        return Case(
            "same_day_stop_first", [("30", day, ""), ("10", day, "")], start, "closed", start
        )
    if r < 0.17 and span > 2:  # a clock stop
        stop = start + timedelta(days=rng.randrange(2, span))
        code = rng.choice(["30", "30", "30", "34", "32", "35"])
        events = [("10", start, ""), *(e for e in follow if e[1] < stop), (code, stop, "")]
        return Case("stopped", events, start, "closed", start)
    return Case("open", [("10", start, ""), *follow], start, "open", start)
