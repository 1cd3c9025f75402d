"""RTT clock rules the monthly RTT return counts by, one test per rule, each citing its source:
the DHSC "Referral to treatment consultant-led waiting times: rules suite" (October 2022),
NHS England's "Recording and reporting RTT waiting times" guidance, and the NHS Data
Dictionary class REFERRAL TO TREATMENT PERIOD (see docs/formats.md)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from openfdp.loaders.rtt import derive_periods
from openfdp.loaders.rtt_clock import StatusEvent, over_weeks

pytestmark = pytest.mark.unit

REF = date(2026, 1, 5)  # referral received
FIRST = REF + timedelta(days=21)  # first activity (status 10)


def ev(code: str, day: date, seq: int = 0, **kw: object) -> StatusEvent:
    return StatusEvent(code, day, seq, **kw)  # type: ignore[arg-type]


def test_rules_suite_clock_start_is_the_referral_received_date_not_the_10_date() -> None:
    """Rules suite, clock starts (rule 1): the clock starts when the provider receives the
    referral; 10 marks the first activity of that period."""
    clock = derive_periods(
        [ev("10", FIRST), ev("20", FIRST + timedelta(days=9))], referral_date=REF
    )
    (p,) = clock.periods
    assert p.start_date == REF and p.start_source == "referral" and p.flags == []
    assert p.waited_days(REF + timedelta(days=100)) == 100


def test_recording_guidance_without_referral_date_the_10_date_is_used_and_flagged() -> None:
    """Recording guidance: a missing REFERRAL REQUEST RECEIVED DATE falls back to the first
    activity date, flagged for validation."""
    (p,) = derive_periods([ev("10", FIRST)]).periods
    assert p.start_date == FIRST and "clock_start_from_status_10" in p.flags


def test_rules_suite_11_starts_on_the_decision_to_treat_after_active_monitoring() -> None:
    """Rules suite, clock starts (rule 2): after active monitoring a new clock starts on the
    decision to treat (11), not on the original referral date."""
    am, decision = REF + timedelta(days=40), REF + timedelta(days=200)
    clock = derive_periods([ev("10", FIRST), ev("32", am), ev("11", decision)], referral_date=REF)
    first, second = clock.periods
    assert first.start_date == REF and first.stop_status_code == "32"
    assert second.start_date == decision and second.start_code == "11"


def test_rules_suite_12_starts_when_the_patient_is_fit_and_ready_where_recorded() -> None:
    """Rules suite, clock starts (rule 2): a new clock starts when the patient is fit and
    ready, where that date is recorded; otherwise on the 12 date."""
    fit = REF + timedelta(days=75)
    (p,) = derive_periods([ev("12", REF + timedelta(days=60), fit_and_ready=fit)]).periods
    assert p.start_date == fit and p.start_source == "fit_and_ready"
    (q,) = derive_periods([ev("12", REF + timedelta(days=60))]).periods
    assert q.start_date == REF + timedelta(days=60)


def test_dd_rtt_period_transfer_received_runs_from_the_original_clock_start() -> None:
    """DD REFERRAL TO TREATMENT PERIOD, inter-provider transfer: the period continues with
    the original start date carried in the IPT minimum data set."""
    original = REF - timedelta(days=90)
    clock = derive_periods(
        [ev("21", REF), ev("20", REF + timedelta(days=30))], transfer_start=original
    )
    (p,) = clock.periods
    assert p.start_date == original and p.transferred_in and p.status == "open"
    assert p.waited_days(REF) == 90


def test_dd_rtt_period_transfer_sent_leaves_the_senders_list_from_the_21() -> None:
    """DD REFERRAL TO TREATMENT PERIOD, status 21: the activity is anticipated by another
    provider, so the sender no longer reports the period as waiting with it."""
    out = REF + timedelta(days=50)
    clock = derive_periods([ev("10", FIRST), ev("21", out, transfer_to="RXX")], referral_date=REF)
    (p,) = clock.periods
    assert p.status == "transferred_out" and p.transferred_out_date == out
    assert p.transferred_to == "RXX" and p.end_date is None and clock.status == "transferred_out"


@pytest.mark.parametrize(
    ("communicated", "status", "flag"),
    [
        (True, "closed", None),
        (False, "open", "dna_33_not_communicated"),
        (None, "open", "dna_33_communication_unknown"),
    ],
)
def test_rules_suite_dna_nullifies_only_when_clearly_communicated(
    communicated: bool | None, status: str, flag: str | None
) -> None:
    """Rules suite, DNA (rule 5): a first-appointment DNA nullifies the clock only when the
    appointment was clearly communicated; otherwise the clock keeps running (not a stop)."""
    dna = FIRST + timedelta(days=7)
    (p,) = derive_periods(
        [ev("10", FIRST), ev("33", dna, communicated=communicated)], referral_date=REF
    ).periods
    assert p.status == status and p.nullified is (status == "closed")
    assert (flag in p.flags) if flag else p.flags == []


def test_rules_suite_dna_after_an_11_start_does_not_nullify() -> None:
    """Rules suite, DNA: the first-appointment rule applies to new referrals; a DNA in a
    period started by 11 (after active monitoring) does not nullify it."""
    clock = derive_periods(
        [ev("32", REF), ev("11", FIRST), ev("33", FIRST + timedelta(days=5), communicated=True)]
    )
    p = clock.periods[-1]
    assert p.start_code == "11" and p.status == "open" and not p.nullified
    assert "dna_33_after_active_monitoring" in p.flags


def test_rtt_return_activity_with_no_determinable_start_is_open_with_unknown_start() -> None:
    """RTT return, incomplete pathways with unknown clock start (their own column): activity
    with no start code, no referral date and no transfer start is open, never dropped."""
    clock = derive_periods([ev("20", FIRST), ev("20", FIRST + timedelta(days=9))])
    (p,) = clock.periods
    assert p.start_date is None and p.status == "open" and p.start_source == "unknown"
    assert "clock_start_unknown" in p.flags and clock.status == "open"
    assert p.waited_days(FIRST) is None and p.breach_dates() == {}


def test_rules_suite_same_day_start_and_stop_out_of_sequence_are_ordered_start_first() -> None:
    """Rules suite: a clock starts before it can stop; a same-day stop recorded with a lower
    sequence number than the start is taken after it, not left as an open clock."""
    clock = derive_periods([ev("30", FIRST, seq=1), ev("10", FIRST, seq=2)], referral_date=REF)
    (p,) = clock.periods
    assert p.status == "closed" and p.stop_status_code == "30" and p.end_date == FIRST
    assert "same_day_events_reordered" in p.flags


def test_same_day_stop_then_restart_in_sequence_is_kept() -> None:
    """A DNA then a rebooked 10 on one day (rules suite, 10 after 33) keeps its order."""
    day = FIRST + timedelta(days=3)
    clock = derive_periods(
        [ev("10", FIRST), ev("33", day, seq=1, communicated=True), ev("10", day, seq=2)],
        referral_date=REF,
    )
    first, second = clock.periods
    assert first.nullified and second.start_date == day and second.status == "open"


@pytest.mark.parametrize(
    ("days", "weeks", "over"),
    [
        *[(126, 18, False), (127, 18, True), (364, 52, False), (365, 52, True)],
        *[(455, 65, False), (456, 65, True), (546, 78, False), (547, 78, True)],
        *[(728, 104, False), (729, 104, True)],
    ],
)
def test_rtt_return_week_bands_exactly_n_weeks_is_within_n_weeks(
    days: int, weeks: int, over: bool
) -> None:
    """RTT return week bands ("Gt 17 To 18 Weeks" is within 18): 126 days is within 18
    weeks, 52+ weeks starts at 365 days; breach dates are the first day counted over."""
    assert over_weeks(days, weeks) is over
    (p,) = derive_periods([ev("10", REF)], referral_date=REF).periods
    breach = p.breach_dates()[f"breach_date_{weeks}w"]
    assert over_weeks((breach - REF).days, weeks)
    assert not over_weeks((breach - REF).days - 1, weeks)
