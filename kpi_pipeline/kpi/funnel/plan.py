"""The reverse funnel (逆算): from a KGI count back to what each sales stage must deliver.

A KGI of 100 orders with a close rate of 50 % needs 200 deals; with a meeting rate of 50 %,
400 appointments; with an appointment rate of 10 %, 4,000 leads. Each stage is rounded up
to whole counts before the next is derived (the whitepaper's chain).

During the period the needs stay chained: a stage's *remaining need* is the larger of its own
gap to its total and what the stage below still needs divided by the planned rate, so 185
missing appointments always ask for at least 1,850 more leads at 10 %, whatever the leads'
own total says. Needed-to-date follows the KGI's pacing. Each step's actual conversion rate
stands beside the planned one; the bottleneck is the step whose actual rate falls furthest
below plan, or the volume at the top of the funnel when every rate is on plan.

The need is also stated at the *observed* rates (:func:`observed_needs`): the KGI's remaining
gap chained up through each step's actual rate so far, where one is known (the planned one
where not). When 商談化率 runs at 25 % against 50 % planned, the leads still needed at the
observed rate are twice the planned chain's: the plan says what the funnel should need, the
observed need what it will take if the rates stay as they are.

Weeks left are counted from the end of the week, but never from before the start: before the
period begins the need spreads over the whole period, not over weeks that have not begun.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from kpi_pipeline.calendar import iso_week_label, week_end
from kpi_pipeline.catalog import STEPS
from kpi_pipeline.kpi.judgement.pacing import expected_total, seasonal_shape
from kpi_pipeline.targets.model import Goal, Targets

if TYPE_CHECKING:  # the plan maths stay light: `kpi-pipeline funnel` never loads pandas
    import pandas as pd

    from kpi_pipeline.kpi.metric_history import MetricHistory

FUNNEL_COLUMNS: tuple[str, ...] = (
    "site_id", "week_start", "iso_week", "kgi_id", "stage", "stage_order", "rate_to_next",
    "required_total", "required_to_date", "actual_to_date", "gap", "attainment",
    "is_bottleneck", "remaining_weeks", "needed_per_week", "actual_rate", "remaining_need",
    "bottleneck_reason", "observed_need", "observed_need_per_week",
)
# A step converts "on plan" when its actual rate reaches 95 % of the planned one: closer than
# that is within the noise of a few weeks' counts and not worth naming as the bottleneck.
RATE_ON_PLAN = 0.95


class BottleneckReason(StrEnum):
    """Why a stage is the bottleneck (stored in ``mart.funnel_plan``, worded when rendering)."""

    RATE = "rate_below_plan"  # the step into this stage converts below its planned rate
    VOLUME = "volume_at_top"  # every rate is on plan: too little enters the top of the funnel

STAGE_NAMES: dict[str, dict[str, str]] = {
    "orders": {"ja": "受注", "en": "orders"},
    "deals": {"ja": "商談", "en": "deals"},
    "appointments": {"ja": "アポイント", "en": "appointments"},
    "leads": {"ja": "見込み顧客", "en": "leads"},
}

# Names of the rate from a stage to the one directly below it (whitepaper wording, from the catalogue).
RATE_NAMES: dict[tuple[str, str], dict[str, str]] = {
    (s.denominator, s.numerator): {"ja": s.name_ja, "en": s.name_en} for s in STEPS
}


def stage_name(stage: str, lang: str = "ja") -> str:
    return STAGE_NAMES.get(stage, {}).get("ja" if lang == "ja" else "en", stage)


def rate_name(stage: str, below: str, lang: str = "ja") -> str:
    names = RATE_NAMES.get((stage, below), {"ja": "転換率", "en": "conversion rate"})
    return names["ja" if lang == "ja" else "en"]


@dataclass(frozen=True)
class StageRequirement:
    """What one stage must deliver over the KGI period.

    ``rate_to_next`` converts this stage into ``below`` (None for the KGI stage itself);
    ``measured`` says the rate came from last period's actuals. ``required_total`` is None
    when a measured rate could not be computed (no data).
    """

    stage: str
    stage_order: int
    rate_to_next: float | None
    required_total: int | None
    below: str | None = None
    measured: bool = False


def _ceil(value: float) -> int:
    return math.ceil(round(value, 6))  # 400 / 0.1 must be 4,000, not 4,001


def plan_funnel(kgi: Goal, measured: Mapping[str, float] | None = None) -> list[StageRequirement]:
    """The KGI stage and every stage above it with its required total (rounded up).

    ``measured`` supplies rates for steps written ``rate: measured`` (see :func:`measured_rates`);
    without it those stages, and all above them, have ``required_total`` None.
    """
    if kgi.target.value is None:
        raise ValueError(f"KGI {kgi.id} has no absolute target: a funnel needs {{value: N}}")
    required: int | None = _ceil(kgi.target.value)
    plan = [StageRequirement(kgi.metric_id, 0, None, required)]
    below = kgi.metric_id
    for order, step in enumerate(kgi.funnel, start=1):
        rate = step.rate if step.rate is not None else (measured or {}).get(step.stage)
        required = _ceil(required / rate) if required is not None and rate else None
        plan.append(StageRequirement(step.stage, order, rate, required, below, step.rate is None))
        below = step.stage
    return plan


def measured_rates(kgi: Goal, history: MetricHistory) -> dict[str, float]:
    """Rates for ``rate: measured`` steps from the window just before the KGI period.

    The window has the period's length and ends the day before its start ("last period").
    A stage with no volume there gets no rate.
    """
    end = kgi.start - timedelta(days=1)
    start = kgi.start - timedelta(days=kgi.days)
    rates: dict[str, float] = {}
    below = kgi.metric_id
    for step in kgi.funnel:
        if step.rate is None:
            upper = history.running_total(step.stage, start, end)
            lower = history.running_total(below, start, end)
            if upper and lower is not None and 0 < lower <= upper:
                rates[step.stage] = lower / upper
        below = step.stage
    return rates


def funnel_progress(
    targets: Targets, site_id: str, week_start: date, daily: pd.DataFrame,
    history: MetricHistory | None = None,
) -> pd.DataFrame:
    """Rows for ``mart.funnel_plan``: each funnel stage of each KGI at the end of the week.

    ``history``: ``MetricHistory(daily, None, site_id)`` built once for many weeks (or here).
    """
    import pandas as pd

    from kpi_pipeline.kpi.metric_history import MetricHistory

    if history is None:
        history = MetricHistory(daily, None, site_id)
    return pd.DataFrame(funnel_rows(targets, site_id, week_start, history), columns=list(FUNNEL_COLUMNS))


def funnel_rows(
    targets: Targets, site_id: str, week_start: date, history: MetricHistory,
) -> list[dict[str, object]]:
    """The week's rows of ``mart.funnel_plan`` as records (a range run frames all weeks at once)."""
    rows: list[dict[str, object]] = []
    for kgi in targets.kgis:
        if kgi.funnel:
            rows += _kgi_rows(kgi, history, site_id, week_start)
    return rows


