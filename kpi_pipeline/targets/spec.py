"""The shape of ``kpi_targets.yaml`` as pydantic models: types, required fields, single values.

Rules that relate fields or items to each other (deadline after start, a known KGI, funnel
order) live in :mod:`kpi_pipeline.targets.checks`, so each issue names the exact field.
Unknown keys are refused (``extra="forbid"``) so a typo such as ``deadlin`` is caught.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
)

from kpi_pipeline.catalog import Direction, Phase, Unit
from kpi_pipeline.targets.model import Measure, Pacing


def _percent(value: Any) -> Any:
    """Accept ``45%`` for 0.45: marketers write rates that way."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100
        except ValueError:
            return value
    return value


def _rate(value: Any) -> float | str:
    """A funnel conversion rate: a number in (0, 1], or ``measured`` (from last period's actuals)."""
    if value == "measured":
        return "measured"
    value = _percent(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"rate {value!r} must be a number in (0, 1] (0.5 = 50 %) or 'measured'")
    if not math.isfinite(value):
        raise ValueError(f"rate must be a finite number in (0, 1], not {value!r} (.inf and .nan are not allowed)")
    if not 0 < value <= 1:
        raise ValueError(f"rate {value} must be in (0, 1] (a conversion rate: 0.5 = 50 %)")
    return float(value)


Number = Annotated[float, BeforeValidator(_percent)]
Rate = Annotated[float | str, PlainValidator(_rate)]
Positive = Annotated[float, BeforeValidator(_percent), Field(gt=0)]
Share = Annotated[float, BeforeValidator(_percent), Field(ge=0)]


class Spec(BaseModel):
    # allow_inf_nan=False: YAML's .inf / .nan (or 1e999) would pass as targets, baselines,
    # multipliers or tolerances and break the pace and the report later.
    model_config = ConfigDict(extra="forbid", populate_by_name=False, allow_inf_nan=False)


class TolerancesSpec(Spec):
    """Shortfall of progress behind the expected progress (0.1 = 10 points); see checks."""

    on_track: Share | None = None
    at_risk: Share | None = None


class ChanceSpec(Spec):
    """``chance: {on_track: 70%, off_track: 30%}``: the chance of reaching the target from which a
    running goal is 順調, and under which it is 未達 (要注意 between); see docs/targets.md."""

    on_track: Annotated[Share, Field(gt=0, le=1)] | None = None
    off_track: Annotated[Share, Field(gt=0, le=1)] | None = None


class DateRangeSpec(Spec):
    start: date
    end: date


class PeriodSpec(Spec):
    id: str
    name: str | None = None
    start: date
    end: date


class TargetSpec(Spec):
    value: Number | None = None
    multiplier: Positive | None = None
    at_most: Number | None = None  # keep goal: a ceiling held over the period
    at_least: Number | None = None  # keep goal: a floor held over the period


class JudgeSpec(Spec):
    """``judge: {weeks: 4}``: the verdict at the deadline is on the mean of the last weeks."""

    weeks: int = Field(ge=1, le=52)


class BaselineSpec(Spec):
    from_: date | None = Field(None, alias="from")
    to: date | None = None
    value: Number | None = None


class FunnelStepSpec(Spec):
    stage: str
    rate: Rate


def _range_or_name(value: Any) -> str:
    return "<name>" if isinstance(value, str) else "<range>"


PeriodRef = Annotated[
    Annotated[DateRangeSpec, Tag("<range>")] | Annotated[str, Tag("<name>")],
    Discriminator(_range_or_name),
]


class KgiSpec(Spec):
    id: str
    name: str
    metric: str
    period: PeriodRef
    target: TargetSpec
    baseline: BaselineSpec | None = None
    measure: Measure | None = None
    pacing: Pacing = Pacing.LINEAR
    tolerances: TolerancesSpec | None = None
    chance: ChanceSpec | None = None
    funnel: list[FunnelStepSpec] = []
    judge: JudgeSpec | None = None
    retire_after_weeks: int | None = Field(None, ge=0, le=520)
    replaced_by: str | None = None


