"""The RTT clock engine (pure): status events of one pathway -> derived clock periods.

Rules (DHSC RTT rules suite; NHS Data Dictionary REFERRAL TO TREATMENT PERIOD STATUS):

- clock starts (rules suite, clock starts; recording guidance): the pathway's first period
  starts on the REFERRAL REQUEST RECEIVED DATE, and 10 marks its first activity; with no
  referral date the 10 date is used and flagged ``clock_start_from_status_10``. 11 starts a
  period on its own date (decision to treat after active monitoring), 12 on the date the
  patient is fit and ready when recorded, else its own date. A pathway received by
  inter-provider transfer starts on the original clock start of the IPT minimum data set;
  a pathway with activity but no determinable start is *open with unknown start*;
- continue 20, 21 keep it running; 21 (transfer to another provider) ends the sender's
  reporting: the period is ``transferred_out`` at the sender from that date;
- stop 30-36 close it; 33 (did not attend the first appointment) stops the clock only when
  it is the first activity of a period started by 10 or 12 and was clearly communicated
  (then the period is *nullified*); otherwise the clock keeps running (not a stop);
- events of one day are taken in their sequence order, except that a day starting with no
  clock running takes its starts before its stops (same-day ordering);
- not RTT 90 (after treatment: must follow a 30), 91 (active monitoring: must follow 31/32),
  92, 98, 99.

Periods are always derived here, never taken from the input. Illegal sequences never raise:
they become data-quality flags on the period concerned (or on the pathway when no period
exists). Length and breach dates count calendar days from the clock start.

Week boundaries (one convention for the aggregate, the record filters and the breach dates,
as the national RTT return counts: a wait of exactly N weeks is *within* N weeks): a period
is over N weeks when it has waited more than 7N days; its N-week breach date is the first
day it counts as over, ``start + 7N + 1`` days.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby

from openfdp.loaders.rtt_clock import CONTINUE, START, STOP, PathwayClock, StatusEvent
from openfdp.loaders.rtt_fold import ClockFold

_PHASE = {**dict.fromkeys(START, 0), **dict.fromkeys(CONTINUE, 1), **dict.fromkeys(STOP, 2)}


def _days(events: list[StatusEvent]) -> list[list[StatusEvent]]:
    ordered = sorted(events, key=lambda e: (e.activity_date, e.seq))
    return [list(g) for _, g in groupby(ordered, key=lambda e: e.activity_date)]


def _start_first(day: list[StatusEvent]) -> list[StatusEvent]:
    """Same-day ordering: with no clock running, a day's starts come before its stops."""
    return sorted(day, key=lambda e: _PHASE.get(e.status_code, 3))


def derive_periods(
    events: list[StatusEvent],
    *,
    referral_date: date | None = None,
    transfer_start: date | None = None,
) -> PathwayClock:
    """Fold the status events of one pathway (any order) into clock periods.

    `referral_date`: REFERRAL REQUEST RECEIVED DATE of the pathway; `transfer_start`: the
    original clock start carried by an inter-provider transfer into this provider.
    """
    fold = ClockFold(referral_date, transfer_start)
    for day in _days(events):
        todo = day
        if fold.open_p is None and any(e.status_code in START for e in day):
            todo = _start_first(day)
            fold.reordered |= todo != day
        for ev in todo:
            fold.step(ev)
    return fold.finish()
