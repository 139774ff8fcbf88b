"""Anomalies: a spike or drop far from the recent median is flagged; a normal week is not."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from kpi_pipeline.kpi.anomalies import (
    ANOMALY_COLUMNS,
    detect_anomalies,
    poisson_tail,
    robust_z,
    weekly_noise,
)

FIRST_WEEK = date(2026, 8, 3)  # a Monday


def weekly_frame(values: list[float], metric_id: str = "sessions", days_present: int = 7) -> pd.DataFrame:
    rows = []
    for i, value in enumerate(values):
        start = FIRST_WEEK + timedelta(weeks=i)
        year, week, _ = start.isocalendar()
        rows.append(("demo", start, f"{year}-W{week:02d}", metric_id, value, value, None, days_present, 0))
    return pd.DataFrame(rows, columns=["site_id", "week_start", "iso_week", "metric_id", "value",
                                       "numerator", "denominator", "days_present", "provisional_days"])


def normal_weeks(count: int, seed: int = 11) -> list[float]:
    rng = np.random.default_rng(seed)
    return list(1000 + rng.normal(0, 30, count))


def test_an_injected_spike_is_flagged_and_normal_weeks_are_not() -> None:
    values = normal_weeks(16)
    values[14] = 1600.0
    found = detect_anomalies(weekly_frame(values))
    assert tuple(found.columns) == ANOMALY_COLUMNS
    assert found["week_start"].tolist() == [FIRST_WEEK + timedelta(weeks=14)]
    row = found.iloc[0]
    assert row["kind"] == "spike" and row["robust_z"] >= 3.5
    assert row["robust_z"] == pytest.approx(0.6745 * (1600 - row["median"]) / row["mad"])


def test_a_drop_is_flagged_as_a_drop_for_the_requested_week_only() -> None:
    values = normal_weeks(14) + [300.0, 1000.0]
    frame = weekly_frame(values)
    assert detect_anomalies(frame, week_start=FIRST_WEEK + timedelta(weeks=15)).empty
    found = detect_anomalies(frame, week_start=FIRST_WEEK + timedelta(weeks=14))
    assert found["kind"].tolist() == ["drop"] and found["iso_week"].tolist() == ["2026-W46"]


def test_weeks_with_too_little_history_or_incomplete_data_are_not_judged() -> None:
    assert detect_anomalies(weekly_frame([1000, 1010, 990, 5000])).empty
    assert detect_anomalies(weekly_frame([*normal_weeks(12), 5000.0], days_present=5)).empty


def test_a_flat_history_has_no_spread_and_is_not_judged() -> None:
    assert robust_z(5.0, [0.0] * 12) is None
    assert detect_anomalies(weekly_frame([0.0] * 12 + [3.0], metric_id="orders")).empty


def test_a_small_count_moving_within_its_poisson_noise_is_not_flagged() -> None:
    # two orders a week, give or take one: five in a week happens by chance
    history = [2.0, 1.0, 2.0, 3.0, 2.0, 2.0, 1.0, 2.0, 3.0, 2.0, 2.0, 2.0]
    assert detect_anomalies(weekly_frame([*history, 5.0], metric_id="orders")).empty
    assert detect_anomalies(weekly_frame([*history, 15.0], metric_id="orders"))["kind"].tolist() == ["spike"]


def test_a_count_dropping_to_zero_from_a_median_of_ten_is_flagged_by_its_poisson_chance() -> None:
    # ten a week, give or take one: robust z of 0 is only 0.6745 × −10 / (0.6745 × √10) = −3.16,
    # but a Poisson count of mean 10 is 0 with probability e^−10 = 4.5e-5 (cut-off: 2.3e-4)
    history = [10.0, 9.0, 11.0, 10.0, 10.0, 12.0, 10.0, 9.0, 10.0, 11.0, 10.0, 10.0]
    found = detect_anomalies(weekly_frame([*history, 0.0], metric_id="orders"))
    assert found["kind"].tolist() == ["drop"]
    row = found.iloc[0]
    assert row["robust_z"] == pytest.approx(-10 / math.sqrt(10))
    assert row["poisson_p"] == pytest.approx(math.exp(-10))
    # three from ten happens about once in a hundred weeks: not flagged
    assert detect_anomalies(weekly_frame([*history, 3.0], metric_id="orders")).empty


def test_seven_orders_from_a_median_of_two_is_chance_although_its_z_passes_three_and_a_half() -> None:
    # z = 0.6745 × 5 / (0.6745 × √2) = 3.54, but P(X ≥ 7 | 2) = 0.0045: the normal tail lies for small counts
    history = [2.0, 1.0, 2.0, 3.0, 2.0, 2.0, 1.0, 2.0, 3.0, 2.0, 2.0, 2.0]
    assert detect_anomalies(weekly_frame([*history, 7.0], metric_id="orders")).empty
    assert poisson_tail(7, 2) == pytest.approx(1 - sum(math.exp(-2) * 2**k / math.factorial(k) for k in range(7)))


def test_a_rate_is_at_least_as_noisy_as_a_binomial_share_of_its_denominator() -> None:
    # アポ率 20 % of 80 leads every week: no week-to-week change, but σ = √(0.2 × 0.8 / 80) = 4.47 pt
    flat = [0.2] * 13
    assert weekly_noise(flat) is None
    assert weekly_noise(flat, trials=[80.0] * 13) == pytest.approx(math.sqrt(0.2 * 0.8 / 80))
