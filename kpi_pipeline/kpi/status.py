"""Status of a goal in a week: on track, at risk or off track against the pace; after the
deadline, achieved or missed against the target.

The pace ratio is ``actual / expected`` when higher is better and ``expected / actual`` when
lower is better (bounce rate, exit rate), so 1 always means "exactly on pace" and above 1
always means "ahead".
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from kpi_pipeline.catalog import Direction
from kpi_pipeline.targets.model import Tolerances


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    ACHIEVED = "achieved"
    MISSED = "missed"
    NOT_STARTED = "not_started"
    NO_DATA = "no_data"  # no actual (or no baseline to derive the target from) for the week


STATUS_NAMES: dict[Status, dict[str, str]] = {
    Status.ON_TRACK: {"ja": "順調", "en": "On track"},
    Status.AT_RISK: {"ja": "要注意", "en": "At risk"},
    Status.OFF_TRACK: {"ja": "未達", "en": "Off track"},
    Status.ACHIEVED: {"ja": "達成", "en": "Achieved"},
    Status.MISSED: {"ja": "未達成(期限切れ)", "en": "Missed (deadline passed)"},
    Status.NOT_STARTED: {"ja": "開始前", "en": "Not started"},
    Status.NO_DATA: {"ja": "データなし", "en": "No data"},
}


def is_better_or_equal(a: float, b: float, direction: Direction | str) -> bool:
    """Is ``a`` at least as good as ``b`` for this direction?"""
    return a >= b if Direction(direction) is Direction.HIGHER else a <= b


def pace_ratio(actual: float, expected: float, direction: Direction | str) -> float | None:
    """1 = on pace, above 1 = ahead; None when the division is undefined (a zero)."""
    if Direction(direction) is Direction.HIGHER:
        return actual / expected if expected > 0 else None
    return expected / actual if actual > 0 else None


def pace_status(ratio: float, tolerances: Tolerances) -> Status:
    if ratio >= tolerances.on_track:
        return Status.ON_TRACK
    if ratio >= tolerances.at_risk:
        return Status.AT_RISK
    return Status.OFF_TRACK


def evaluate(
    direction: Direction | str,
    actual: float | None,
    expected: float | None,
    target: float | None,
    tolerances: Tolerances,
    start: date,
    deadline: date,
    at: date,
) -> tuple[Status, float | None]:
    """Status and pace ratio at the end of day ``at`` (normally the Sunday of the week).

    Before the start: not started. From the deadline on: achieved if ``actual`` (the value at
    the deadline) reached ``target``, else missed. In between: the pace ratio against
    ``expected`` and the tolerances.
    """
    if at < start:
        return Status.NOT_STARTED, None
    if actual is None or expected is None or target is None:
        return Status.NO_DATA, None
    ratio = pace_ratio(actual, expected, direction)
    if at >= deadline:
        achieved = is_better_or_equal(actual, target, direction)
        return (Status.ACHIEVED if achieved else Status.MISSED), ratio
    if ratio is None:
        ahead = is_better_or_equal(actual, expected, direction)
        return (Status.ON_TRACK if ahead else Status.OFF_TRACK), None
    return pace_status(ratio, tolerances), ratio


def progress(actual: float, baseline: float, target: float) -> float | None:
    """Share of the way from baseline to target covered (1 = reached); works for either direction."""
    if target == baseline:
        return None
    return (actual - baseline) / (target - baseline)
