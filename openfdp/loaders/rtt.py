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

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

START = frozenset({"10", "11", "12"})
CONTINUE = frozenset({"20", "21"})
STOP = frozenset({"30", "31", "32", "33", "34", "35", "36"})
NOT_RTT = frozenset({"90", "91", "92", "98", "99"})
ALL_CODES = START | CONTINUE | STOP | NOT_RTT

#: the week thresholds the waiting-list aggregate and the breach dates use
THRESHOLD_WEEKS = (18, 52, 65, 78, 104)


def over_weeks(days: int, weeks: int) -> bool:
    """Over `weeks` weeks: more than 7 x weeks days (126 days is within 18 weeks)."""
    return days > 7 * weeks


#: breach dates: name -> days from clock start to the first day counted over the threshold
BREACH_DAYS: dict[str, int] = {f"breach_date_{w}w": 7 * w + 1 for w in THRESHOLD_WEEKS}


@dataclass(frozen=True, slots=True)
class StatusEvent:
    status_code: str
    activity_date: date
    seq: int = 0
    #: for 33 only: was the missed appointment clearly communicated? None = unknown
    communicated: bool | None = None
    #: for 12 only: the date the patient is fit and ready, when recorded
    fit_and_ready: date | None = None
    #: for 21 only: the provider the pathway transfers to (IPT), when recorded
    transfer_to: str | None = None


@dataclass(slots=True)
class Period:
    start_date: date | None  # None: open with unknown start
    start_code: str | None
    end_date: date | None = None
    stop_status_code: str | None = None
    nullified: bool = False
    transferred: bool = False  # a 21 was recorded in the period
    #: referral | status_event | fit_and_ready | transfer | unknown
    start_source: str = "status_event"
    transferred_in: bool = False  # received by inter-provider transfer
    transferred_out_date: date | None = None  # 21: the sender reports it no more
    transferred_to: str | None = None
    activities: int = 0  # events after the start, before the stop
    flags: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """open, closed, or transferred_out (still running, at another provider)."""
        if self.end_date is not None:
            return "closed"
        return "open" if self.transferred_out_date is None else "transferred_out"

    @property
    def length_days(self) -> int | None:
        if self.end_date is None or self.start_date is None:
            return None
        return (self.end_date - self.start_date).days

    def breach_dates(self) -> dict[str, date]:
        start = self.start_date
        return (
            {} if start is None else {k: start + timedelta(days=d) for k, d in BREACH_DAYS.items()}
        )

    def waited_days(self, as_of: date) -> int | None:
        """Days on the clock at `as_of` (closed periods: their length; unknown start: None)."""
        if self.start_date is None:
            return None
        end = self.end_date if self.end_date is not None else as_of
        return (end - self.start_date).days


@dataclass(slots=True)
class PathwayClock:
    periods: list[Period] = field(default_factory=list)
    #: findings that could not be attached to any period (no period ever opened)
    pathway_flags: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.periods[-1].status if self.periods else "closed"

    @property
    def open_period(self) -> Period | None:
        return self.periods[-1] if self.status == "open" else None


def _flag(clock: PathwayClock, target: Period | None, flag: str) -> None:
    dest = target.flags if target is not None else clock.pathway_flags
    if flag not in dest:
        dest.append(flag)


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
    fold = _Fold(referral_date, transfer_start)
    for day in _days(events):
        todo = day
        if fold.open_p is None and any(e.status_code in START for e in day):
            todo = _start_first(day)
            fold.reordered |= todo != day
        for ev in todo:
            fold.step(ev)
    return fold.finish()