def chained_needs(gaps: Sequence[float], rates: Sequence[float | None]) -> list[float]:
    """Remaining need per stage, KGI stage first: max(own gap, need below ÷ planned rate).

    ``gaps[i]`` is stage i's own shortfall against its total, ``rates[i]`` its planned rate to
    stage i − 1 (``rates[0]`` is unused). 185 missing appointments at 10 % need ≥ 1,850 leads.
    """
    needs: list[float] = []
    for i, (gap, rate) in enumerate(zip(gaps, rates, strict=True)):
        need = max(0.0, gap)
        if i and rate:
            need = max(need, float(_ceil(needs[-1] / rate)))
        needs.append(need)
    return needs


def observed_needs(
    kgi_need: float, planned: Sequence[float | None], observed: Sequence[float | None],
) -> list[float | None]:
    """Remaining need per stage at the observed rates, KGI stage first: the KGI's remaining
    need divided up the funnel by each step's actual rate (its planned one where no actual is
    known); None above a step that converted nothing (no volume of it can deliver the KGI)."""
    needs: list[float | None] = [max(0.0, kgi_need)]
    for plan_rate, rate in zip(planned[1:], observed[1:], strict=True):
        below = needs[-1]
        used = rate if rate is not None else plan_rate
        if below == 0:
            needs.append(0.0)
        elif below is None or not used:
            needs.append(None)
        else:
            needs.append(float(_ceil(below / used)))
    return needs


def per_week(need: float, remaining_weeks: float) -> float:
    """A need spread over the weeks left; after the end, the whole need (nothing to spread over)."""
    return need / remaining_weeks if remaining_weeks > 0 else need


