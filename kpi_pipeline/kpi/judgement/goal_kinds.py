"""Which kind of goal a target is: reach a new level, or keep a line (DESIGN.md §10).

``target: {value|multiplier}`` asks to *reach*; ``{at_most|at_least}`` to *keep* a ceiling or
floor over the period. Two reach targets are keep goals in disguise and are judged as such:
a target equal to its baseline ("maintain"), and a target on the worse side of its baseline
("bounce rate to 45 %" from 44 %: the goal is to stay at or below 45 %, so a pace line rising
towards 45 % would applaud getting worse). ``kpi-pipeline targets check`` warns about the
second.
"""

from __future__ import annotations

from kpi_pipeline.catalog import Direction
from kpi_pipeline.targets.model import GoalKind, Target


def goal_kind(target: Target, direction: Direction, baseline: float | None, value: float | None) -> GoalKind:
    """The kind of goal ``target`` is, given the resolved baseline and target value."""
    if target.at_most is not None:
        return GoalKind.AT_MOST
    if target.at_least is not None:
        return GoalKind.AT_LEAST
    if baseline is None or value is None:
        return GoalKind.REACH
    if value == baseline:
        return GoalKind.MAINTAIN
    worse = value > baseline if direction is Direction.LOWER else value < baseline
    if worse:
        return GoalKind.AT_MOST if direction is Direction.LOWER else GoalKind.AT_LEAST
    return GoalKind.REACH


def reach_written_as_keep(target: Target, direction: Direction, baseline: float | None, value: float | None) -> bool:
    """A value/multiplier target on the worse side of its baseline (judged as a keep goal)."""
    kind = goal_kind(target, direction, baseline, value)
    return target.line is None and kind in (GoalKind.AT_MOST, GoalKind.AT_LEAST)
