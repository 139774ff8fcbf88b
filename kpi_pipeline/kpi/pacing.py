"""The pace line: what value a goal should have reached by a given day, from baseline to target.

Three shapes (``pacing:`` in the targets file):

* ``linear`` – a straight line from the baseline at the start to the target at the deadline.
* ``compound`` – a constant weekly growth rate ``(target / baseline) ** (1 / weeks) - 1``, so
  most of the growth is expected late; natural for "×3 in six months".
* ``seasonal`` – the linear line bent by last year's weekly shape over the same ISO weeks,
  so a known autumn dip is not reported as falling behind. It still starts at the baseline
  and ends at the target. Without a year of history it falls back to linear, with a note.

Time is counted in days, both ends included: at the deadline the elapsed share is 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

from kpi_pipeline.kpi.weeks import monday
from kpi_pipeline.targets.model import Pacing

NOTES: dict[str, dict[str, str]] = {
    "seasonal_fallback": {
        "ja": "昨年同時期のデータが足りないため、季節ペースではなく線形ペースで計算しています",
        "en": "less than a year of history: paced linearly instead of seasonally",
    },
    "compound_fallback": {
        "ja": "基準値か目標が0以下のため、複利ペースではなく線形ペースで計算しています",
        "en": "baseline or target is not positive: paced linearly instead of compound",
    },
    "compound_cumulative": {
        "ja": "累計目標の複利ペースは線形ペースで計算しています",
        "en": "a running total with compound pacing is paced linearly",
    },
}


def note(key: str, lang: str = "ja") -> str:
    """A pacing note in the report language."""
    return NOTES[key]["ja" if lang == "ja" else "en"]


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
    return values


def expected_value(
    mode: Pacing | str,
    baseline: float,
    target: float,
    start: date,
    deadline: date,
    at: date,
    seasonal_shape: Sequence[float | None] | None = None,
    *,
    lang: str = "ja",
) -> tuple[float, str | None]:
    """The weekly value the pace expects at day ``at``, and a note when a fallback was used.

    ``seasonal_shape``: last year's weekly values for the weeks of :func:`period_weeks`
    (the same ISO weeks one year earlier), oldest first.
    """
    mode = Pacing(mode)
    share = elapsed_share(start, deadline, at)
    linear = baseline + (target - baseline) * share
    if mode is Pacing.LINEAR:
        return linear, None
    if mode is Pacing.COMPOUND:
        if baseline <= 0 or target <= 0:
            return linear, note("compound_fallback", lang)
        return baseline * (target / baseline) ** share, None
    shape = _usable(seasonal_shape, start, deadline)
    if shape is None:
        return linear, note("seasonal_fallback", lang)
    weeks = period_weeks(start, deadline)
    k = min(len(weeks) - 1, max(0, (monday(at) - weeks[0]).days // 7))
    if len(shape) == 1:
        return linear, None
    last_year_line = shape[0] + (shape[-1] - shape[0]) * k / (len(shape) - 1)
    if last_year_line <= 0:
        return linear, note("seasonal_fallback", lang)
    return linear * shape[k] / last_year_line, None


def expected_total(
    mode: Pacing | str,
    target: float,
    start: date,
    deadline: date,
    at: date,
    seasonal_shape: Sequence[float | None] | None = None,
    *,
    lang: str = "ja",
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
        return linear, note("compound_cumulative", lang)
    shape = _usable(seasonal_shape, start, deadline)
    if shape is None:
        return linear, note("seasonal_fallback", lang)
    if at < start:
        return 0.0, None
    whole = done = 0.0
    for week, value in zip(period_weeks(start, deadline), shape, strict=True):
        first, last = max(start, week), min(deadline, week + timedelta(days=6))
        whole += value * ((last - first).days + 1) / 7
        if at >= first:
            done += value * ((min(at, last) - first).days + 1) / 7
    return target * done / whole, None
