"""What a goal's status compares, for one week: the measure, the pace for it, and its noise.

* a weekly reach goal: the ISO week's value (a count scaled up for missing days), against
  the pace at the end of the week;
* a small count (baseline below :data:`SMALL_COUNT_PER_WEEK` a week, e.g. 0–3 orders): the
  weekly mean of the weeks since the start – at least the last :data:`ROLLING_WEEKS` – against
  the mean of the pace over the same weeks, with Poisson noise (√baseline a week); until
  :data:`ROLLING_WEEKS` weeks of the period have passed a miss inside the noise is too early
  to call – so one order more or less does not flip the status;
* at the deadline: the mean of the judgement window (``judge: {weeks: N}``, default
  :data:`~kpi_pipeline.targets.model.DEFAULT_JUDGE_WEEKS`) ending with the last complete week,
  so one holiday week does not decide a quarter;
* a keep goal: the period so far (Σ/Σ for ratios), against its line;
* a cumulative goal: the running total (handled by the caller).

The noise is the metric's week-to-week wobble (:func:`~kpi_pipeline.kpi.anomalies.weekly_noise`)
scaled to the measure: σ/√n for a mean of n weeks, σ·√n for a total of n weeks. A count of
events is at least as noisy as Poisson noise, a rate at least as noisy as a binomial share of
its weekly denominator (so a rate whose recent weeks happened not to move is not noiseless);
a level or a score (``unit: score``) has only its measured wobble.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from kpi_pipeline.calendar import monday, week_end
from kpi_pipeline.catalog import Aggregation, Direction, Unit, metric
from kpi_pipeline.kpi.anomalies import NOISE_WEEKS, weekly_noise
from kpi_pipeline.kpi.judgement.notes import encode
from kpi_pipeline.kpi.judgement.pacing import period_weeks
from kpi_pipeline.kpi.judgement.status import is_better_or_equal
from kpi_pipeline.targets.model import DEFAULT_JUDGE_WEEKS, Goal

if TYPE_CHECKING:
    from kpi_pipeline.kpi.judgement.baselines import NoHistory
    from kpi_pipeline.kpi.metric_history import MetricHistory, WeekValue

SMALL_COUNT_PER_WEEK = 10.0  # a weekly count goal below this many a week is judged on 4 weeks
ROLLING_WEEKS = 4


@dataclass
class Measure:
    """The value judged (``actual``), how many weeks it spans, and notes about the data."""

    value: float | None
    weeks: int
    provisional_days: int = 0
    notes: list[str] = field(default_factory=list)


def is_small_count(goal: Goal, baseline: float | None) -> bool:
    """A weekly goal on a count that happens a few times a week (see the module docstring)."""
    return (
        not goal.cumulative and goal.aggregation is Aggregation.SUM and goal.metric.unit is Unit.COUNT
        and baseline is not None and baseline < SMALL_COUNT_PER_WEEK
    )


def judge_weeks(goal: Goal) -> int:
    return goal.judgement.weeks or DEFAULT_JUDGE_WEEKS


def week_measure(goal: Goal, week: WeekValue | None, final: bool) -> Measure:
    """One ISO week's value to compare with a weekly pace.

    A count (``sum`` metric: sessions, share events, orders …) from a week with missing days
    (an outage, the first week of data, the current week) is a partial sum, which a full-week
    pace would call off track: it is scaled by 7 / days present. A week with no day of data is
    no data. Ratios are already comparable across week lengths, and user counts are read at
    week grain, so neither is scaled; they only get a note.
    """
    if week is None:
        return Measure(None, 1)
    days, provisional = week.days_present, week.provisional_days
    if goal.aggregation is Aggregation.SUM:
        if days <= 0:
            return Measure(None, 1, provisional)
        if days < 7 and week.value is not None:
            return Measure(week.value * 7 / days, 1, provisional, [encode("missing_days_scaled", days=days)])
        return Measure(week.value, 1, provisional)
    if 0 < days < 7 and not final:
        return Measure(week.value, 1, provisional, [encode("partial_week", days=days)])
    return Measure(week.value, 1, provisional)


def window_measure(goal: Goal, history: MetricHistory, last_week: date, weeks: int) -> Measure:
    """The metric's typical week over ``weeks`` ISO weeks ending with ``last_week``."""
    first = last_week - timedelta(weeks=weeks - 1)
    value = history.weekly_average(goal.metric_id, first, week_end(last_week))
    provisional = history.provisional_days(goal.metric_id, first, week_end(last_week))
    return Measure(value, weeks, provisional)


