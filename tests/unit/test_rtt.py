"""The RTT clock engine, rule by rule (DHSC rules suite, domain-fdp §2.1)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from openfdp.loaders.rtt import derive_periods as _derive
from openfdp.loaders.rtt_clock import PathwayClock, StatusEvent

pytestmark = pytest.mark.unit

D0 = date(2026, 1, 5)


def derive_periods(events: list[StatusEvent]) -> PathwayClock:
    """The clock of a pathway whose referral was received on D0 (the usual case; the rules
    on a missing referral date are tested in tests/unit/test_rtt_rules.py)."""
    return _derive(events, referral_date=min([D0, *(e.activity_date for e in events)]))


def ev(code: str, day: int, seq: int = 0, communicated: bool | None = None) -> StatusEvent:
    return StatusEvent(code, D0 + timedelta(days=day), seq, communicated)


@pytest.mark.parametrize("start", ["10", "11", "12"])
def test_start_codes_open_a_clock(start: str) -> None:
    clock = derive_periods([ev(start, 0), ev("20", 10)])
    assert clock.status == "open"
    (p,) = clock.periods
    assert p.start_date == D0 and p.status == "open" and p.length_days is None


@pytest.mark.parametrize("stop", ["30", "31", "32", "34", "35", "36"])
def test_stop_codes_close_the_clock_with_length(stop: str) -> None:
    clock = derive_periods([ev("10", 0), ev("20", 30), ev(stop, 100)])
    (p,) = clock.periods
    assert p.status == "closed" and p.end_date == D0 + timedelta(days=100)
    assert p.stop_status_code == stop and p.length_days == 100
    assert clock.status == "closed" and p.flags == []


def test_breach_dates_at_18_52_65_78_104_weeks() -> None:
    """The breach date is the first day counted over N weeks (7N + 1 days after the start;
    RTT return week bands: exactly N weeks is within N weeks)."""
    (p,) = derive_periods([ev("10", 0)]).periods
    b = p.breach_dates()
    assert b["breach_date_18w"] == D0 + timedelta(days=127)
    assert b["breach_date_52w"] == D0 + timedelta(days=365)
    assert b["breach_date_65w"] == D0 + timedelta(days=456)
    assert b["breach_date_78w"] == D0 + timedelta(days=547)
    assert b["breach_date_104w"] == D0 + timedelta(days=729)
    assert p.waited_days(D0 + timedelta(days=127)) == 127


def test_transfer_21_keeps_the_clock_running_from_the_original_start() -> None:
    clock = derive_periods([ev("10", 0), ev("21", 40), ev("20", 60), ev("30", 90)])
    (p,) = clock.periods
    assert p.transferred and p.start_date == D0 and p.length_days == 90


def test_dna_first_appointment_communicated_nullifies_then_10_restarts() -> None:
    clock = derive_periods([ev("10", 0), ev("33", 20, communicated=True), ev("10", 35)])
    first, second = clock.periods
    assert first.stop_status_code == "33" and first.nullified and first.length_days == 20
    assert second.start_date == D0 + timedelta(days=35) and second.status == "open"
    assert first.flags == [] and second.flags == []


def test_dna_not_communicated_leaves_the_clock_running() -> None:
    """RTT rules suite, DNA: only a clearly communicated first appointment nullifies."""
    (p,) = derive_periods([ev("10", 0), ev("33", 20, communicated=False)]).periods
    assert p.status == "open" and not p.nullified and "dna_33_not_communicated" in p.flags


def test_dna_communication_unknown_is_flagged() -> None:
    (p,) = derive_periods([ev("10", 0), ev("33", 20)]).periods
    assert not p.nullified and "dna_33_communication_unknown" in p.flags


def test_dna_of_a_follow_up_does_not_stop_the_clock() -> None:
    clock = derive_periods([ev("10", 0), ev("20", 10), ev("33", 20, communicated=True)])
    (p,) = clock.periods
    assert p.status == "open" and "dna_33_not_first_activity" in p.flags


def test_active_monitoring_then_11_starts_a_new_period() -> None:
    clock = derive_periods([ev("10", 0), ev("32", 50), ev("91", 80), ev("11", 120)])
    first, second = clock.periods
    assert first.stop_status_code == "32" and second.start_code == "11"
    assert first.flags == [] and second.flags == []


def test_11_without_active_monitoring_is_flagged() -> None:
    clock = derive_periods([ev("10", 0), ev("30", 50), ev("11", 80)])
    assert "start_11_without_active_monitoring" in clock.periods[1].flags


def test_90_after_treatment_is_fine_and_90_without_treatment_is_flagged() -> None:
    ok = derive_periods([ev("10", 0), ev("30", 50), ev("90", 60)])
    assert ok.periods[0].flags == []
    bad = derive_periods([ev("10", 0), ev("34", 50), ev("90", 60)])
    assert "status_90_without_prior_treatment" in bad.periods[0].flags


def test_second_start_while_open_keeps_original_clock_and_flags() -> None:
    clock = derive_periods([ev("10", 0), ev("10", 30), ev("30", 60)])
    (p,) = clock.periods
    assert p.start_date == D0 and p.length_days == 60
    assert "start_10_while_clock_open" in p.flags


def test_activity_without_a_recorded_10_runs_from_referral_receipt() -> None:
    """RTT rules suite, clock starts: the clock starts when the referral is received; a
    missing 10 is flagged, not a reason to drop the period."""
    clock = derive_periods([ev("20", 0), ev("30", 5)])
    (p,) = clock.periods
    assert p.start_date == D0 and p.stop_status_code == "30" and p.flags == ["no_status_10"]
    assert clock.pathway_flags == [] and clock.status == "closed"


def test_finding_before_first_start_moves_onto_the_period() -> None:
    clock = derive_periods([ev("20", 0), ev("10", 5)])
    assert clock.periods[0].flags == ["activity_before_status_10"]
    assert clock.pathway_flags == []


def test_stop_after_closed_period_flags_that_period() -> None:
    clock = derive_periods([ev("10", 0), ev("30", 10), ev("34", 20)])
    (p,) = clock.periods
    assert p.stop_status_code == "30" and "stop_34_without_open_clock" in p.flags


def test_events_are_ordered_by_date_then_seq_not_input_order() -> None:
    clock = derive_periods([ev("30", 40, 3), ev("20", 10, 2), ev("10", 0, 1)])
    (p,) = clock.periods
    assert p.length_days == 40 and p.flags == []


def test_unknown_code_and_99_are_flagged_not_raised() -> None:
    clock = derive_periods([ev("10", 0), ev("77", 5), ev("99", 6)])
    assert {"unknown_status_code", "status_99_not_yet_known"} <= set(clock.periods[0].flags)


def test_not_rtt_activity_inside_an_open_clock_is_flagged() -> None:
    clock = derive_periods([ev("10", 0), ev("92", 5)])
    assert "status_92_while_clock_open" in clock.periods[0].flags
    assert derive_periods([ev("10", 0), ev("98", 5)]).periods[0].flags == []
