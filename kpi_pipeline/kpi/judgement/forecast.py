"""What the deadline judgement will read, and the chance that it reaches the target.

The deadline judgement reads one number, the *judged measure*: the mean of the judgement
window for a weekly goal, the total for a cumulative one, the period's measure for a keep goal.
Seen from the last complete week, that number is a known part (weeks already in it) plus a
weighted sum of future weeks (:class:`Judged`). Three steps turn it into a distribution:

1. **A point forecast of the future weeks' mean**: the metric's level over the last
   :data:`LEVEL_WEEKS` complete weeks (the current run rate, which a step change moves within
   weeks, unlike a trend line through half a year), bent by last year's seasonal shape where a
   year of history exists: the level times (last year's same future weeks / last year's weeks
   of the level window) ** :data:`SEASON_WEIGHT`.
2. **An error model learned from the metric's own history**: the same forecast made from
   every past origin for a block of weeks shaped exactly like this one (same distance ahead,
   same length, same weights), compared with what happened. The errors' spread at *this*
   horizon is the forecast's uncertainty, its mean the forecast's habitual bias (what a
   proportional trend does to a run rate, corrected by :data:`BIAS_SHRINK`). Errors are ratios (logs), so they carry over between levels. With
   fewer than :data:`MIN_ORIGINS` past origins (a new site) the spread comes from the recent
   weeks' own wobble, widened with the horizon.
3. **Counting noise for counts**: a count of a few a week is Poisson around its level. The
   learned errors already hold that noise at the levels of the past, so its share is taken out
   of them and the future weeks are drawn from a Poisson around each drawn level: a count that
   did not vary still gets the spread a count has, and a small count is discrete.

The distribution is :data:`DRAWS` draws with a fixed seed (the same inputs always give the same
chance; a backfill equals week-by-week runs). ``p_reach`` is the share of draws whose judged
measure reaches the target the way the deadline judgement decides it; the band is the 5–95 %
range of the judged measure, so a target outside the band means a chance under 5 % or over 95 %.
Calibration on goals nobody tuned on is measured in ``bench/calibration.py`` (docs/metrics.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

LEVEL_WEEKS = 8  # the run rate: long enough to average out a week, short enough for a step change
MIN_LEVEL_WEEKS = 4  # fewer complete weeks in the level window: no forecast
SEASON_LAG = 52  # weeks back to the same weeks last year
SEASON_WEIGHT = 0.5  # last year's shape, half-believed (a year's shape is itself noisy)
SEASON_CLIP = (0.5, 2.0)  # a seasonal factor beyond this is a one-off, not a season
SEASON_GAIN = 0.8  # the seasonal forecast is used when its past squared errors are this much smaller
MIN_ORIGINS = 8  # past forecasts needed to learn the error spread at a horizon
BIAS_SHRINK = 1.0  # share of the past forecasts' mean error corrected for (1: all of it)
SPREAD_FLOOR = 0.02  # at least ±2 % (log) on a level: nothing is that sure weeks ahead
PRIOR_WEIGHT = 4.0  # independent forecasts' worth of the prior spread a learned one is pooled with
DRAWS = 4000
BAND = (0.05, 0.95)  # the forecast band: 90 % of the draws
SEED = 20261205


@dataclass(frozen=True)
class Judged:
    """The number the deadline judgement reads, seen from the last complete week.

    ``(known + Σ weight·(week value)) / divisor`` over the ``future`` weeks, given as (weeks
    after the last complete week, weight) pairs; reached when it is at least (``higher``) or at
    most the ``threshold``. ``count``: the metric counts events (Poisson noise week by week).
    """

    known: float
    divisor: float
    future: tuple[tuple[int, float], ...]
    threshold: float
    higher: bool
    count: bool = False

    @property
    def weight(self) -> float:
        return sum(w for _, w in self.future)

    def value(self, future_sum: np.ndarray | float) -> np.ndarray | float:
        """The judged measure for a future sum of weighted weeks."""
        return (self.known + future_sum) / self.divisor

    def reached(self, measure: np.ndarray) -> np.ndarray:
        # a hair of tolerance: (60 + 40) / 1 must reach 100 despite float sums
        slack = 1e-9 * max(1.0, abs(self.threshold))
        return measure >= self.threshold - slack if self.higher else measure <= self.threshold + slack


@dataclass(frozen=True)
class Outlook:
    """The judged measure's forecast (median and 5–95 % band) and the chance it reaches."""

    p_reach: float
    value: float
    low: float
    high: float
    level: float  # the recent run rate per week the forecast starts from


