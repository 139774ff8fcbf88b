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

    def recent_denominators(self, metric_id: str, week_start: date, weeks: int) -> list[float]:
        return []


DEFAULT_BASELINE_DAYS = 28


def baseline_window(goal: Goal) -> tuple[date, date] | None:
    """The days a goal's baseline averages (the default window before its start; None for a value)."""
    if goal.baseline is None:
        return goal.start - timedelta(days=DEFAULT_BASELINE_DAYS), goal.start - timedelta(days=1)
    return goal.baseline.window


def weekly_baseline(goal: Goal, history: MetricHistory | NoHistory) -> float | None:
    """The baseline as a typical week: the given value, or the window's weekly average."""
    window = baseline_window(goal)
    if window is None:
        return goal.baseline.value if goal.baseline is not None else None
    return history.weekly_average(goal.metric_id, *window)


def multiplies_zero(goal: Goal, history: MetricHistory | NoHistory) -> bool:
    """A ``multiplier`` target on a baseline window that averages 0: any multiple of 0 is 0, a
    target nobody meant. Only the warehouse's history can tell; the run then has no target for
    the goal (データなし with a note) and ``targets check`` refuses the file at the line."""
    return goal.target.multiplier is not None and weekly_baseline(goal, history) == 0


def baseline_and_target(goal: Goal, history: MetricHistory | NoHistory) -> tuple[float | None, float | None]:
    """(baseline for the row, target) – both None-safe when the baseline window has no data.

    Weekly: baseline = weekly average (or given value), target = value or baseline × multiplier.
    Cumulative: baseline 0; a multiplier target is "× the baseline's weekly average over a
    period as long as this one". A multiplier of a baseline of 0 has no target
    (:func:`multiplies_zero`).
    """
    weekly_base = weekly_baseline(goal, history)
    if goal.target.line is not None:  # a keep goal's target is its line; the baseline is shown
        target: float | None = goal.target.line
    elif goal.target.value is not None:
        target = goal.target.value
    elif weekly_base is None or goal.target.multiplier is None or weekly_base == 0:
        target = None
    elif goal.cumulative:
        target = weekly_base * goal.days / 7 * goal.target.multiplier
    else:
        target = weekly_base * goal.target.multiplier
    return (0.0 if goal.cumulative else weekly_base), target
