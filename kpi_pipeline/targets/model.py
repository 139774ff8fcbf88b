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
    """Pace ratio thresholds: ≥ on_track is on track, ≥ at_risk is at risk, else off track."""

    on_track: float = 0.99
    at_risk: float = 0.90


@dataclass(frozen=True)
class Baseline:
    """Where a goal starts from: a given value, or the weekly average over a window of days."""

    value: float | None = None
    window: tuple[date, date] | None = None


@dataclass(frozen=True)
class Target:
    """An absolute value, or a multiple of the baseline (exactly one is set)."""

    value: float | None = None
    multiplier: float | None = None


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
    period_id: str | None = None

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