def _level(values: np.ndarray, end: int) -> float | None:
    """Mean of the complete weeks among the :data:`LEVEL_WEEKS` ending at index ``end``."""
    window = values[max(0, end - LEVEL_WEEKS + 1): end + 1]
    known = window[~np.isnan(window)]
    return float(known.mean()) if len(known) >= MIN_LEVEL_WEEKS else None


def _season(values: np.ndarray, end: int, future: Sequence[tuple[int, float]]) -> float | None:
    """Last year's future weeks over last year's level window (None without a full year)."""
    base = end - SEASON_LAG
    if base - LEVEL_WEEKS + 1 < 0:
        return None
    level = values[base - LEVEL_WEEKS + 1: base + 1]
    ahead = np.array([values[base + h] if base + h < len(values) else np.nan for h, _ in future])
    weights = np.array([w for _, w in future])
    if np.isnan(level).any() or np.isnan(ahead).any() or level.mean() <= 0:
        return None
    factor = float((ahead * weights).sum() / weights.sum() / level.mean())
    return min(max(factor, SEASON_CLIP[0]), SEASON_CLIP[1]) if factor > 0 else None


def _point(values: np.ndarray, end: int, future: Sequence[tuple[int, float]],
           seasonal: bool) -> float | None:
    level = _level(values, end)
    if level is None:
        return None
    if not seasonal:
        return level
    factor = _season(values, end, future)
    return None if factor is None else level * factor ** SEASON_WEIGHT


@dataclass(frozen=True)
class _Errors:
    log_errors: np.ndarray  # log((actual + c) / (forecast + c)) of past forecasts
    counting_share: float  # mean Poisson variance (log) of the past blocks: in the errors already
    origins: np.ndarray  # the week index each past forecast was made at

    def at(self, origins: np.ndarray) -> np.ndarray:
        """The errors of the forecasts made at ``origins`` (a subset of this set's)."""
        return self.log_errors[np.isin(self.origins, origins)]


def _past_errors(values: np.ndarray, last: int, future: tuple[tuple[int, float], ...],
                 seasonal: bool, count: bool) -> _Errors:
    """Every past forecast of a block shaped like ``future`` whose outcome is known by ``last``."""
    offsets = np.array([h for h, _ in future])
    weights = np.array([w for _, w in future])
    total = weights.sum()
    errors, counting, made = [], [], []
    for origin in range(LEVEL_WEEKS - 1, last - int(offsets.max()) + 1):
        actual = values[origin + offsets]
        if np.isnan(actual).any():
            continue
        forecast = _point(values, origin, future, seasonal)
        if forecast is None:
            continue
        outcome = float((actual * weights).sum() / total)
        c = _offset(forecast, total, count)
        if forecast + c <= 0 or outcome + c <= 0:
            continue
        errors.append(math.log((outcome + c) / (forecast + c)))
        made.append(origin)
        if count:
            counting.append(1.0 / max(forecast * total, 0.5))
    return _Errors(np.array(errors), float(np.mean(counting)) if counting else 0.0, np.array(made))


def _offset(level: float, weight: float, count: bool) -> float:
    """What keeps a log finite at zero: half an event over the block for counts, a sliver else."""
    return 0.5 / weight if count else 1e-6 * max(abs(level), 1e-9)


@lru_cache(maxsize=4096)
def _learned(values: tuple[float, ...], last: int, future: tuple[tuple[int, float], ...],
             seasonal: bool, count: bool) -> _Errors:
    return _past_errors(np.array(values, dtype=float), last, future, seasonal, count)


