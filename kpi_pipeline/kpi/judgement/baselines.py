"""A goal's baseline and target value, resolved from the targets file and the metric history.

Light on purpose (no pandas at import): ``kpi-pipeline targets check`` resolves baselines to
warn about targets, and must answer at once when there is no warehouse yet (:class:`NoHistory`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpi_pipeline.kpi.metric_history import MetricHistory
    from kpi_pipeline.targets.model import Goal


class NoHistory:
    """The history of a site with no warehouse yet: every window is empty. Answers the few
    questions targets checks ask of a :class:`~kpi_pipeline.kpi.metric_history.MetricHistory`."""

    def weekly_average(self, metric_id: str, start: date, end: date) -> float | None:
        return None

    def recent_weeks(self, metric_id: str, week_start: date, weeks: int) -> list[tuple[date, float]]:
        return []

    def week_series(self, metric_id: str, last_week_start: date) -> tuple[float, ...]:
        return ()

    def last_complete_week(self, metric_id: str) -> date | None:
        return None

    def running_total(self, metric_id: str, start: date, end: date) -> float | None:
        return None


DEFAULT_BASELINE_DAYS = 28


def baseline_and_target(goal: Goal, history: MetricHistory | NoHistory) -> tuple[float | None, float | None]:
    """(baseline for the row, target) – both None-safe when the baseline window has no data.

    Weekly: baseline = weekly average (or given value), target = value or baseline × multiplier.
    Cumulative: baseline 0; a multiplier target is "× the baseline's weekly average over a
    period as long as this one".
    """
    weekly_base: float | None
    if goal.baseline is not None and goal.baseline.value is not None:
        weekly_base = goal.baseline.value
    else:
        window = goal.baseline.window if goal.baseline is not None else None
        if window is None:
            window = (goal.start - timedelta(days=DEFAULT_BASELINE_DAYS), goal.start - timedelta(days=1))
        weekly_base = history.weekly_average(goal.metric_id, *window)
    if goal.target.line is not None:  # a keep goal's target is its line; the baseline is shown
        target: float | None = goal.target.line
    elif goal.target.value is not None:
        target = goal.target.value
    elif weekly_base is None or goal.target.multiplier is None:
        target = None
    elif goal.cumulative:
        target = weekly_base * goal.days / 7 * goal.target.multiplier
    else:
        target = weekly_base * goal.target.multiplier
    return (0.0 if goal.cumulative else weekly_base), target
