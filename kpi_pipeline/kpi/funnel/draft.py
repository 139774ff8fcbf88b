"""Plan (PDCA's P) from a KGI alone: the KPIs that would deliver it, and whether they can be done.

The whitepaper's team that does not know what to aim for (「何を目標に始めればいいかわからない」)
starts from the KGI and works backwards (逆算): 100 受注 ← 200 商談 ← 400 アポイント ← 4,000 見込み
顧客. This module drafts that chain for ``kpi-pipeline plan``:

* **the rates**: each step of the KGI's ``funnel:`` as written (planned), and every further
  stage up to the top of the funnel (leads) at the rate measured over the last
  :data:`MEASURED_WEEKS` complete weeks of the warehouse (Σ lower stage / Σ upper stage), rounded
  to 3 significant digits so the file and the maths agree. A step with neither a planned rate
  nor history ends the chain (:attr:`Draft.unknown_step` says which rate to write).
* **the web KPIs** above the funnel, where the history has sessions: the sessions needed and
  the rate that turns sessions into leads (a ratio metric the draft declares).
* **the KPIs**: a running total (``measure: cumulative``) per stage over the KGI's period,
  chained through the rates exactly as the reverse funnel (:func:`plan_funnel`) chains them;
  a floor (``at_least``) for every rate the plan assumes rather than measures, and for the web
  rate.
* **feasibility** of each (:class:`Feasibility`): the weekly level it needs against the level
  of the last 13 weeks and the best 4 consecutive weeks of the last year. Above the best is
  unrealistic: then the draft names what would have to change instead – the rate below a
  volume (at the volume's best, the rate it would take), the volume above a rate, or the KGI.

Pure: reads a :class:`~kpi_pipeline.kpi.metric_history.MetricHistory` (empty for a new site:
planned rates only, and every feasibility unknown).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from kpi_pipeline.calendar import monday
from kpi_pipeline.catalog import FUNNEL_STAGES, METRICS, Aggregation
from kpi_pipeline.kpi.funnel.plan import plan_funnel
from kpi_pipeline.targets.model import FunnelStep, Goal, Measure, Target

if TYPE_CHECKING:
    from kpi_pipeline.kpi.metric_history import MetricHistory

MEASURED_WEEKS = 13  # a quarter: rates and the recent level
BEST_RUN_WEEKS = 4  # "the best month": consecutive weeks whose level counts as reached before
BEST_OF_WEEKS = 52  # the last year
MIN_DAYS_SHARE = 0.75  # a window counts when at least this share of its days has data
WEB_STAGE = "sessions"
WEB_RATE_METRIC = "leads_per_session"  # declared by the draft: Σ leads / Σ sessions


class NotPlannable(ValueError):
    """The KGI cannot be chained backwards (the message says why and what to write)."""


class RateSource(StrEnum):
    PLANNED = "planned"  # written in the KGI's funnel
    MEASURED = "measured"  # measured over the last weeks of the warehouse


class Grade(StrEnum):
    """How the weekly level a KPI needs compares with the team's own history."""

    WITHIN_REACH = "within_reach"  # at or below the level of the last 13 weeks
    STRETCH = "stretch"  # above it, at or below the best 4 weeks of the last year
    UNREALISTIC = "unrealistic"  # above the best 4 weeks of the last year
    UNKNOWN = "unknown"  # no history to compare with


@dataclass(frozen=True)
class Step:
    """One rate of the chain: ``upper`` converts into ``below`` at ``rate``."""

    upper: str
    below: str
    rate: float
    source: RateSource


@dataclass(frozen=True)
class Instead:
    """What would have to change for an unrealistic step.

    ``kind`` ``rate``: the rate ``upper`` → ``below`` would have to reach ``needed`` with the
    volume of ``upper`` at its best (``held``); ``volume``: ``upper`` would have to reach
    ``needed`` a week with the rate at its best (``held``); ``kgi``: the KGI itself (lower it
    or lengthen its period). ``best`` is the changed level's best 4 weeks of the last year
    (None: unknown).
    """

    kind: str
    upper: str | None = None
    below: str | None = None
    needed: float | None = None
    best: float | None = None
    held: float | None = None

    @property
    def beyond_best(self) -> bool:
        """The change asks for more than the best 4 weeks as well: no single change will do."""
        return self.needed is not None and (self.best is None or self.needed > self.best)