def _enough(future: tuple[tuple[int, float], ...]) -> int:
    """Past forecasts needed to learn from: forecasts from neighbouring weeks see nearly the same
    weeks, so a horizon of h weeks needs about h more of them than :data:`MIN_ORIGINS`."""
    return MIN_ORIGINS + max(h for h, _ in future)


def _season_helps(seasonal: _Errors, plain: _Errors, future: tuple[tuple[int, float], ...]) -> bool:
    """Last year's shape is used where it earned it: enough past seasonal forecasts, whose
    squared errors are at most :data:`SEASON_GAIN` of the plain forecasts' from the same weeks.
    (A year's shape also holds that year's one-off moves; on a metric without a real season it
    only adds them to the forecast.)"""
    if len(seasonal.log_errors) < _enough(future):
        return False
    same = plain.at(seasonal.origins)
    return float(np.mean(seasonal.log_errors ** 2)) <= SEASON_GAIN * float(np.mean(same ** 2))


def _independent(origins: int, future: tuple[tuple[int, float], ...]) -> float:
    """Roughly how many independent past forecasts ``origins`` overlapping ones are worth."""
    return origins * LEVEL_WEEKS / (LEVEL_WEEKS + max(h for h, _ in future))


def _level_draws(errors: _Errors, rng: np.random.Generator, count: bool, independent: float,
                 prior: float) -> np.ndarray:
    """Log-ratio draws of the future level against the point forecast, from past errors.

    A bootstrap of the errors, smoothed by a normal kernel (Silverman's bandwidth) and centred
    on the shrunk mean error. Its variance is pooled with the ``prior`` variance, weighted as
    :data:`PRIOR_WEIGHT` forecasts against the ``independent`` ones learned from: a spread learned
    from a few calm months is not trusted alone. For counts the Poisson share of the errors'
    variance is taken out (the Poisson draw puts it back at today's level)."""
    e = errors.log_errors
    n = len(e)
    centre = BIAS_SHRINK * float(e.mean())
    spread = float(e.std(ddof=1))
    deviation = e[rng.integers(0, n, DRAWS)] - e.mean()
    iqr = float(np.subtract(*np.percentile(e, [75, 25]))) / 1.349
    bandwidth = 0.9 * min(spread, iqr if iqr > 0 else spread) * n ** -0.2
    variance = spread ** 2 + bandwidth ** 2
    if variance <= 0:  # every past forecast was exact: the prior alone
        return centre + math.sqrt(max(prior, SPREAD_FLOOR ** 2)) * rng.standard_normal(DRAWS)
    deviation = deviation + bandwidth * rng.standard_normal(DRAWS)
    learned = max(variance - (errors.counting_share if count else 0.0), SPREAD_FLOOR ** 2)
    pooled = (independent * learned + PRIOR_WEIGHT * prior) / (independent + PRIOR_WEIGHT)
    return centre + math.sqrt(max(pooled, SPREAD_FLOOR ** 2) / variance) * deviation


def _prior_variance(values: np.ndarray, last: int, future: tuple[tuple[int, float], ...],
                    count: bool) -> float:
    """A new site's spread (log variance of the level ahead): the recent weeks' wobble, for the
    level's own uncertainty and a drift that grows with the horizon."""
    recent = values[max(0, last - 25): last + 1]
    recent = recent[~np.isnan(recent)]
    positive = recent[recent > 0]
    wobble = float(np.log(positive).std(ddof=1)) if len(positive) >= 3 else 0.3
    if count:
        # what Poisson noise alone explains is drawn again in the Poisson step
        mean = float(positive.mean()) if len(positive) else 1.0
        wobble = math.sqrt(max(wobble ** 2 - 1.0 / max(mean, 0.5), 0.0))
    horizon = float(np.mean([h for h, _ in future]))
    return max(wobble ** 2 * (1.0 + horizon) / LEVEL_WEEKS, SPREAD_FLOOR ** 2)


