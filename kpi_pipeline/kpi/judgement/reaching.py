"""A running goal's outlook: what its deadline judgement will read, and the chance it reaches.

"Reaching" is exactly what the deadline judgement decides (:mod:`kpi_pipeline.kpi.judgement.progress`):

* a weekly reach goal: the mean of the judgement window (the last ``judge.weeks`` weeks up to
  the deadline) at or beyond the target;
* a cumulative goal: the total from the start to the deadline at or beyond the target;
* a keep goal: the period's measure (start to deadline) on the good side of its line.

Each is written as a :class:`~kpi_pipeline.kpi.judgement.forecast.Judged`: the part already
known at the last complete week, plus the weeks still to come with their weights (a week only
partly inside the period counts by its days), and handed to the forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from kpi_pipeline.calendar import monday, week_end
from kpi_pipeline.catalog import Aggregation, Direction, Unit
from kpi_pipeline.kpi.judgement.forecast import LEVEL_WEEKS, Judged, Outlook, outlook
from kpi_pipeline.kpi.judgement.measured import final_week, judge_weeks
from kpi_pipeline.kpi.judgement.pacing import period_weeks
from kpi_pipeline.targets.model import GoalKind

if TYPE_CHECKING:
    from kpi_pipeline.kpi.metric_history import MetricHistory
    from kpi_pipeline.targets.model import Goal


@dataclass(frozen=True)
class Reaching:
    """The outlook of a goal from its last complete week, and for a cumulative goal the weekly
    rate the remaining weeks need against the recent rate."""

    outlook: Outlook
    needed_per_week: float | None = None
    recent_per_week: float | None = None


def last_complete_week(history: MetricHistory, metric_id: str, week_start: date) -> date:
    """``week_start`` if its 7 days are in, else the week before (a week still running)."""
    week = history.week(metric_id, week_start)
    return week_start if week is not None and week.complete else week_start - timedelta(weeks=1)


def _days_inside(goal: Goal, week: date) -> int:
    first, last = max(goal.start, week), min(goal.deadline, week_end(week))
    return max(0, (last - first).days + 1)


def _is_count(goal: Goal) -> bool:
    """Counts of events summed over days (orders, sessions): Poisson noise week by week; a
    level or a score is not (its spread is only what its history shows)."""
    return goal.aggregation is Aggregation.SUM and goal.metric.counts_events


def judged(goal: Goal, kind: GoalKind, target: float, direction: Direction, history: MetricHistory,
           last: date) -> Judged | None:
    """What the deadline judgement of ``goal`` will read, seen from the complete week ``last``."""
    count = _is_count(goal)
    higher = direction is Direction.HIGHER

    def ahead(week: date) -> int:
        return (week - last).days // 7

    def value(week: date) -> float | None:
        return history.week_value(goal.metric_id, week)

    if goal.cumulative:
        weeks = [w for w in period_weeks(goal.start, goal.deadline) if w > last]
        end = min(week_end(last), goal.deadline)
        known = history.running_total(goal.metric_id, goal.start, end) if end >= goal.start else 0.0
        future = tuple((ahead(w), _days_inside(goal, w) / 7) for w in weeks)
        return Judged(known or 0.0, 1.0, future, target, higher, count)
    if kind is GoalKind.REACH:
        window_end = final_week(goal)
        window = [window_end - timedelta(weeks=i) for i in range(judge_weeks(goal) - 1, -1, -1)]
        weights = dict.fromkeys(window, 1.0)
    else:  # a keep goal: the whole period, a week weighed by its days inside it
        weights = {w: _days_inside(goal, w) / 7 for w in period_weeks(goal.start, goal.deadline)}
    known_weeks = {w: x for w, x in weights.items() if w <= last}
    known_values = {w: value(w) for w in known_weeks}
    if any(v is None for v in known_values.values()):
        return None  # a week of the window without data: the judgement cannot be foreseen
    known = sum(known_weeks[w] * v for w, v in known_values.items())
    future = tuple((ahead(w), x) for w, x in weights.items() if w > last)
    return Judged(known, sum(weights.values()), future, target, higher, count)


def _settled(found: Judged) -> Outlook:
    """Every week the judgement reads is in (the deadline's own days are not): it is decided."""
    measure = float(found.value(0.0))
    reached = bool(found.reached(np.array([measure]))[0])
    return Outlook(1.0 if reached else 0.0, measure, measure, measure, measure)


def reaching(goal: Goal, kind: GoalKind, target: float, direction: Direction,
             history: MetricHistory, week_start: date) -> Reaching | None:
    """The outlook of a running goal in the week of ``week_start`` (None when the metric has
    too few complete weeks)."""
    return _reaching_from(goal, kind, target, direction, history,
                          last_complete_week(history, goal.metric_id, week_start))


def _reaching_from(goal: Goal, kind: GoalKind, target: float, direction: Direction,
                   history: MetricHistory, last: date) -> Reaching | None:
    found = judged(goal, kind, target, direction, history, last)
    if found is None:
        return None
    series = history.week_series(goal.metric_id, last)
    ceiling = 1.0 if goal.metric.unit is Unit.RATE else None
    seen = outlook(series, found, ceiling=ceiling) if found.future else _settled(found)
    if seen is None:
        return None
    if not goal.cumulative:
        return Reaching(seen)
    remaining = found.weight
    needed = max(0.0, target - found.known) / remaining if remaining else None
    return Reaching(seen, needed, seen.level)


def chance_at_start(goal: Goal, kind: GoalKind, target: float, direction: Direction,
                    history: MetricHistory) -> Reaching | None:
    """The outlook from the week before the goal's start, or from the newest complete week
    when the start is still ahead (``targets check`` on a plan)."""
    newest = history.last_complete_week(goal.metric_id)
    if newest is None:
        return None
    return _reaching_from(goal, kind, target, direction, history,
                          min(monday(goal.start) - timedelta(weeks=1), newest))


def goal_at_start(goal: Goal, history: MetricHistory) -> tuple[float, Reaching] | None:
    """The goal's target and its outlook at its start, as ``targets check``, ``plan`` and the
    weekly Check judge it (None without a target or enough history)."""
    from kpi_pipeline.kpi.judgement.baselines import baseline_and_target
    from kpi_pipeline.kpi.judgement.goal_kinds import goal_kind
    from kpi_pipeline.kpi.judgement.status import keep_direction

    baseline, target = baseline_and_target(goal, history)
    if target is None:
        return None
    kind = goal_kind(goal.target, goal.direction, baseline, target)
    found = chance_at_start(goal, kind, target, keep_direction(kind, goal.direction), history)
    return None if found is None else (target, found)


__all__ = ["LEVEL_WEEKS", "Reaching", "chance_at_start", "goal_at_start", "judged",
           "last_complete_week", "reaching"]
