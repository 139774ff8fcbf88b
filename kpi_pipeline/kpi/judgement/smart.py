"""Warnings that make a targets file SMART, for ``kpi-pipeline targets check``.

A file can be valid and still ask for something the Check cannot judge well:

* a reach target on the worse side of its baseline (it is judged as a line to hold: say so
  with ``at_most`` / ``at_least``);
* a planned change smaller than the metric's own week-to-week noise (every week would read
  「誤差の範囲」) – only when a warehouse with history is at hand;
* a weekly goal on a count of a few a week (judged on a rolling 4-week window; a running
  total, ``measure: cumulative``, says more);
* Achievable: at its start, a goal whose chance of being reached (the model of
  :mod:`kpi_pipeline.kpi.judgement.forecast`) is under :data:`UNREALISTIC` is unrealistic, over
  :data:`NO_STRETCH` it asks for no change – both said against the metric's own history (the
  last 8 weeks, the best 4 weeks of the last year) – only when a warehouse with history is at hand.

One thing the history can show is not a matter of judgement but a target that does not
exist: a ``multiplier`` of a baseline window that averages 0 (any multiple of 0 is 0). The
file cannot say so and the loader cannot know it before the window is read, so ``targets
check`` refuses the file at the target's line as soon as a warehouse shows it
(:func:`history_refusals`, exit 2 like any mistake in the file); a run keeps going and leaves
that one goal without a target (データなし, with a note saying why).

Pure: reads a :class:`~kpi_pipeline.kpi.metric_history.MetricHistory` (:class:`~kpi_pipeline.kpi.judgement.baselines.NoHistory` without a warehouse).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import TYPE_CHECKING

from kpi_pipeline.calendar import monday
from kpi_pipeline.catalog import Direction, Unit
from kpi_pipeline.kpi.judgement.baselines import (
    NoHistory,
    baseline_and_target,
    baseline_window,
    multiplies_zero,
)
from kpi_pipeline.kpi.judgement.goal_kinds import goal_kind, reach_written_as_keep
from kpi_pipeline.kpi.judgement.measured import (
    ROLLING_WEEKS,
    SMALL_COUNT_PER_WEEK,
    is_small_count,
    metric_noise,
)
from kpi_pipeline.targets.errors import TargetIssue
from kpi_pipeline.targets.model import Goal, Targets

if TYPE_CHECKING:
    from kpi_pipeline.kpi.metric_history import MetricHistory


UNREALISTIC = 0.10  # a chance under this at the start: the target asks for more than the history shows
NO_STRETCH = 0.95  # over this: the target is met without any change
BEST_WEEKS = 4


def _field(targets: Targets, goal: Goal) -> str:
    items = targets.kgis if goal.kind == "kgi" else targets.kpis
    return f"{goal.kind}s[{items.index(goal)}].target"


def _where(targets: Targets, goal: Goal) -> str:
    line = f":{goal.target_line}" if goal.target_line else ""
    return f"{targets.source}{line}: {_field(targets, goal)}"


def _number(goal: Goal, value: float) -> str:
    return f"{value:.2%}" if goal.metric.unit is Unit.RATE else f"{value:,.1f}"


def goal_warnings(targets: Targets, goal: Goal, history: MetricHistory | NoHistory) -> list[str]:
    """What to reconsider about one goal (empty when nothing)."""
    baseline, target = baseline_and_target(goal, history)
    where, out = _where(targets, goal), []
    if baseline is None or target is None or goal.cumulative:
        return out
    if reach_written_as_keep(goal.target, goal.direction, baseline, target):
        kind = goal_kind(goal.target, goal.direction, baseline, target).value
        out.append(
            f"{where}: {goal.id}: the target {_number(goal, target)} is on the worse side of the baseline "
            f"{_number(goal, baseline)} ({goal.metric_id} is better {goal.direction.value}); it is judged as a "
            f"line to hold over the period. Write target: {{{kind}: {_number(goal, target)}}} to say so, or set "
            f"a target on the better side.")
        return out
    noise = metric_noise(goal.metric_id, history, monday(goal.start) - timedelta(weeks=1))
    small = is_small_count(goal, baseline)  # judged on several weeks: said below instead
    if goal.target.line is None and not small and noise is not None and 0 < abs(target - baseline) < noise:
        out.append(
            f"{where}: {goal.id}: the planned change {_number(goal, baseline)} → {_number(goal, target)} is "
            f"smaller than the usual week-to-week swing of {goal.metric_id} (about {_number(goal, noise)}), so most "
            f"weeks will read 'within normal variation'. Set a bigger change, a longer period with a "
            f"judge window (judge: {{weeks: 8}}), or a keep goal (at_most / at_least).")
    if small:
        out.append(
            f"{where}: {goal.id}: about {baseline:,.1f} {goal.metric_id} a week (under "
            f"{SMALL_COUNT_PER_WEEK:g}): judged on the mean of the weeks since the start (at "
            f"least {ROLLING_WEEKS}) so single events do not flip the status; a running total (measure: cumulative with target: "
            f"{{value: N}}) says more.")
    return out


def _best_weeks(goal: Goal, history: MetricHistory, last: date) -> float | None:
    """The best :data:`BEST_WEEKS`-week mean of the year up to ``last`` (lowest when lower is better)."""
    values = history.week_series(goal.metric_id, last)[-52:]
    means = [sum(values[i:i + BEST_WEEKS]) / BEST_WEEKS for i in range(len(values) - BEST_WEEKS + 1)]
    means = [m for m in means if not math.isnan(m)]
    if not means:
        return None
    return max(means) if goal.direction is Direction.HIGHER else min(means)


def _change(value: float, base: float) -> str:
    return f"{value / base - 1:+.0%}" if base else "n/a"


def achievable_warnings(targets: Targets, goal: Goal, history: MetricHistory | NoHistory) -> list[str]:
    """The goal's chance at its start, when it is unrealistic or asks for no stretch."""
    if isinstance(history, NoHistory):
        return []
    # the forecast needs numpy: only with a warehouse (targets check stays light without one)
    from kpi_pipeline.kpi.judgement.reaching import goal_at_start

    found = goal_at_start(goal, history)
    if found is None:
        return []
    target, reach = found
    seen, where = reach.outlook, _where(targets, goal)
    chance = f"{goal.id}: at its start the chance of reaching {_number(goal, target)} by {goal.deadline} is {seen.p_reach:.0%}"
    if goal.cumulative:
        needed, recent = reach.needed_per_week or 0.0, reach.recent_per_week or 0.0
        history_says = (f"it needs {needed:,.1f} a week where the last 8 weeks ran {recent:,.1f} a week "
                        f"({_change(needed, recent)})")
    else:
        last = history.last_complete_week(goal.metric_id)
        best = _best_weeks(goal, history, min(last, monday(goal.start) - timedelta(weeks=1))) if last else None
        history_says = (f"the deadline window must average {_number(goal, target)} where the last 8 weeks ran "
                        f"{_number(goal, seen.level)} ({_change(target, seen.level)})")
        if best is not None:
            history_says += f" and the best 4 weeks of the last year {_number(goal, best)} ({_change(target, best)})"
    if seen.p_reach < UNREALISTIC:
        return [f"{where}: {chance}: unrealistic – {history_says}. About {_number(goal, seen.value)} is an even "
                f"chance; set a target the history can reach, a longer period, or say which measure is "
                f"to change the level (measures:)."]
    if seen.p_reach > NO_STRETCH:
        return [f"{where}: {chance}: no stretch – {history_says}; it is reached without any change. A stretch "
                f"target is nearer {_number(goal, seen.high)} (what 5 % of outcomes exceed without a change)."]
    return []


def history_refusals(targets: Targets, history: MetricHistory | NoHistory) -> list[TargetIssue]:
    """Targets the history shows cannot exist: a multiplier of a baseline that averages 0."""
    out = []
    for goal in targets.goals:
        if multiplies_zero(goal, history):
            start, end = baseline_window(goal) or (goal.start, goal.start)
            out.append(TargetIssue(
                str(targets.source), goal.target_line, f"{_field(targets, goal)}.multiplier",
                f"{goal.id}: the baseline {start}..{end} averages 0 {goal.metric_id} a week in the "
                f"warehouse, so ×{goal.target.multiplier:g} of it is 0, not a target; write the target "
                f"as target: {{value: N}}, or choose a baseline window with data"))
    return out


def smart_warnings(targets: Targets, history: MetricHistory | NoHistory) -> list[str]:
    """Every goal's warnings, in file order."""
    return [w for goal in targets.goals
            for w in (*goal_warnings(targets, goal, history), *achievable_warnings(targets, goal, history))]