def _learned_variance(errors: _Errors, count: bool) -> float:
    spread = float(errors.log_errors.std(ddof=1))
    return max(spread ** 2 - (errors.counting_share if count else 0.0), SPREAD_FLOOR ** 2)


def outlook(values: Sequence[float], judged: Judged, *, floor: float | None = 0.0,
            ceiling: float | None = None) -> Outlook | None:
    """The outlook of ``judged`` from weekly ``values`` (oldest first, the last complete week
    last, NaN for a week without complete data); None without :data:`MIN_LEVEL_WEEKS` recent
    complete weeks. ``floor``/``ceiling`` bound a week's value (counts ≥ 0, rates ≤ 1)."""
    series = np.asarray(values, dtype=float)
    last = len(series) - 1
    future = judged.future
    weight = judged.weight
    if last < 0 or not future or weight <= 0:
        return None
    key = tuple(series.tolist())
    plain = _learned(key, last, future, False, judged.count)
    prior = _prior_variance(series, last, future, judged.count)
    errors, seasonal = plain, False
    if len(plain.log_errors) >= _enough(future):
        prior = (prior + _learned_variance(plain, judged.count)) / 2
        if _point(series, last, future, True) is not None:
            seasonal_errors = _learned(key, last, future, True, judged.count)
            if _season_helps(seasonal_errors, plain, future):
                # the seasonal forecast learns from fewer origins: pooled with the plain ones
                prior = _learned_variance(plain, judged.count)
                errors, seasonal = seasonal_errors, True
    point = _point(series, last, future, seasonal)
    level = _level(series, last)
    if point is None or level is None:
        return None
    rng = np.random.default_rng(SEED)
    learned = len(errors.log_errors) >= _enough(future)
    if learned:
        independent = _independent(len(errors.log_errors), future)
        draws = _level_draws(errors, rng, judged.count, independent, prior)
    else:
        draws = math.sqrt(prior) * rng.standard_normal(DRAWS)
    c = _offset(point, weight, judged.count)
    mean_week = np.maximum((point + c) * np.exp(draws) - c, 0.0)
    if floor is not None:
        mean_week = np.maximum(mean_week, floor)
    if ceiling is not None:
        mean_week = np.minimum(mean_week, ceiling)
    future_sum = rng.poisson(mean_week * weight).astype(float) if judged.count else mean_week * weight
    measure = np.asarray(judged.value(future_sum), dtype=float)
    low, median, high = np.quantile(measure, [BAND[0], 0.5, BAND[1]])
    return Outlook(
        p_reach=float(judged.reached(measure).mean()),
        value=float(median), low=float(low), high=float(high), level=level,
    )


def verdict(p_reach: float) -> str:
    """``will_reach`` / ``may_reach`` / ``will_miss``: the target outside the 90 % band on its
    good side (a chance of 95 % or more), on its bad side (5 % or less), or inside it."""
    if p_reach >= BAND[1]:
        return "will_reach"
    return "will_miss" if p_reach <= BAND[0] else "may_reach"


def naive_backtest(weekly_series: Sequence[float], horizon_weeks: int) -> dict[str, float] | None:
    """Mean absolute percentage error of the point forecast ``horizon_weeks`` ahead, against the
    naive forecast "last week's value", rolling the origin through ``weekly_series``."""
    series = np.asarray(weekly_series, dtype=float)
    model, naive = [], []
    future = ((horizon_weeks, 1.0),)
    for origin in range(LEVEL_WEEKS - 1, len(series) - horizon_weeks):
        actual = series[origin + horizon_weeks]
        seasonal = _point(series, origin, future, True) is not None
        forecast = _point(series, origin, future, seasonal)
        if forecast is None or not actual or np.isnan(actual) or np.isnan(series[origin]):
            continue
        model.append(abs(forecast - actual) / abs(actual))
        naive.append(abs(series[origin] - actual) / abs(actual))
    if not model:
        return None
    return {"mape": float(np.mean(model)), "naive_mape": float(np.mean(naive)), "origins": len(model)}
