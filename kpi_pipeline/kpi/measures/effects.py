"""Did a measure (施策) move its KPIs? Before vs after its start, with the metric's noise beside.

For each measure of the log and each KPI it names, the KPI's metric is compared over the
:data:`BEFORE_WEEKS` complete ISO weeks before the week the measure started and the (up to)
:data:`AFTER_WEEKS` weeks from the first full week after the start, as far as the evaluated
week reaches. Both are typical weekly values (a count's weekly average, a ratio's Σ/Σ, a
level's last value), so windows of different length compare.

The difference is judged against the metric's normal week-to-week wobble σ
(:func:`~kpi_pipeline.kpi.anomalies.weekly_noise`, from the weeks before the start): the
difference of two means of n₁ and n₂ weeks has the spread ``σ·√(1/n₁ + 1/n₂)`` (``noise``).
A change within ``NOISE_FACTOR × noise`` is 「誤差の範囲」 (within noise), not an effect;
outside it the change is an improvement or a deterioration by the metric's direction.

A level read off once a day (followers: aggregate ``last`` or ``mean``) grows on its own, so
comparing levels would credit every measure with the trend. For those the values compared are
the average *weekly change* before and after (followers gained per week), with the noise of
that weekly change.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from kpi_pipeline.calendar import iso_week_label, monday
from kpi_pipeline.catalog import Aggregation, Direction, Unit, metric
from kpi_pipeline.kpi.anomalies import NOISE_WEEKS, weekly_noise
from kpi_pipeline.kpi.metric_history import MetricHistory
from kpi_pipeline.targets.model import LoggedMeasure, Targets

EFFECT_COLUMNS: tuple[str, ...] = (
    "site_id", "week_start", "iso_week", "measure_id", "measure_name", "phase", "kpi_id",
    "metric_id", "measure_start", "measure_end", "before_weeks", "after_weeks", "before_value",
    "after_value", "change", "noise", "verdict",
)
BEFORE_WEEKS = 4
AFTER_WEEKS = 4
NOISE_FACTOR = 2.0  # about 95 % of differences between two normal periods fall inside


class Verdict:
    IMPROVED = "improved"  # 効果あり
    WORSENED = "worsened"  # 悪化
    NOISE = "noise"  # 誤差の範囲
    UNKNOWN = "unknown"  # too little history to know the noise
    TOO_EARLY = "too_early"  # no full week after the start yet


def judge(change: float, noise: float | None, direction: Direction) -> str:
    """The verdict on a before/after difference: inside the noise is no effect."""
    if noise is None or not math.isfinite(noise) or noise <= 0:
        return Verdict.UNKNOWN
    if abs(change) <= NOISE_FACTOR * noise:
        return Verdict.NOISE
    better = change < 0 if direction is Direction.LOWER else change > 0
    return Verdict.IMPROVED if better else Verdict.WORSENED


def first_full_week(start: date) -> date:
    """The Monday of the first ISO week the measure ran for whole (its start's week if a Monday)."""
    return start if start.weekday() == 0 else monday(start) + timedelta(days=7)


def _weeks_with_values(history: MetricHistory, metric_id: str, weeks: list[date]) -> list[date]:
    return [w for w in weeks if history.week_value(metric_id, w) is not None]


def is_level(metric_id: str) -> bool:
    """A level (followers) rather than a flow: compared by its weekly change."""
    return metric(metric_id).aggregation in (Aggregation.LAST, Aggregation.MEAN)


def _growths(history: MetricHistory, metric_id: str, weeks: list[date]) -> list[float]:
    """Each week's change against the week before (weeks where both have a value)."""
    out = []
    for week in weeks:
        now, before = history.week_value(metric_id, week), history.week_value(metric_id, week - timedelta(weeks=1))
        if now is not None and before is not None:
            out.append(now - before)
    return out


def _level_values(
    history: MetricHistory, metric_id: str, before: list[date], after: list[date], reference_end: date,
) -> tuple[float | None, float | None, float | None]:
    """(before, after, σ) of a level's weekly change."""
    gained_before, gained_after = _growths(history, metric_id, before), _growths(history, metric_id, after)
    reference = [reference_end - timedelta(weeks=i) for i in range(NOISE_WEEKS - 1, -1, -1)]
    sigma = weekly_noise(_growths(history, metric_id, reference))
    mean = lambda values: sum(values) / len(values) if values else None  # noqa: E731
    return mean(gained_before), mean(gained_after), sigma


def effect(
    history: MetricHistory, measure: LoggedMeasure, metric_id: str, week_start: date,
    *, before_weeks: int = BEFORE_WEEKS, after_weeks: int = AFTER_WEEKS,
) -> dict[str, object] | None:
    """One measure × metric as of the ISO week ``week_start`` (None before the measure starts)."""
    if measure.start > week_start + timedelta(days=6):
        return None
    first_after = first_full_week(measure.start)
    after = [first_after + timedelta(weeks=i) for i in range(after_weeks)]
    after = _weeks_with_values(history, metric_id, [w for w in after if w <= week_start])
    before_end = monday(measure.start) - timedelta(days=1)  # the Sunday before the start's week
    before = [monday(before_end) - timedelta(weeks=i) for i in range(before_weeks - 1, -1, -1)]
    before = _weeks_with_values(history, metric_id, before)
    found: dict[str, object] = {
        "measure_id": measure.id, "measure_name": measure.name,
        "phase": measure.phase.value if measure.phase else None, "metric_id": metric_id,
        "measure_start": measure.start, "measure_end": measure.end,
        "before_weeks": len(before), "after_weeks": len(after), "before_value": None,
        "after_value": None, "change": None, "noise": None, "verdict": Verdict.TOO_EARLY,
    }
    m = metric(metric_id)
    if is_level(metric_id):
        before_value, after_value, sigma = _level_values(history, metric_id, before, after, monday(before_end))
    else:
        before_value = history.weekly_average(metric_id, before[0], before[-1] + timedelta(days=6)) if before else None
        after_value = history.weekly_average(metric_id, after[0], after[-1] + timedelta(days=6)) if after else None
        reference = [v for _, v in history.recent_weeks(metric_id, monday(before_end), NOISE_WEEKS)]
        sigma = weekly_noise(reference, count=m.unit is Unit.COUNT) if before_value is not None else None
    found.update(before_value=before_value, after_value=after_value)
    if before_value is None or after_value is None:
        found["verdict"] = Verdict.TOO_EARLY if not after else Verdict.UNKNOWN
        return found
    noise = sigma * math.sqrt(1 / len(before) + 1 / len(after)) if sigma is not None else None
    change = after_value - before_value
    found.update(change=change, noise=noise, verdict=judge(change, noise, m.direction))
    return found


def effect_rows(plan: Targets, site_id: str, week_start: date, history: MetricHistory) -> list[dict[str, object]]:
    """Rows of ``mart.measure_effects`` for one site and ISO week, as records: every measure ×
    KPI it names (a range run frames all its weeks at once)."""
    kpis = {k.id: k for k in plan.kpis}
    rows: list[dict[str, object]] = []
    for measure in plan.measures:
        for kpi_id in measure.kpis:
            goal = kpis.get(kpi_id)
            found = effect(history, measure, goal.metric_id, week_start) if goal else None
            if found is not None:
                rows.append({"site_id": site_id, "week_start": week_start,
                             "iso_week": iso_week_label(week_start), "kpi_id": kpi_id, **found})
    return rows