class _Fold:
    def __init__(self, referral_date: date | None, transfer_start: date | None) -> None:
        self.clock = PathwayClock()
        self.referral_date, self.transfer_start = referral_date, transfer_start
        self.open_p: Period | None = None
        self.last_stop: str | None = None
        self.pending: list[str] = []  # findings seen before any period existed
        self.reordered = False

    def last_period(self) -> Period | None:
        return self.clock.periods[-1] if self.clock.periods else None

    def _open(self, period: Period) -> Period:
        for f in self.pending:
            _flag(self.clock, period, f)
        self.pending.clear()
        self.clock.periods.append(period)
        self.open_p = period
        return period

    def _first_start(self, ev: StatusEvent) -> Period:
        """The pathway's first clock start, marked by a 10."""
        if self.transfer_start is not None:
            return Period(self.transfer_start, "10", start_source="transfer", transferred_in=True)
        ref = self.referral_date
        if ref is not None and ref <= ev.activity_date:
            return Period(ref, "10", start_source="referral")
        period = Period(ev.activity_date, "10")
        period.flags.append(
            "referral_after_first_activity" if ref is not None else "clock_start_from_status_10"
        )
        return period

    def _implicit(self) -> Period:
        """Activity with no clock start recorded: received by transfer, started at referral
        receipt, or open with unknown start."""
        if self.transfer_start is not None:
            return Period(self.transfer_start, None, start_source="transfer", transferred_in=True)
        if self.referral_date is not None:
            return Period(self.referral_date, None, start_source="referral", flags=["no_status_10"])
        return Period(None, None, start_source="unknown", flags=["clock_start_unknown"])

    def start(self, ev: StatusEvent) -> None:
        code, open_p = ev.status_code, self.open_p
        if open_p is not None:
            if code == "10" and open_p.start_code is None and open_p.activities > 0:
                self._adopt_10(open_p, ev)
            else:
                _flag(self.clock, open_p, f"start_{code}_while_clock_open")
            return
        if code == "10" and not self.clock.periods:
            self._open(self._first_start(ev))
        elif code == "12" and ev.fit_and_ready is not None:
            self._open(Period(ev.fit_and_ready, code, start_source="fit_and_ready"))
        else:
            period = self._open(Period(ev.activity_date, code))
            if code == "11" and self.last_stop not in {"31", "32"}:
                _flag(self.clock, period, "start_11_without_active_monitoring")

    def _adopt_10(self, period: Period, ev: StatusEvent) -> None:
        """A 10 recorded after earlier activity: the period it belongs to is already open."""
        period.start_code = "10"
        period.flags = [f for f in period.flags if f not in {"no_status_10", "clock_start_unknown"}]
        if period.start_date is None:
            period.start_date, period.start_source = ev.activity_date, "status_event"
            period.flags.append("clock_start_from_status_10")
        _flag(self.clock, period, "activity_before_status_10")

    def step(self, ev: StatusEvent) -> None:
        code = ev.status_code
        if code in START:
            self.start(ev)
            return
        if code in CONTINUE or code in STOP:
            if self.open_p is None and not self.clock.periods:
                self._open(self._implicit())
            if self.open_p is None:
                kind = "continue" if code in CONTINUE else "stop"
                self.flag_or_pend(self.last_period(), f"{kind}_{code}_without_open_clock")
            elif code in CONTINUE:
                self.carry_on(self.open_p, ev)
            else:
                self.stop(self.open_p, ev)
            return
        target = self.open_p if self.open_p is not None else self.last_period()
        if code not in NOT_RTT:
            self.flag_or_pend(target, "unknown_status_code")
        elif code == "99":
            self.flag_or_pend(target, "status_99_not_yet_known")
        elif self.open_p is not None and code in {"90", "91", "92"}:
            _flag(self.clock, self.open_p, f"status_{code}_while_clock_open")
        elif code == "90" and self.last_stop != "30":
            self.flag_or_pend(target, "status_90_without_prior_treatment")
        elif code == "91" and self.last_stop not in {"31", "32"}:
            self.flag_or_pend(target, "status_91_without_active_monitoring")

    def carry_on(self, period: Period, ev: StatusEvent) -> None:
        received = period.transferred_in and period.activities == 0
        period.activities += 1
        if ev.status_code == "21":
            period.transferred = True
            if ev.transfer_to is not None or not received:
                period.transferred_out_date = ev.activity_date
                period.transferred_to = ev.transfer_to
        elif period.transferred_out_date is not None:
            self._back(period)

    def _back(self, period: Period) -> None:
        _flag(self.clock, period, "activity_after_transfer_out")
        period.transferred_out_date = period.transferred_to = None

    def stop(self, period: Period, ev: StatusEvent) -> None:
        code = ev.status_code
        if code == "33" and not self._dna_stops(period, ev):
            period.activities += 1
            return
        if period.transferred_out_date is not None:
            self._back(period)
        if period.start_date is not None and ev.activity_date < period.start_date:
            _flag(self.clock, period, "stop_before_start")
        period.end_date = ev.activity_date
        period.stop_status_code = code
        period.nullified = code == "33"
        self.last_stop = code
        self.open_p = None

    def _dna_stops(self, period: Period, ev: StatusEvent) -> bool:
        """33 (rules suite, DNA): only a clearly communicated first appointment of a period
        not started by 11 nullifies the clock; any other DNA leaves it running."""
        if period.activities > 0:
            _flag(self.clock, period, "dna_33_not_first_activity")
        elif period.start_code == "11":
            _flag(self.clock, period, "dna_33_after_active_monitoring")
        elif ev.communicated is None:
            _flag(self.clock, period, "dna_33_communication_unknown")
        elif ev.communicated is False:
            _flag(self.clock, period, "dna_33_not_communicated")
        else:
            return True
        return False

    def flag_or_pend(self, target: Period | None, flag: str) -> None:
        if target is not None:
            _flag(self.clock, target, flag)
        elif flag not in self.pending:
            self.pending.append(flag)

    def finish(self) -> PathwayClock:
        for f in self.pending:
            _flag(self.clock, None, f)
        if self.reordered:
            _flag(self.clock, self.last_period(), "same_day_events_reordered")
        return self.clock