@dataclass(frozen=True)
class Feasibility:
    """Can the KPI be done? The weekly level it needs (a count a week, or a rate) against the
    level of the last 13 weeks (``recent``) and the best 4 weeks of the last year (``best``),
    and ``chance``: its chance of being reached, as of its start, by the judgement's own model
    (:func:`~kpi_pipeline.kpi.judgement.reaching.chance_at_start`; None without history).
    """

    needed: float
    recent: float | None
    best: float | None
    grade: Grade
    instead: Instead | None = None
    chance: float | None = None


@dataclass(frozen=True)
class DraftKpi:
    """One KPI of the draft.

    A volume (``rate_kpi`` False): ``total`` of ``metric_id`` (``step.upper``) over the KGI's
    period, the need of the stage below divided by ``step.rate``. A rate (``rate_kpi`` True):
    hold ``step.rate`` at least, on ``metric_id`` (a built-in rate, or :data:`WEB_RATE_METRIC`).
    """

    metric_id: str
    step: Step
    feasibility: Feasibility
    rate_kpi: bool = False
    total: int | None = None


@dataclass(frozen=True)
class Draft:
    """The draft for one KGI: its steps and KPIs (top of the chain last), the windows used."""

    kgi: Goal
    kgi_feasibility: Feasibility
    steps: tuple[Step, ...]
    kpis: tuple[DraftKpi, ...]
    measured: tuple[date, date] | None  # the weeks rates and recent levels come from
    baseline: tuple[date, date] | None  # the drafted KPIs' baseline window (ends before the start)
    unknown_step: tuple[str, str] | None = None  # (upper, below): neither planned nor measured

    @property
    def weeks(self) -> float:
        return self.kgi.days / 7

    @property
    def has_history(self) -> bool:
        return self.measured is not None


def check_plannable(kgi: Goal) -> None:
    """Raise :class:`NotPlannable` unless the KGI is a running total of a funnel stage."""
    if kgi.metric_id not in FUNNEL_STAGES:
        raise NotPlannable(
            f"{kgi.id}: plan works backwards from a KGI on a sales-funnel stage "
            f"({', '.join(FUNNEL_STAGES)}), not {kgi.metric_id}")
    if kgi.target.value is None or not kgi.cumulative:
        raise NotPlannable(
            f"{kgi.id}: plan needs a total to reach over the period: target: {{value: N}} "
            "(measure cumulative, the default for a count)")


class _Levels:
    """Weekly levels and rates of one site over windows of whole ISO weeks."""

    def __init__(self, history: MetricHistory, last_week: date) -> None:
        self.history, self.last_week = history, last_week

    def _total(self, metric_id: str, start: date, end: date) -> float | None:
        rows = self.history.days(metric_id, start, end)
        present = int(rows["value"].notna().sum()) if not rows.empty else 0
        if present < MIN_DAYS_SHARE * ((end - start).days + 1):
            return None
        return self.history.running_total(metric_id, start, end)

    def volume(self, metric_id: str, start: date, end: date) -> float | None:
        """The window's weekly level: its total over its weeks."""
        total = self._total(metric_id, start, end)
        return None if total is None else total / (((end - start).days + 1) / 7)

    def rate(self, upper: str, below: str, start: date, end: date) -> float | None:
        """Σ below / Σ upper over the window (a conversion rate in (0, 1], else None)."""
        up, down = self._total(upper, start, end), self._total(below, start, end)
        if not up or down is None or not 0 < down <= up:
            return None
        return down / up

    def window(self, weeks: int, last: date | None = None) -> tuple[date, date]:
        last = last or self.last_week
        return last - timedelta(weeks=weeks - 1), last + timedelta(days=6)

    def best_runs(self) -> list[tuple[date, date]]:
        """Every run of :data:`BEST_RUN_WEEKS` weeks inside the last :data:`BEST_OF_WEEKS`."""
        return [self.window(BEST_RUN_WEEKS, self.last_week - timedelta(weeks=k))
                for k in range(BEST_OF_WEEKS - BEST_RUN_WEEKS + 1)]

    def recent_and_best_volume(self, metric_id: str) -> tuple[float | None, float | None]:
        found = [v for w in self.best_runs() if (v := self.volume(metric_id, *w)) is not None]
        return self.volume(metric_id, *self.window(MEASURED_WEEKS)), max(found, default=None)

    def recent_and_best_rate(self, upper: str, below: str) -> tuple[float | None, float | None]:
        found = [v for w in self.best_runs() if (v := self.rate(upper, below, *w)) is not None]
        return self.rate(upper, below, *self.window(MEASURED_WEEKS)), max(found, default=None)


