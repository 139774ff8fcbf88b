"""Pace lines and statuses, checked against values worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from kpi_pipeline.kpi.judgement.pacing import (
    elapsed_share,
    expected_total,
    expected_value,
    period_weeks,
    smooth,
    weekly_growth_rate,
)
from kpi_pipeline.kpi.judgement.status import pace_ratio, progress

# A 10-day period: day 5 is exactly halfway (days are counted with both ends included).
START, DEADLINE, HALFWAY = date(2027, 1, 1), date(2027, 1, 10), date(2027, 1, 5)


def test_elapsed_share_counts_days_with_both_ends_and_is_clipped() -> None:
    assert elapsed_share(START, DEADLINE, HALFWAY) == 0.5
    assert elapsed_share(START, DEADLINE, DEADLINE) == 1.0
    assert elapsed_share(START, DEADLINE, date(2026, 12, 1)) == 0.0
    assert elapsed_share(START, DEADLINE, date(2027, 6, 1)) == 1.0


def test_linear_pace_is_halfway_between_baseline_and_target_at_half_time() -> None:
    assert expected_value("linear", 1000, 1200, START, DEADLINE, HALFWAY) == (1100, None)


def test_linear_pace_reaches_the_target_at_the_deadline_and_works_downwards() -> None:
    assert expected_value("linear", 1000, 1250, START, DEADLINE, DEADLINE)[0] == 1250
    assert expected_value("linear", 0.55, 0.45, START, DEADLINE, HALFWAY)[0] == pytest.approx(0.50)


def test_compound_pace_grows_by_the_same_factor_each_week() -> None:
    # ×1.2 over the period: at half time the factor is sqrt(1.2) = 1.095445…
    value, note = expected_value("compound", 1000, 1200, START, DEADLINE, HALFWAY)
    assert value == pytest.approx(1095.445, abs=1e-3) and note is None
    # 4 weeks (28 days), ×2: 2 ** (1/4) − 1 = 18.92 % a week, and 2 weeks in the value is ×sqrt(2)
    start, deadline = date(2027, 2, 1), date(2027, 2, 28)
    assert weekly_growth_rate(100, 200, start, deadline) == pytest.approx(0.189207, abs=1e-6)
    assert expected_value("compound", 100, 200, start, deadline, date(2027, 2, 14))[0] == pytest.approx(141.421, abs=1e-3)


def test_compound_pace_from_zero_falls_back_to_linear_with_a_note() -> None:
    value, note = expected_value("compound", 0, 100, START, DEADLINE, HALFWAY)
    assert (value, note) == (50, "compound_fallback")


# Three Monday-to-Sunday weeks; last year the middle week was 50 % above its neighbours.
S_START, S_DEADLINE = date(2027, 1, 4), date(2027, 1, 24)
LAST_YEAR = [100.0, 150.0, 100.0]


def test_last_years_shape_is_smoothed_over_three_weeks_first() -> None:
    assert smooth([100.0, 150.0, 100.0]) == pytest.approx([125.0, 350 / 3, 125.0])
    assert smooth([7.0]) == [7.0]


def test_seasonal_pace_follows_last_years_smoothed_shape_between_baseline_and_target() -> None:
    assert len(period_weeks(S_START, S_DEADLINE)) == 3
    # smoothed last year: 125, 116.7, 125 – its own line is flat at 125
    # end of week 1: share 7/21 → linear 1100, × 125/125 → 1100
    assert expected_value("seasonal", 1000, 1300, S_START, S_DEADLINE, date(2027, 1, 10), LAST_YEAR)[0] == pytest.approx(1100)
    # end of week 2: linear 1200 × 116.7/125 = 1120 (unsmoothed, the one 150 week would ask 1800)
    assert expected_value("seasonal", 1000, 1300, S_START, S_DEADLINE, date(2027, 1, 17), LAST_YEAR)[0] == pytest.approx(1120)
    # the deadline still asks for exactly the target
    assert expected_value("seasonal", 1000, 1300, S_START, S_DEADLINE, S_DEADLINE, LAST_YEAR) == (pytest.approx(1300), None)


def test_seasonal_pace_never_expects_more_than_the_target_on_the_way() -> None:
    # five weeks; last year's week 3 was a peak: smoothed 100, 200, 200, 200, 100 on a flat line
    # of 100. End of week 3 (21 of 35 days): linear 1000 + 400 × 0.6 = 1240, × 2 = 2480 – more
    # than the 1400 target, so the pace stops at the target
    start, deadline, week_3 = date(2027, 1, 4), date(2027, 2, 7), date(2027, 1, 24)
    peak = [100.0, 100.0, 400.0, 100.0, 100.0]
    assert expected_value("seasonal", 1000, 1400, start, deadline, week_3, peak)[0] == pytest.approx(1400)
    # going down (a rate from 50 % to 45 %), a dip never asks for less than the target:
    # 0.50 − 0.05 × 0.6 = 0.47, × 0.7 = 0.329 → 0.45
    dip = [1.0, 1.0, 0.1, 1.0, 1.0]
    assert expected_value("seasonal", 0.50, 0.45, start, deadline, week_3, dip)[0] == pytest.approx(0.45)


def test_seasonal_pace_without_a_year_of_history_falls_back_to_linear_with_a_note() -> None:
    for shape in (None, [100.0, None, 100.0], [100.0, 150.0]):
        value, note = expected_value("seasonal", 1000, 1300, S_START, S_DEADLINE, date(2027, 1, 17), shape)
        assert value == pytest.approx(1200)
        assert note == "seasonal_fallback"


def test_cumulative_linear_pace_is_the_target_times_the_elapsed_share() -> None:
    # 100 orders in FY2026: by 2026-11-22 (236 of 365 days) 64.66 should be in
    value, note = expected_total("linear", 100, date(2026, 4, 1), date(2027, 3, 31), date(2026, 11, 22))
    assert value == pytest.approx(100 * 236 / 365) and note is None


def test_cumulative_seasonal_pace_is_last_years_smoothed_share_so_far() -> None:
    # smoothed 125, 116.7, 125 (sum 366.7): by the end of week 2, 241.7 / 366.7 of 366.7
    whole = 125 + 350 / 3 + 125
    at_week_2 = expected_total("seasonal", whole, S_START, S_DEADLINE, date(2027, 1, 17), LAST_YEAR)[0]
    assert at_week_2 == pytest.approx(125 + 350 / 3)
    tuesday = expected_total("seasonal", whole, S_START, S_DEADLINE, date(2027, 1, 12), LAST_YEAR)[0]
    assert tuesday == pytest.approx(125 + 350 / 3 * 2 / 7)
    flat = expected_total("seasonal", 100, START, DEADLINE, HALFWAY, [7.0, 7.0])
    assert flat[0] == pytest.approx(50)  # a flat shape is the linear pace, partial weeks included


def test_cumulative_compound_pace_is_linear_with_a_note() -> None:
    value, note = expected_total("compound", 100, START, DEADLINE, HALFWAY)
    assert (value, note) == (50, "compound_cumulative")


def test_pace_ratio_is_one_when_exactly_on_pace_in_either_direction() -> None:
    assert pace_ratio(1100, 1100, "higher") == 1 == pace_ratio(0.5, 0.5, "lower")


def test_progress_is_the_share_of_the_way_from_baseline_to_target() -> None:
    assert progress(1100, 1000, 1200) == 0.5
    assert progress(0.50, 0.55, 0.45) == pytest.approx(0.5)  # lower is better
    assert progress(5, 5, 5) is None