def actual_rates(actuals: Sequence[float]) -> list[float | None]:
    """Each stage's actual conversion to the stage below, KGI stage first (None: no volume)."""
    return [None] + [
        actuals[i - 1] / actuals[i] if actuals[i] > 0 else None for i in range(1, len(actuals))
    ]


def find_bottleneck(
    planned: Sequence[float | None],
    actual: Sequence[float | None],
    attainment: Sequence[float | None],
) -> tuple[int, BottleneckReason] | None:
    """Index of the bottleneck stage (KGI stage = 0) and why, or None when no stage is behind.

    A step whose actual rate is below :data:`RATE_ON_PLAN` of its planned rate starves the stage
    it converts into: the step furthest below plan names that stage. When every step converts
    on plan and the top stage is behind, the shortfall is the volume entering the funnel: the
    top stage. With the top on pace, the small misses of the rates add up: the worst one.
    """
    if not any(a is not None and a < 1 for a in attainment):
        return None
    ratios = [
        (a / p, i) for i, (p, a) in enumerate(zip(planned, actual, strict=True))
        if i and p and a is not None
    ]
    below = [r for r in ratios if r[0] < RATE_ON_PLAN]
    if below:
        return min(below)[1] - 1, BottleneckReason.RATE
    top = attainment[-1]
    if top is not None and top < 1:
        return len(planned) - 1, BottleneckReason.VOLUME
    short = [r for r in ratios if r[0] < 1]
    return (min(short)[1] - 1, BottleneckReason.RATE) if short else None


def _kgi_rows(kgi: Goal, history: MetricHistory, site_id: str, week_start: date) -> list[dict[str, object]]:
    end_of_week = week_end(week_start)
    to = min(end_of_week, kgi.deadline)
    # needed-to-date follows the KGI's own pacing (the share its KGI row expects by now)
    share, _ = expected_total(kgi.pacing, 1.0, kgi.start, kgi.deadline, to,
                              seasonal_shape(kgi, history))
    # from the end of this week, or from the start when the period has not begun
    remaining_weeks = max(0, (kgi.deadline - max(end_of_week, kgi.start - timedelta(days=1))).days) / 7
    measured = measured_rates(kgi, history) if any(s.rate is None for s in kgi.funnel) else None
    plan = _known(plan_funnel(kgi, measured))
    actuals = [
        (history.running_total(s.stage, kgi.start, to) or 0.0) if to >= kgi.start else 0.0
        for s in plan
    ]
    totals = [float(s.required_total or 0) for s in plan]
    needs = chained_needs([t - a for t, a in zip(totals, actuals, strict=True)],
                          [s.rate_to_next for s in plan])
    rates = actual_rates(actuals)
    observed = observed_needs(needs[0], [s.rate_to_next for s in plan], rates)
    rows = []
    for stage, total, actual, need, rate, at_observed in zip(plan, totals, actuals, needs, rates, observed,
                                                             strict=True):
        required_to_date = total * share
        rows.append({
            "site_id": site_id, "week_start": week_start, "iso_week": iso_week_label(week_start),
            "kgi_id": kgi.id, "stage": stage.stage, "stage_order": stage.stage_order,
            "rate_to_next": stage.rate_to_next, "required_total": total,
            "required_to_date": required_to_date, "actual_to_date": actual,
            "gap": actual - required_to_date,
            "attainment": actual / required_to_date if required_to_date > 0 else None,
            "is_bottleneck": False, "remaining_weeks": remaining_weeks,
            "needed_per_week": per_week(need, remaining_weeks),
            "actual_rate": rate, "remaining_need": need, "bottleneck_reason": None,
            "observed_need": at_observed,
            "observed_need_per_week": None if at_observed is None else per_week(at_observed, remaining_weeks),
        })
    found = find_bottleneck([s.rate_to_next for s in plan], rates, [r["attainment"] for r in rows])
    if found is not None:
        index, reason = found
        rows[index].update(is_bottleneck=True, bottleneck_reason=reason.value)
    return rows


def _known(plan: list[StageRequirement]) -> list[StageRequirement]:
    """The stages up to the first one whose requirement is unknown (a measured rate without data)."""
    known = []
    for stage in plan:
        if stage.required_total is None:
            break
        known.append(stage)
    return known
