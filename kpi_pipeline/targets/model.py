"""The validated targets: what pacing, progress and the report read (dates and defaults resolved).

A :class:`Goal` is a KGI or a KPI. Both are "reach this number by this date from that
starting point", so the maths treats them alike; only KGIs carry a funnel, only KPIs a KGI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from kpi_pipeline.catalog import Aggregation, Direction, Metric, Phase, metric


class Pacing(StrEnum):
    LINEAR = "linear"  # straight line from baseline to target
    COMPOUND = "compound"  # constant weekly growth rate
    SEASONAL = "seasonal"  # follows last year's weekly shape


class Measure(StrEnum):
    WEEKLY = "weekly"  # the value of the evaluated ISO week must reach the target
    CUMULATIVE = "cumulative"  # the running total since the start must reach the target


@dataclass(frozen=True)
class Tolerances:
    """How far progress may lag the expected progress, in shares of the planned change.

    Progress and expected progress are both ``(value − baseline) / (target − baseline)``, so
    one tolerance fits rates and counts alike: ``on_track: 0.10`` is "up to 10 points of the
    way behind the pace", whatever the metric. Behind by more than ``at_risk`` is off track.
    """

    on_track: float = 0.10
    at_risk: float = 0.25


@dataclass(frozen=True)
class Chances:
    """How a running goal's chance of reaching its target (``p_reach``) becomes its status.

    順調 (on track) from ``on_track`` up, 未達 (off track) below ``off_track``, 要注意 (at risk)
    between. The defaults are the thresholds the calibration backtest chose (docs/metrics.md):
    a goal called 順調 half-way through its period was reached about three times in four.
    """

    on_track: float = 0.70
    off_track: float = 0.30


@dataclass(frozen=True)
class Baseline:
    """Where a goal starts from: a given value, or the weekly average over a window of days."""

    value: float | None = None
    window: tuple[date, date] | None = None


@dataclass(frozen=True)
class Target:
    """An absolute value or a multiple of the baseline (reach), or a ceiling / floor to hold
    over the period (keep); exactly one is set."""

    value: float | None = None
    multiplier: float | None = None
    at_most: float | None = None
    at_least: float | None = None

    @property
    def line(self) -> float | None:
        """The ceiling or floor of a keep goal (None for a reach goal)."""
        return self.at_most if self.at_most is not None else self.at_least


class GoalKind(StrEnum):
    """What a goal asks for; see :func:`kpi_pipeline.kpi.judgement.goal_kinds.goal_kind`."""

    REACH = "reach"  # move from the baseline to the target by the deadline
    AT_MOST = "at_most"  # stay at or below a ceiling over the period
    AT_LEAST = "at_least"  # stay at or above a floor over the period
    MAINTAIN = "maintain"  # baseline = target: hold the level


@dataclass(frozen=True)
class Judgement:
    """How a goal is judged beyond the pace: the deadline window and the life after it.

    ``weeks``: the verdict at the deadline is on the mean of the last ``weeks`` weeks (weekly
    goals; None = :data:`DEFAULT_JUDGE_WEEKS`); cumulative goals are judged on the total.
    ``retire_after_weeks``: weeks after the deadline the goal stays in the report before it
    moves to the short list of ended goals. ``replaced_by``: the id of the goal that
    superseded this one from its own start (the old one then shows 改定).
    """

    weeks: int | None = None
    retire_after_weeks: int = 4
    replaced_by: str | None = None


DEFAULT_JUDGE_WEEKS = 4


@dataclass(frozen=True)
class FunnelStep:
    """One stage above the KGI and its conversion rate to the stage below (None = measured)."""

    stage: str
    rate: float | None


@dataclass(frozen=True)
class Period:
    """A named phase of the site (pre-launch, launch, growth) that goals may refer to."""

    id: str
    name: str | None
    start: date
    end: date


@dataclass(frozen=True)
class Goal:
    """A KGI (kind "kgi") or KPI (kind "kpi") with every default filled in."""

    kind: str
    id: str
    name: str
    metric_id: str
    phase: Phase
    start: date
    deadline: date
    target: Target
    baseline: Baseline | None
    pacing: Pacing
    measure: Measure
    tolerances: Tolerances
    kgi_id: str | None = None
    funnel: tuple[FunnelStep, ...] = ()
    chances: Chances = Chances()
    period_id: str | None = None
    judgement: Judgement = Judgement()
    target_line: int | None = None  # line of the goal's target in the targets file (for warnings)

    @property
    def metric(self) -> Metric:
        return metric(self.metric_id)

    @property
    def direction(self) -> Direction:
        return self.metric.direction

    @property
    def aggregation(self) -> Aggregation:
        return self.metric.aggregation

    @property
    def cumulative(self) -> bool:
        return self.measure is Measure.CUMULATIVE

    @property
    def days(self) -> int:
        """Length of the period in days, both ends included."""
        return (self.deadline - self.start).days + 1


@dataclass(frozen=True)
class CsvMetric:
    """Where a custom metric's days come from: ``column`` of the CSV at ``path`` (resolved
    beside the targets file), aggregated to weeks by ``aggregate`` (sum, last or mean)."""

    metric_id: str
    path: Path
    column: str
    aggregate: str


@dataclass(frozen=True)
class DoPlan:
    """How much of a measure the team plans to do (PDCA's Do): ``per_week``, or a ``total`` by
    the measure's end (exactly one is set); ``unit`` is shown after the numbers (本, 回, 件)."""

    per_week: float | None = None
    total: float | None = None
    unit: str = ""


@dataclass(frozen=True)
class LoggedMeasure:
    """One entry of the measures log (施策ログ): what was done, when, and which KPIs it should move.

    ``end`` None: still running. ``kpis`` are KPI ids of the same file. ``plan`` (None: not
    planned in amounts) and ``done`` (what was done: (day, count), in day order, a day may
    repeat) feed the Do check (``mart.do_check``).
    """

    id: str
    name: str
    phase: Phase | None
    start: date
    end: date | None
    kpis: tuple[str, ...]
    plan: DoPlan | None = None
    done: tuple[tuple[date, float], ...] = ()

    def running_on(self, day: date) -> bool:
        """Started by ``day`` and not ended before it."""
        return self.start <= day and (self.end is None or self.end >= day)


@dataclass(frozen=True)
class Targets:
    """Everything in one targets file, validated.

    ``timezone`` is the file's ``timezone:`` as written (None when absent) and ``timezone_line``
    its line: days and weeks follow ``KPI_TIMEZONE``, the file's value is only compared with it
    (:func:`kpi_pipeline.targets.timezone_mismatch`). ``site`` is informational only.
    """

    source: Path
    timezone: str | None
    site: str | None
    tolerances: Tolerances
    periods: tuple[Period, ...] = ()
    kgis: tuple[Goal, ...] = ()
    kpis: tuple[Goal, ...] = ()
    timezone_line: int | None = None
    metrics: tuple[Metric, ...] = ()  # custom metrics (``metrics:``), in file order
    csv_metrics: tuple[CsvMetric, ...] = ()  # the CSV-backed ones among them
    measures: tuple[LoggedMeasure, ...] = ()  # the measures log (``measures:``)

    @property
    def goals(self) -> tuple[Goal, ...]:
        return self.kgis + self.kpis

    def kgi(self, kgi_id: str) -> Goal:
        for goal in self.kgis:
            if goal.id == kgi_id:
                return goal
        raise KeyError(f"unknown KGI {kgi_id!r}")

    def kpis_of(self, kgi_id: str) -> tuple[Goal, ...]:
        return tuple(k for k in self.kpis if k.kgi_id == kgi_id)


def timezone_mismatch(targets: Targets, kpi_timezone: str) -> str | None:
    """A warning when the file's ``timezone:`` differs from ``KPI_TIMEZONE``, else None.

    The pipeline's days and weeks follow ``KPI_TIMEZONE`` (the partitions, the GA4 property
    check); the targets file cannot change them, so a different zone in it is a misunderstanding
    to point out, not an error. Zones are compared as written (``Japan`` ≠ ``Asia/Tokyo``).
    """
    if targets.timezone is None or targets.timezone == kpi_timezone:
        return None
    where = f"{targets.source}:{targets.timezone_line}" if targets.timezone_line else str(targets.source)
    return (
        f"{where}: timezone: the targets file says {targets.timezone} but KPI_TIMEZONE is "
        f"{kpi_timezone}; days and weeks follow KPI_TIMEZONE ({kpi_timezone}). Make them the same "
        f"(or remove timezone from the file)."
    )
