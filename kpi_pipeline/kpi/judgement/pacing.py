"""The pace line: what value a goal should have reached by a given day, from baseline to target.

Three shapes (``pacing:`` in the targets file):

* ``linear`` – a straight line from the baseline at the start to the target at the deadline.
* ``compound`` – a constant weekly growth rate ``(target / baseline) ** (1 / weeks) - 1``, so
  most of the growth is expected late; natural for "×3 in six months".
* ``seasonal`` – the linear line bent by last year's weekly shape over the same ISO weeks,
  so a known autumn dip is not reported as falling behind. It still starts at the baseline
  and ends at the target. Without a year of history it falls back to linear, with a note.
  Last year's weeks are smoothed first (a centred 3-week moving average): one noisy week a
  year ago is not a season. On the way the pace never expects more than the target.

Fallbacks are returned as note codes (``seasonal_fallback`` …, see :mod:`kpi_pipeline.kpi.judgement.notes`).

Time is counted in days, both ends included: at the deadline the elapsed share is 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from kpi_pipeline.calendar import monday, same_week_last_year
from kpi_pipeline.targets.model import Pacing

if TYPE_CHECKING:
    from kpi_pipeline.kpi.metric_history import MetricHistory
    from kpi_pipeline.targets.model import Goal

SEASONAL_FALLBACK = "seasonal_fallback"  # less than a year of history: paced linearly
COMPOUND_FALLBACK = "compound_fallback"  # baseline or target not positive: paced linearly
COMPOUND_CUMULATIVE = "compound_cumulative"  # a running total with compound pacing: linear
SMOOTHING_WEEKS = 3


def smooth(shape: Sequence[float]) -> list[float]:
    """Centred moving average over :data:`SMOOTHING_WEEKS` weeks (fewer at the ends)."""
    half = SMOOTHING_WEEKS // 2
    out = []
    for i in range(len(shape)):
        window = shape[max(0, i - half): i + half + 1]
        out.append(sum(window) / len(window))
    return out


def capped(expected: float, baseline: float, target: float) -> float:
    """Never past the target on the way (in the direction of the planned change)."""
    return min(expected, target) if target >= baseline else max(expected, target)


def elapsed_share(start: date, deadline: date, at: date) -> float:
    """Share of the period elapsed at the end of day ``at``: 0 before the start, 1 at the deadline."""
    total = (deadline - start).days + 1
    done = (at - start).days + 1
    return min(1.0, max(0.0, done / total))


def period_weeks(start: date, deadline: date) -> list[date]:
    """Mondays of the ISO weeks the period touches (the seasonal shape has one value per week)."""
    first, last = monday(start), monday(deadline)
    return [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


def weekly_growth_rate(baseline: float, target: float, start: date, deadline: date) -> float | None:
    """The constant weekly growth a compound pace asks for (0.023 = +2.3 % a week)."""
    if baseline <= 0 or target <= 0:
        return None
    weeks = ((deadline - start).days + 1) / 7
    return (target / baseline) ** (1 / weeks) - 1


def _usable(shape: Sequence[float | None] | None, start: date, deadline: date) -> list[float] | None:
    if shape is None or len(shape) != len(period_weeks(start, deadline)):
        return None
    values = [v for v in shape if v is not None and math.isfinite(v)]
    if len(values) != len(shape) or any(v < 0 for v in values) or sum(values) <= 0:
        return None
    return smooth(values)


def expected_value(
    mode: Pacing | str,
    baseline: float,
    target: float,
    start: date,
    deadline: date,
    at: date,
    seasonal_shape: Sequence[float | None] | None = None,
) -> tuple[float, str | None]:
    """The weekly value the pace expects at day ``at``, and a note code when a fallback was used.

    ``seasonal_shape``: last year's weekly values for the weeks of :func:`period_weeks`
    (the same ISO weeks one year earlier), oldest first; smoothed before use.
    """
    mode = Pacing(mode)
    share = elapsed_share(start, deadline, at)
    linear = baseline + (target - baseline) * share
    if mode is Pacing.LINEAR:
        return linear, None
    if mode is Pacing.COMPOUND:
        if baseline <= 0 or target <= 0:
            return linear, COMPOUND_FALLBACK
        return baseline * (target / baseline) ** share, None
    shape = _usable(seasonal_shape, start, deadline)
    if shape is None:
        return linear, SEASONAL_FALLBACK
    weeks = period_weeks(start, deadline)
    k = min(len(weeks) - 1, max(0, (monday(at) - weeks[0]).days // 7))
    if len(shape) == 1:
        return linear, None
    last_year_line = shape[0] + (shape[-1] - shape[0]) * k / (len(shape) - 1)
    if last_year_line <= 0:
        return linear, SEASONAL_FALLBACK
    return capped(linear * shape[k] / last_year_line, baseline, target), None


def expected_total(
    mode: Pacing | str,
    target: float,
    start: date,
    deadline: date,
    at: date,
    seasonal_shape: Sequence[float | None] | None = None,
) -> tuple[float, str | None]:
    """The running total the pace expects by the end of day ``at`` for a cumulative target.

    Linear: ``target × elapsed share``. Seasonal: the share last year's same weeks had
    accumulated by then (partial weeks at the ends count by their days in the period).
    Compound has no natural analogue without a starting flow: it is paced linearly, with a note.
    """
    mode = Pacing(mode)
    linear = target * elapsed_share(start, deadline, at)
    if mode is Pacing.LINEAR:
        return linear, None
    if mode is Pacing.COMPOUND:
        return linear, COMPOUND_CUMULATIVE
    shape = _usable(seasonal_shape, start, deadline)
    if shape is None:
        return linear, SEASONAL_FALLBACK
    if at < start:
        return 0.0, None
    whole = done = 0.0
    for week, value in zip(period_weeks(start, deadline), shape, strict=True):
        first, last = max(start, week), min(deadline, week + timedelta(days=6))
        whole += value * ((last - first).days + 1) / 7
        if at >= first:
            done += value * ((min(at, last) - first).days + 1) / 7
    return target * done / whole, None


def seasonal_shape(goal: Goal, history: MetricHistory) -> list[float | None] | None:
    """Last year's weekly values over the goal's weeks, for seasonal pacing (else None)."""
    if goal.pacing is not Pacing.SEASONAL:
        return None
    weeks = period_weeks(goal.start, goal.deadline)
    return history.weekly_values(goal.metric_id, [same_week_last_year(w) for w in weeks])
