"""Where a goal will land at its deadline if recent weeks continue, with an honest band.

A straight-line trend is fitted to the last 8–12 complete weeks (least squares, numpy only);
the band is the ordinary prediction interval of that fit (residual spread, widened by the
uncertainty of the fitted line itself and by how far ahead we look). The verdict compares the
target with the band: inside the good side entirely → ``will_reach``, entirely on the bad side
→ ``will_miss``, straddling it → ``may_reach``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kpi_pipeline.catalog import Direction

Z_BAND = 1.645  # ≈ 90 % two-sided band
MIN_WEEKS = 4  # fewer points cannot separate a trend from noise
FIT_WEEKS = 26  # weeks fitted: half a year smooths holidays and bursts (bench/forecast_backtest.py)


@dataclass(frozen=True)
class Forecast:
    value: float
    low: float
    high: float


@dataclass(frozen=True)
class _Fit:
    intercept: float
    slope: float
    sigma: float
    n: int
    x_mean: float
    sxx: float

    def at(self, x: float) -> float:
        return self.intercept + self.slope * x


def _fit(values: Sequence[float]) -> _Fit | None:
    y = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = len(y)
    if n < MIN_WEEKS:
        return None
    x = np.arange(n, dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (intercept + slope * x)
    sigma = float(np.sqrt(np.sum(residuals**2) / (n - 2)))
    return _Fit(float(intercept), float(slope), sigma, n, float(x.mean()), float(np.sum((x - x.mean()) ** 2)))


def _bounded(value: float, low: float, high: float, floor: float | None, ceiling: float | None) -> Forecast:
    def clip(v: float) -> float:
        if floor is not None:
            v = max(floor, v)
        if ceiling is not None:
            v = min(ceiling, v)
        return v

    return Forecast(clip(value), clip(low), clip(high))


def forecast_value(
    values: Sequence[float],
    steps_ahead: float,
    *,
    z: float = Z_BAND,
    floor: float | None = 0.0,
    ceiling: float | None = None,
) -> Forecast | None:
    """The weekly value ``steps_ahead`` weeks after the last of ``values`` (oldest first).

    None with fewer than :data:`MIN_WEEKS` values. ``floor``/``ceiling`` keep counts ≥ 0 and
    rates ≤ 1.
    """
    fit = _fit(values)
    if fit is None:
        return None
    x0 = fit.n - 1 + steps_ahead
    centre = fit.at(x0)
    spread = z * fit.sigma * math.sqrt(1 + 1 / fit.n + (x0 - fit.x_mean) ** 2 / fit.sxx)
    return _bounded(centre, centre - spread, centre + spread, floor, ceiling)


def forecast_total(
    values: Sequence[float],
    current_total: float,
    future_weights: Sequence[float],
    *,
    z: float = Z_BAND,
) -> Forecast | None:
    """The running total at the deadline: today's total plus the trend's remaining weeks.

    ``values`` are recent weekly amounts (oldest first); ``future_weights`` one weight per
    week still to come (1 for a whole week, days/7 for the last partial one). The band adds
    week-to-week noise of every future week to the uncertainty of the fitted line.
    """
    fit = _fit(values)
    if fit is None:
        return None
    xs = np.arange(fit.n, fit.n + len(future_weights), dtype=float)
    w = np.asarray(future_weights, dtype=float)
    centre = current_total + float(np.sum(w * (fit.intercept + fit.slope * xs)))
    variance = fit.sigma**2 * (
        np.sum(w**2) + np.sum(w) ** 2 / fit.n + np.sum(w * (xs - fit.x_mean)) ** 2 / fit.sxx
    )
    spread = z * math.sqrt(float(variance))
    return _bounded(centre, centre - spread, centre + spread, current_total, None)


def verdict(forecast: Forecast, target: float, direction: Direction | str) -> str:
    """``will_reach`` / ``may_reach`` / ``will_miss``: where the target lies against the band."""
    if Direction(direction) is Direction.HIGHER:
        if forecast.low >= target:
            return "will_reach"
        return "will_miss" if forecast.high < target else "may_reach"
    if forecast.high <= target:
        return "will_reach"
    return "will_miss" if forecast.low > target else "may_reach"


def backtest(weekly_series: Sequence[float], horizon_weeks: int, window: int = FIT_WEEKS) -> float | None:
    """Mean absolute percentage error of :func:`forecast_value` ``horizon_weeks`` ahead.

    Rolls the origin through the series: fit on ``window`` weeks, compare the forecast with
    what actually happened. Weeks whose actual is 0 are skipped (no percentage). None when the
    series is too short for a single try.
    """
    series = [float(v) for v in weekly_series]
    errors = []
    for origin in range(window, len(series) - horizon_weeks + 1):
        actual = series[origin + horizon_weeks - 1]
        forecast = forecast_value(series[origin - window:origin], horizon_weeks, floor=None)
        if forecast is not None and actual != 0:
            errors.append(abs(forecast.value - actual) / abs(actual))
    return float(np.mean(errors)) if errors else None