class KpiSpec(Spec):
    id: str
    name: str
    kgi: str
    metric: str
    phase: Phase | None = None
    start: date | None = None
    deadline: date | None = None
    period: str | None = None
    baseline: BaselineSpec | None = None
    target: TargetSpec
    pacing: Pacing = Pacing.LINEAR
    measure: Measure | None = None
    tolerances: TolerancesSpec | None = None
    chance: ChanceSpec | None = None
    judge: JudgeSpec | None = None
    retire_after_weeks: int | None = Field(None, ge=0, le=520)
    replaced_by: str | None = None


class CsvSpec(Spec):
    """``csv: {file, column, aggregate}``: a metric kept in a spreadsheet, one row per day."""

    file: str
    column: str
    aggregate: Literal["sum", "last", "mean"] = "sum"


class RatioSpec(Spec):
    """``ratio: {numerator, denominator}``: Σ numerator / Σ denominator at every grain."""

    numerator: str
    denominator: str


class MetricSpec(Spec):
    """A custom metric: from a CSV or the ratio of two other metrics (exactly one of them)."""

    id: str
    name: str
    name_en: str | None = None
    phase: Phase
    direction: Direction = Direction.HIGHER
    unit: Unit | None = None  # count (csv) or rate (ratio) unless given
    csv: CsvSpec | None = None
    ratio: RatioSpec | None = None


class DoPlanSpec(Spec):
    """``plan: {per_week: 2, unit: 本}`` or ``plan: {total: 10, unit: 本}`` (by the measure's end):
    how much of the measure the team plans to do, the Do the weekly Check compares with."""

    per_week: Positive | None = None
    total: Positive | None = None
    unit: str | None = None  # shown after the numbers: 1/2本


def _count(value: float) -> float:
    if not 0 <= value <= 1e15:
        raise ValueError(f"count what was done: 0 or more (up to 1e15), not {value:g}")
    return value


class DoneSpec(Spec):
    """One entry of a measure's done log: ``{date: 2026-11-03, count: 1}``."""

    day: date = Field(alias="date")
    count: Annotated[float, AfterValidator(_count)]


def _list_or_file(value: Any) -> str:
    return "<file>" if isinstance(value, str) else "<list>"


DoneLog = Annotated[
    Annotated[list[DoneSpec], Tag("<list>")] | Annotated[str, Tag("<file>")],
    Discriminator(_list_or_file),
]


class MeasureSpec(Spec):
    """One measure of the 施策ログ: what was done, from when to when, for which KPIs; with
    ``plan`` and ``done``, how much was planned and how much was done (the Do check)."""

    id: str
    name: str
    phase: Phase | None = None
    start: date
    end: date | None = None
    kpis: list[str] = []
    plan: DoPlanSpec | None = None
    done: DoneLog | None = None  # the list, or a CSV (date,count) beside the targets file


class FileSpec(Spec):
    """The top level; the items of the lists are validated one by one so every mistake is found."""

    timezone: str | None = None  # checked against KPI_TIMEZONE, which is what days and weeks use
    site: str | None = None  # informational only: the report names the site from KPI_SITES
    tolerances: TolerancesSpec = TolerancesSpec()
    chance: ChanceSpec = ChanceSpec()
    periods: list[Any] = []
    kgis: list[Any] = Field(min_length=1)
    kpis: list[Any] = []
    metrics: list[Any] = []
    measures: list[Any] | str = []  # the list, or a YAML file beside this one holding it


FIELD_NAMES: frozenset[str] = frozenset(
    alias or name
    for model in (FileSpec, TolerancesSpec, ChanceSpec, PeriodSpec, TargetSpec, BaselineSpec,
                  FunnelStepSpec, KgiSpec, KpiSpec, JudgeSpec, MetricSpec, CsvSpec, RatioSpec,
                  MeasureSpec, DoPlanSpec, DoneSpec)
    for name, info in model.model_fields.items()
    for alias in (info.alias,)
)
