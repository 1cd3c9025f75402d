"""The RTT clock's data: the status codes by their effect on the clock (start, continue,
stop, not RTT), the week thresholds and the one week-boundary convention (over N weeks is
more than 7N days; the N-week breach date is ``start + 7N + 1`` days), a status event, a
clock period with its status, length and breach dates, and a pathway's clock. The clock
periods are derived by :func:`openfdp.loaders.rtt.derive_periods`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

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


def add_flag(clock: PathwayClock, target: Period | None, flag: str) -> None:
    dest = target.flags if target is not None else clock.pathway_flags
    if flag not in dest:
        dest.append(flag)
