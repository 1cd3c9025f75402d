"""The RTT clock engine (pure): status events of one pathway -> derived clock periods.

Rules (DHSC RTT rules suite; NHS Data Dictionary REFERRAL TO TREATMENT PERIOD STATUS):

- start 10, 11, 12 open a period (11 should follow active monitoring 31/32; 10 may follow
  a DNA 33 when the patient rebooks);
- continue 20, 21 keep it running (21 = inter-provider transfer, the clock keeps running);
- stop 30-36 close it; 33 (did not attend the first appointment) stops the clock only when
  it is the first activity of the period and then *nullifies* the period when the
  appointment was demonstrably communicated;
- not RTT 90 (after treatment: must follow a 30), 91 (active monitoring: must follow 31/32),
  92, 98, 99.

Periods are always derived here, never taken from the input. Illegal sequences never raise:
they become data-quality flags on the period concerned (or on the pathway when no period
exists). Length and breach dates count calendar days from the clock start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

START = frozenset({"10", "11", "12"})
CONTINUE = frozenset({"20", "21"})
STOP = frozenset({"30", "31", "32", "33", "34", "35", "36"})
NOT_RTT = frozenset({"90", "91", "92", "98", "99"})
ALL_CODES = START | CONTINUE | STOP | NOT_RTT

#: breach thresholds: name -> days from clock start (18, 52, 65, 78, 104 weeks)
BREACH_DAYS: dict[str, int] = {
    "breach_date_18w": 126,
    "breach_date_52w": 364,
    "breach_date_65w": 455,
    "breach_date_78w": 546,
    "breach_date_104w": 728,
}


@dataclass(frozen=True, slots=True)
class StatusEvent:
    status_code: str
    activity_date: date
    seq: int = 0
    #: for 33 only: was the missed appointment demonstrably communicated? None = unknown
    communicated: bool | None = None


@dataclass(slots=True)
class Period:
    start_date: date
    start_code: str
    end_date: date | None = None
    stop_status_code: str | None = None
    nullified: bool = False
    transferred: bool = False
    activities: int = 0  # events after the start, before the stop
    flags: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "open" if self.end_date is None else "closed"

    @property
    def length_days(self) -> int | None:
        return None if self.end_date is None else (self.end_date - self.start_date).days

    def breach_dates(self) -> dict[str, date]:
        return {k: self.start_date + timedelta(days=d) for k, d in BREACH_DAYS.items()}

    def waited_days(self, as_of: date) -> int:
        """Days on the clock at `as_of` (closed periods: their length)."""
        end = self.end_date if self.end_date is not None else as_of
        return (end - self.start_date).days


@dataclass(slots=True)
class PathwayClock:
    periods: list[Period] = field(default_factory=list)
    #: findings that could not be attached to any period (no period ever opened)
    pathway_flags: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "open" if self.periods and self.periods[-1].end_date is None else "closed"

    @property
    def open_period(self) -> Period | None:
        return self.periods[-1] if self.status == "open" else None


def _flag(clock: PathwayClock, target: Period | None, flag: str) -> None:
    dest = target.flags if target is not None else clock.pathway_flags
    if flag not in dest:
        dest.append(flag)


def derive_periods(events: list[StatusEvent]) -> PathwayClock:
    """Fold the status events of one pathway (any order) into clock periods."""
    clock = PathwayClock()
    ordered = sorted(events, key=lambda e: (e.activity_date, e.seq))
    open_p: Period | None = None
    last_stop: str | None = None
    pending: list[str] = []  # findings seen before any period existed

    def last_period() -> Period | None:
        return clock.periods[-1] if clock.periods else None

    for ev in ordered:
        code = ev.status_code
        if code in START:
            if open_p is not None:
                _flag(clock, open_p, f"start_{code}_while_clock_open")
                continue
            open_p = Period(start_date=ev.activity_date, start_code=code)
            if code == "11" and last_stop not in {"31", "32"}:
                open_p.flags.append("start_11_without_active_monitoring")
            for f in pending:
                _flag(clock, open_p, f)
            pending.clear()
            clock.periods.append(open_p)
        elif code in CONTINUE:
            if open_p is None:
                _continue_without_clock(clock, pending, last_period(), code)
                continue
            open_p.activities += 1
            if code == "21":
                open_p.transferred = True
        elif code in STOP:
            if open_p is None:
                _continue_without_clock(clock, pending, last_period(), code, kind="stop")
                continue
            if code == "33" and open_p.activities > 0:
                # a DNA of a follow-up does not stop the clock
                _flag(clock, open_p, "dna_33_not_first_activity")
                open_p.activities += 1
                continue
            if ev.activity_date < open_p.start_date:
                _flag(clock, open_p, "stop_before_start")
            open_p.end_date = ev.activity_date
            open_p.stop_status_code = code
            if code == "33":
                if ev.communicated is True:
                    open_p.nullified = True
                elif ev.communicated is None:
                    _flag(clock, open_p, "dna_33_communication_unknown")
            last_stop = code
            open_p = None
        elif code in NOT_RTT:
            target = open_p if open_p is not None else last_period()
            if code == "99":
                _flag_or_pend(clock, pending, target, "status_99_not_yet_known")
            elif open_p is not None and code in {"90", "91", "92"}:
                _flag(clock, open_p, f"status_{code}_while_clock_open")
            elif code == "90" and last_stop != "30":
                _flag_or_pend(clock, pending, target, "status_90_without_prior_treatment")
            elif code == "91" and last_stop not in {"31", "32"}:
                _flag_or_pend(clock, pending, target, "status_91_without_active_monitoring")
        else:
            target = open_p if open_p is not None else last_period()
            _flag_or_pend(clock, pending, target, "unknown_status_code")
    for f in pending:
        _flag(clock, None, f)
    return clock


def _flag_or_pend(
    clock: PathwayClock, pending: list[str], target: Period | None, flag: str
) -> None:
    if target is not None:
        _flag(clock, target, flag)
    elif flag not in pending:
        pending.append(flag)


def _continue_without_clock(
    clock: PathwayClock, pending: list[str], last: Period | None, code: str, kind: str = "continue"
) -> None:
    _flag_or_pend(clock, pending, last, f"{kind}_{code}_without_open_clock")