def last_complete_week(history: MetricHistory, metrics: list[str]) -> date | None:
    """Monday of the last ISO week whose Sunday has data for any of ``metrics`` (None: no data)."""
    days = [d for m in metrics if (d := history.last_day(m)) is not None]
    if not days:
        return None
    last = max(days)
    return monday(last) if last.weekday() == 6 else monday(last) - timedelta(days=7)


def grade(needed: float, recent: float | None, best: float | None) -> Grade:
    """Where ``needed`` stands against the recent level and the best 4 weeks."""
    if recent is not None and needed <= recent:
        return Grade.WITHIN_REACH
    if best is None:
        return Grade.UNKNOWN
    return Grade.STRETCH if needed <= best else Grade.UNREALISTIC


def rounded_rate(rate: float) -> float:
    """A measured rate as the draft writes it (3 significant digits: 0.0514, 0.503)."""
    return float(f"{rate:.3g}")


def _stages_above(kgi: Goal) -> list[str]:
    """The funnel above the KGI: its own funnel's stages, then the rest up to the top (leads)."""
    stages = [s.stage for s in kgi.funnel]
    last = stages[-1] if stages else kgi.metric_id
    return stages + list(reversed(FUNNEL_STAGES[: FUNNEL_STAGES.index(last)]))


def _rate_metric(step: Step) -> str:
    """The rate KPI's metric: a built-in ratio below / upper, else the draft's web rate."""
    for m in METRICS:
        if m.aggregation is Aggregation.RATIO and (m.numerator, m.denominator) == (step.below, step.upper):
            return m.id
    return WEB_RATE_METRIC


def _baseline(kgi: Goal, levels: _Levels | None, measured: tuple[date, date] | None) -> tuple[date, date] | None:
    """The last 13 weeks with data that end before the KGI's start (None: no such history)."""
    if levels is None or measured is None:
        return None
    if measured[1] < kgi.start:
        return measured
    window = levels.window(MEASURED_WEEKS, monday(kgi.start) - timedelta(weeks=1))
    return window if levels.volume(kgi.metric_id, *window) is not None else None


def draft_plan(kgi: Goal, history: MetricHistory) -> Draft:
    """The KPIs that would deliver ``kgi`` (see the module docstring)."""
    check_plannable(kgi)
    stages = _stages_above(kgi)
    last_week = last_complete_week(history, [kgi.metric_id, *stages, WEB_STAGE])
    levels = _Levels(history, last_week) if last_week is not None else None
    measured = levels.window(MEASURED_WEEKS) if levels is not None else None
    planned = {s.stage: s.rate for s in kgi.funnel if s.rate is not None}
    steps: list[Step] = []
    unknown: tuple[str, str] | None = None
    below = kgi.metric_id
    chain = [*stages, WEB_STAGE]
    for upper in chain:
        rate = planned.get(upper) if upper != WEB_STAGE else None
        source = RateSource.PLANNED
        if rate is None and levels is not None and measured is not None:
            found = levels.rate(upper, below, *measured)
            rate, source = (rounded_rate(found), RateSource.MEASURED) if found else (None, source)
        if rate is None:
            unknown = (upper, below) if upper != WEB_STAGE else None
            break
        steps.append(Step(upper, below, rate, source))
        below = upper
    required = {r.stage: r.required_total for r in plan_funnel(
        replace(kgi, funnel=tuple(FunnelStep(s.upper, s.rate) for s in steps)))}
    kpis = [replace(k, feasibility=replace(k.feasibility, chance=_chance(_as_goal(kgi, k), history)))
            for k in _kpis(kgi, steps, required, levels)]
    return Draft(
        kgi=kgi, kgi_feasibility=replace(_kgi_feasibility(kgi, levels), chance=_chance(kgi, history)),
        steps=tuple(steps), kpis=tuple(kpis), measured=measured,
        baseline=_baseline(kgi, levels, measured), unknown_step=unknown,
    )


