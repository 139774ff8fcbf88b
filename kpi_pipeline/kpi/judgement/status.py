"""Status of a goal in a week, judged in the unit of the goal (DESIGN.md §10).

A reach goal asks for a change: ``progress = (actual − baseline) / (target − baseline)`` is the
share of that change covered, ``expected_progress`` the share the pace asks for by now. The
tolerances are how far progress may lag it (0.10 = ten points of the planned change), so the
same numbers suit a bounce rate moving 0.3 points and sessions moving by thousands. Two rules
sit above the tolerances:

* a goal that moved away from its target (progress below 0) while time passed is never on
  track;
* a miss smaller than the metric's own week-to-week noise is said to be noise
  (``within_noise``, 「誤差の範囲」) and does not flip an on-track goal.

A keep goal (ceiling, floor, or baseline = target) has no pace: its status is the side of the
line its period measure is on. After the deadline a goal is achieved or missed on its
judgement window (see :mod:`kpi_pipeline.kpi.judgement.progress`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kpi_pipeline.catalog import Direction
from kpi_pipeline.targets.model import Chances, GoalKind, Tolerances

EPSILON = 1e-9  # sums of floats: −4e-16 of the way is not "moved away"


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    ACHIEVED = "achieved"
    MISSED = "missed"
    REVISED = "revised"  # superseded by another goal (replaced_by) from that goal's start
    NOT_STARTED = "not_started"
    NO_DATA = "no_data"  # no actual (or no baseline to derive the target from) for the week


STATUS_NAMES: dict[Status, dict[str, str]] = {
    Status.ON_TRACK: {"ja": "順調", "en": "On track"},
    Status.AT_RISK: {"ja": "要注意", "en": "At risk"},
    Status.OFF_TRACK: {"ja": "未達", "en": "Off track"},
    Status.ACHIEVED: {"ja": "達成", "en": "Achieved"},
    Status.MISSED: {"ja": "未達成(期限切れ)", "en": "Missed (deadline passed)"},
    Status.REVISED: {"ja": "改定", "en": "Revised"},
    Status.NOT_STARTED: {"ja": "開始前", "en": "Not started"},
    Status.NO_DATA: {"ja": "データなし", "en": "No data"},
}


class Reason(StrEnum):
    """Why the status is what it is: ``mart.kpi_progress.judgement``."""

    ON_PACE = "on_pace"  # progress within the on-track tolerance of the expected progress
    BEHIND = "behind"  # progress further behind than the tolerance and than the noise
    WITHIN_NOISE = "within_noise"  # behind (or over the line), but by less than the noise
    MOVED_AWAY = "moved_away"  # progress below 0 while time passed: never on track
    HELD = "held"  # keep goal: the period measure is on the right side of the line
    BREACHED = "breached"  # keep goal: on the wrong side, by more than the noise
    REACHED = "reached"  # at the deadline: the judgement window reached the target
    NOT_REACHED = "not_reached"  # at the deadline: it did not
    REVISED = "revised"
    NOT_STARTED = "not_started"
    NO_DATA = "no_data"


RUNNING = frozenset({Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK})


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: Reason


def from_chance(p_reach: float, situation: Verdict, chances: Chances, *, moved_away: bool) -> Verdict:
    """A running goal's status from its chance of reaching the target (``p_reach``).

    順調 when the chance is at least ``chances.on_track``, 未達 below ``chances.off_track``,
    要注意 between. The week's situation (on pace, behind, within the noise, moved away, a keep
    line held or breached) stays the reason the report gives beside it. Two rules stay above the
    chance: a goal that moved away from its target, and a keep goal whose line is breached
    beyond the noise, are never on track."""
    if p_reach >= chances.on_track:
        status = Status.ON_TRACK
    elif p_reach < chances.off_track:
        status = Status.OFF_TRACK
    else:
        status = Status.AT_RISK
    if status is Status.ON_TRACK and (moved_away or situation.reason is Reason.BREACHED):
        status = Status.AT_RISK
    return Verdict(status, situation.reason)


def is_better_or_equal(a: float, b: float, direction: Direction | str) -> bool:
    """Is ``a`` at least as good as ``b`` for this direction?"""
    return a >= b if Direction(direction) is Direction.HIGHER else a <= b


def pace_ratio(actual: float, expected: float, direction: Direction | str) -> float | None:
    """1 = on pace, above 1 = ahead; None when the division is undefined (a zero).

    Kept as a column for analysts; statuses no longer read it (it is relative to the level,
    so for a rate 1 % of the level can exceed the whole planned change).
    """
    if Direction(direction) is Direction.HIGHER:
        return actual / expected if expected > 0 else None
    return expected / actual if actual > 0 else None


def progress(actual: float, baseline: float, target: float) -> float | None:
    """Share of the way from baseline to target covered (1 = reached); works for either direction."""
    if target == baseline:
        return None
    return (actual - baseline) / (target - baseline)


def keep_direction(kind: GoalKind, metric_direction: Direction) -> Direction:
    """Which side of a keep goal's line is good: below a ceiling, above a floor."""
    if kind is GoalKind.AT_MOST:
        return Direction.LOWER
    if kind is GoalKind.AT_LEAST:
        return Direction.HIGHER
    return metric_direction


