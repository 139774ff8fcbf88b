"""Warnings that make a targets file SMART, for ``kpi-pipeline targets check``.

A file can be valid and still ask for something the Check cannot judge well:

* a reach target on the worse side of its baseline (it is judged as a line to hold: say so
  with ``at_most`` / ``at_least``);
* a planned change smaller than the metric's own week-to-week noise (every week would read
  「誤差の範囲」) – only when a warehouse with history is at hand;
* a weekly goal on a count of a few a week (judged on a rolling 4-week window; a running
  total, ``measure: cumulative``, says more).

One thing the history can show is not a matter of judgement but a target that does not
exist: a ``multiplier`` of a baseline window that averages 0 (any multiple of 0 is 0). The
file cannot say so and the loader cannot know it before the window is read, so ``targets
check`` refuses the file at the target's line as soon as a warehouse shows it
(:func:`history_refusals`, exit 2 like any mistake in the file); a run keeps going and leaves
that one goal without a target (データなし, with a note saying why).

Pure: reads a :class:`~kpi_pipeline.kpi.metric_history.MetricHistory` (:class:`~kpi_pipeline.kpi.judgement.baselines.NoHistory` without a warehouse).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from kpi_pipeline.calendar import monday
from kpi_pipeline.catalog import Unit
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
    return [w for goal in targets.goals for w in goal_warnings(targets, goal, history)]