def weeks_since_start(goal: Goal, week_start: date) -> int:
    """ISO weeks from the start's week to ``week_start``, both included."""
    return (week_start - monday(goal.start)).days // 7 + 1


def small_count_weeks(goal: Goal, week_start: date) -> int:
    """Weeks a small count is judged on: those since the start, at least :data:`ROLLING_WEEKS`."""
    return max(ROLLING_WEEKS, weeks_since_start(goal, week_start))


def reach_window(goal: Goal, week_start: date, baseline: float, final: bool) -> tuple[date, int]:
    """(Monday of the last week, number of weeks) a weekly reach goal's status reads this week:
    the week itself, a small count's weeks since the start, or the deadline's judgement window.
    The drivers of the goal's change against its baseline read the same weeks, so the why
    never explains a different number from the one the status judged."""
    if final:
        return final_week(goal), judge_weeks(goal)
    if is_small_count(goal, baseline):
        return week_start, small_count_weeks(goal, week_start)
    return week_start, 1


def poisson_noise(per_week: float, weeks: int) -> float | None:
    """Noise of a mean of ``weeks`` weeks of a count that happens ``per_week`` times a week.

    For a few events a week, the spread of recent weeks is itself too noisy to measure noise
    with (it would make the status flip); the counting noise √n is known."""
    return math.sqrt(per_week / weeks) if per_week > 0 else None


def window_pace(pace_at: Callable[[date], float], last_week: date, weeks: int) -> float:
    """Mean of the pace at the end of each week of the window (the pace a window mean should match)."""
    ends = [week_end(last_week - timedelta(weeks=i)) for i in range(weeks)]
    return sum(pace_at(end) for end in ends) / weeks


def period_measure(goal: Goal, history: MetricHistory, end: date) -> Measure:
    """A keep goal's measure: the period from the start to ``end`` (or the deadline)."""
    last = min(end, goal.deadline)
    value = history.weekly_average(goal.metric_id, goal.start, last)
    weeks = max(1, math.ceil(((last - goal.start).days + 1) / 7))
    return Measure(value, weeks, history.provisional_days(goal.metric_id, goal.start, last))


def share_held(goal: Goal, history: MetricHistory, end: date, line: float, direction: Direction) -> float | None:
    """Share of the period's ISO weeks so far whose value was on the good side of the line."""
    values = [history.week_value(goal.metric_id, w) for w in period_weeks(goal.start, min(end, goal.deadline))]
    known = [v for v in values if v is not None]
    if not known:
        return None
    return sum(is_better_or_equal(v, line, direction) for v in known) / len(known)


def noise(goal: Goal, history: MetricHistory, last_week: date, weeks: int, total: bool = False) -> float | None:
    """The measure's noise: σ of one week from the weeks up to ``last_week``, scaled to ``weeks``."""
    sigma = metric_noise(goal.metric_id, history, last_week)
    if sigma is None:
        return None
    return sigma * math.sqrt(weeks) if total else sigma / math.sqrt(weeks)


def metric_noise(metric_id: str, history: MetricHistory | NoHistory, last_week: date) -> float | None:
    """σ of one week of ``metric_id`` from the weeks up to ``last_week``: the measured wobble,
    at least Poisson noise for counts of events and binomial noise for rates."""
    recent = [v for _, v in history.recent_weeks(metric_id, last_week, NOISE_WEEKS + 1)]
    m = metric(metric_id)
    trials = history.recent_denominators(metric_id, last_week, NOISE_WEEKS + 1) if m.unit is Unit.RATE else None
    return weekly_noise(recent, count=m.counts_events, trials=trials)


def final_week(goal: Goal) -> date:
    """Monday of the week judged at the deadline: the last complete week ending by the deadline."""
    last_sunday = goal.deadline - timedelta(days=(goal.deadline.weekday() + 1) % 7)
    candidate = last_sunday - timedelta(days=6)
    return candidate if candidate >= monday(goal.start) else monday(goal.deadline)