def moved_away(done: float | None, due: float | None) -> bool:
    """Progress below 0 (worse than the baseline) while some was already due."""
    return done is not None and due is not None and done < -EPSILON and due > EPSILON


def _within(miss: float, noise: float | None) -> bool:
    return noise is not None and abs(miss) <= noise


def running_reach(
    actual: float, expected: float, baseline: float, target: float,
    noise: float | None, tolerances: Tolerances, settled: bool = True,
) -> Verdict:
    """Status of a reach goal between its start and its deadline.

    ``settled=False`` (a small count's first weeks): a miss inside the noise is too early to
    call either way, so it is on track (within noise) whichever side of the baseline it is.
    """
    done, due = progress(actual, baseline, target), progress(expected, baseline, target)
    if done is None or due is None:  # target == baseline is a keep goal; guarded by the caller
        raise ValueError("a reach goal needs a target different from its baseline")
    shortfall = due - done
    by_tolerance = Status.AT_RISK if shortfall <= tolerances.at_risk else Status.OFF_TRACK
    if not settled and _within(actual - expected, noise):
        return Verdict(Status.ON_TRACK, Reason.ON_PACE if shortfall <= tolerances.on_track else Reason.WITHIN_NOISE)
    if moved_away(done, due):
        if _within(actual - expected, noise):
            return Verdict(Status.AT_RISK, Reason.WITHIN_NOISE)
        return Verdict(by_tolerance, Reason.MOVED_AWAY)
    if shortfall <= tolerances.on_track:
        return Verdict(Status.ON_TRACK, Reason.ON_PACE)
    if _within(actual - expected, noise):
        return Verdict(Status.ON_TRACK, Reason.WITHIN_NOISE)
    return Verdict(by_tolerance, Reason.BEHIND)


def final_reach(actual: float, target: float, direction: Direction | str, noise: float | None) -> Verdict:
    """At the deadline: did the judgement window reach the target? A miss inside the noise
    is still a miss, but says so."""
    if is_better_or_equal(actual, target, direction):
        return Verdict(Status.ACHIEVED, Reason.REACHED)
    return Verdict(Status.MISSED, Reason.WITHIN_NOISE if _within(actual - target, noise) else Reason.NOT_REACHED)


def keep(measure: float, line: float, direction: Direction, noise: float | None, final: bool) -> Verdict:
    """A ceiling or floor: held, over the line by less than the noise, or breached."""
    if is_better_or_equal(measure, line, direction):
        return Verdict(Status.ACHIEVED if final else Status.ON_TRACK, Reason.HELD)
    if final:
        return Verdict(Status.MISSED, Reason.WITHIN_NOISE if _within(measure - line, noise) else Reason.BREACHED)
    if _within(measure - line, noise):
        return Verdict(Status.AT_RISK, Reason.WITHIN_NOISE)
    return Verdict(Status.OFF_TRACK, Reason.BREACHED)