def _as_goal(kgi: Goal, kpi: DraftKpi) -> Goal | None:
    """The drafted KPI as the goal a run would judge (None for the draft's own web rate, which
    the catalogue does not know until the draft declares it)."""
    if kpi.metric_id == WEB_RATE_METRIC:
        return None
    target = Target(at_least=kpi.step.rate) if kpi.rate_kpi else Target(value=float(kpi.total or 0))
    return replace(kgi, kind="kpi", id=f"draft_{kpi.metric_id}", metric_id=kpi.metric_id, target=target,
                   baseline=None, funnel=(), kgi_id=kgi.id,
                   measure=Measure.WEEKLY if kpi.rate_kpi else Measure.CUMULATIVE)


def _chance(goal: Goal | None, history: MetricHistory) -> float | None:
    """The goal's chance at its start, as ``targets check`` and the weekly Check compute it."""
    from kpi_pipeline.kpi.judgement.reaching import goal_at_start

    found = goal_at_start(goal, history) if goal is not None else None
    return found[1].outlook.p_reach if found is not None else None


def _kpis(kgi: Goal, steps: list[Step], required: dict[str, int | None],
          levels: _Levels | None) -> list[DraftKpi]:
    """Per step, upwards: the floor of an assumed rate (and of the web rate), then the volume."""
    weeks = kgi.days / 7
    out: list[DraftKpi] = []
    for step in steps:
        need_below = (required[step.below] or 0) / weeks
        if step.source is RateSource.PLANNED or step.upper == WEB_STAGE:
            out.append(DraftKpi(_rate_metric(step), step, _rate_feasibility(step, need_below, levels),
                                rate_kpi=True))
        total = required[step.upper] or 0
        out.append(DraftKpi(step.upper, step, _volume_feasibility(step, total / weeks, need_below, levels),
                            total=total))
    return out


def _kgi_feasibility(kgi: Goal, levels: _Levels | None) -> Feasibility:
    needed = (kgi.target.value or 0) / (kgi.days / 7)
    recent, best = levels.recent_and_best_volume(kgi.metric_id) if levels else (None, None)
    found = grade(needed, recent, best)
    instead = Instead("kgi", best=best) if found is Grade.UNREALISTIC else None
    return Feasibility(needed, recent, best, found, instead)


def _volume_feasibility(step: Step, needed: float, need_below: float, levels: _Levels | None) -> Feasibility:
    """A stage's weekly volume; unrealistic: the rate into the stage below would have to rise."""
    recent, best = levels.recent_and_best_volume(step.upper) if levels else (None, None)
    found = grade(needed, recent, best)
    instead = None
    if found is Grade.UNREALISTIC and levels is not None and best:
        best_rate = levels.recent_and_best_rate(step.upper, step.below)[1]
        instead = Instead("rate", step.upper, step.below, need_below / best, best_rate, held=best)
    return Feasibility(needed, recent, best, found, instead)


def _rate_feasibility(step: Step, need_below: float, levels: _Levels | None) -> Feasibility:
    """A rate to hold; unrealistic: the volume above it would have to rise."""
    recent, best = levels.recent_and_best_rate(step.upper, step.below) if levels else (None, None)
    if step.source is RateSource.MEASURED and recent is not None:
        recent = max(recent, step.rate)  # the rate is the recent one, rounded: within reach
    found = grade(step.rate, recent, best)
    instead = None
    if found is Grade.UNREALISTIC and levels is not None and best:
        best_volume = levels.recent_and_best_volume(step.upper)[1]
        instead = Instead("volume", step.upper, step.below, need_below / best, best_volume, held=best)
    return Feasibility(step.rate, recent, best, found, instead)
