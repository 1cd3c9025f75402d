"""The step-by-step fold behind :func:`openfdp.loaders.rtt.derive_periods`: each status
event of a pathway, in order, opens, continues, transfers out or stops a clock period, or
is flagged as an illegal sequence on the period concerned (or, before any period exists,
on the pathway). A 10 after earlier activity adopts the open period; a 33 stops the clock
only as the clearly communicated first activity of a period not started by 11.
"""

from __future__ import annotations

from datetime import date

from openfdp.loaders.rtt_clock import (
    CONTINUE,
    NOT_RTT,
    START,
    STOP,
    PathwayClock,
    Period,
    StatusEvent,
    add_flag,
)


class ClockFold:
    """The fold of one pathway's status events, taken one at a time in order, into its
    clock periods and data-quality flags (the rules are listed in :mod:`openfdp.loaders.rtt`).
    """

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
            add_flag(self.clock, period, f)
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
                add_flag(self.clock, open_p, f"start_{code}_while_clock_open")
            return
        if code == "10" and not self.clock.periods:
            self._open(self._first_start(ev))
        elif code == "12" and ev.fit_and_ready is not None:
            self._open(Period(ev.fit_and_ready, code, start_source="fit_and_ready"))
        else:
            period = self._open(Period(ev.activity_date, code))
            if code == "11" and self.last_stop not in {"31", "32"}:
                add_flag(self.clock, period, "start_11_without_active_monitoring")

    def _adopt_10(self, period: Period, ev: StatusEvent) -> None:
        """A 10 recorded after earlier activity: the period it belongs to is already open."""
        period.start_code = "10"
        period.flags = [f for f in period.flags if f not in {"no_status_10", "clock_start_unknown"}]
        if period.start_date is None:
            period.start_date, period.start_source = ev.activity_date, "status_event"
            period.flags.append("clock_start_from_status_10")
        add_flag(self.clock, period, "activity_before_status_10")

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
            add_flag(self.clock, self.open_p, f"status_{code}_while_clock_open")
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
        add_flag(self.clock, period, "activity_after_transfer_out")
        period.transferred_out_date = period.transferred_to = None

    def stop(self, period: Period, ev: StatusEvent) -> None:
        code = ev.status_code
        if code == "33" and not self._dna_stops(period, ev):
            period.activities += 1
            return
        if period.transferred_out_date is not None:
            self._back(period)
        if period.start_date is not None and ev.activity_date < period.start_date:
            add_flag(self.clock, period, "stop_before_start")
        period.end_date = ev.activity_date
        period.stop_status_code = code
        period.nullified = code == "33"
        self.last_stop = code
        self.open_p = None

    def _dna_stops(self, period: Period, ev: StatusEvent) -> bool:
        """33 (rules suite, DNA): only a clearly communicated first appointment of a period
        not started by 11 nullifies the clock; any other DNA leaves it running."""
        if period.activities > 0:
            add_flag(self.clock, period, "dna_33_not_first_activity")
        elif period.start_code == "11":
            add_flag(self.clock, period, "dna_33_after_active_monitoring")
        elif ev.communicated is None:
            add_flag(self.clock, period, "dna_33_communication_unknown")
        elif ev.communicated is False:
            add_flag(self.clock, period, "dna_33_not_communicated")
        else:
            return True
        return False

    def flag_or_pend(self, target: Period | None, flag: str) -> None:
        if target is not None:
            add_flag(self.clock, target, flag)
        elif flag not in self.pending:
            self.pending.append(flag)

    def finish(self) -> PathwayClock:
        for f in self.pending:
            add_flag(self.clock, None, f)
        if self.reordered:
            add_flag(self.clock, self.last_period(), "same_day_events_reordered")
        return self.clock
