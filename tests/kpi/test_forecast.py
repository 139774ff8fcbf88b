"""Forecast of the deadline value from recent weeks, its verdict, and the backtest."""

from __future__ import annotations

import numpy as np
import pytest

from kpi_pipeline.kpi.judgement.forecast import (
    Forecast,
    backtest,
    forecast_total,
    forecast_value,
    verdict,
)


def trending_weeks(weeks: int = 12, seed: int = 7) -> list[float]:
    """100 + 5 a week, with noise of sd 4."""
    rng = np.random.default_rng(seed)
    return [100 + 5 * x + rng.normal(0, 4) for x in range(weeks)]


def test_the_deadline_estimate_of_a_known_trend_lands_inside_its_band() -> None:
    found = forecast_value(trending_weeks(), steps_ahead=8)
    truth = 100 + 5 * (11 + 8)
    assert found is not None
    assert found.low < truth < found.high
    assert found.value == pytest.approx(truth, rel=0.05)


def test_the_band_widens_the_further_ahead_we_look() -> None:
    near, far = forecast_value(trending_weeks(), 1), forecast_value(trending_weeks(), 20)
    assert near is not None and far is not None
    assert far.high - far.low > near.high - near.low


def test_too_few_weeks_give_no_forecast() -> None:
    assert forecast_value([1.0, 2.0, 3.0], 4) is None


def test_counts_never_forecast_below_zero_and_rates_never_above_one() -> None:
    falling = forecast_value([40.0, 30.0, 20.0, 10.0], 10)
    assert falling is not None and falling.value == 0 and falling.low == 0
    rising = forecast_value([0.7, 0.8, 0.9, 0.95], 10, ceiling=1.0)
    assert rising is not None and rising.high == 1.0


def test_the_running_total_forecast_adds_the_trend_of_the_remaining_weeks() -> None:
    flat = [10.0, 12.0, 8.0, 8.0, 12.0, 10.0]  # no trend, mean 10
    found = forecast_total(flat, current_total=100, future_weights=[1, 1, 1, 1, 3 / 7])
    assert found is not None
    assert found.value == pytest.approx(100 + 10 * (4 + 3 / 7))
    assert found.low >= 100  # a running total cannot shrink


@pytest.mark.parametrize(
    ("band", "target", "direction", "expected"),
    [
        (Forecast(120, 110, 130), 100, "higher", "will_reach"),
        (Forecast(100, 90, 110), 100, "higher", "may_reach"),
        (Forecast(80, 70, 90), 100, "higher", "will_miss"),
        (Forecast(0.40, 0.38, 0.42), 0.45, "lower", "will_reach"),
        (Forecast(0.45, 0.43, 0.47), 0.45, "lower", "may_reach"),
        (Forecast(0.50, 0.48, 0.52), 0.45, "lower", "will_miss"),
    ],
)
def test_the_verdict_compares_the_target_with_the_band_in_the_right_direction(
    band: Forecast, target: float, direction: str, expected: str,
) -> None:
    assert verdict(band, target, direction) == expected


def test_backtest_of_a_clean_trend_is_nearly_perfect_and_of_noise_is_not() -> None:
    assert backtest([100 + 5 * x for x in range(30)], horizon_weeks=4) == pytest.approx(0, abs=1e-9)
    noisy = backtest(trending_weeks(40, seed=3), horizon_weeks=4)
    assert noisy is not None and 0 < noisy < 0.1
    assert backtest([1.0] * 10, horizon_weeks=4) is None
