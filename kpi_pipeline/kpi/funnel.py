"""The reverse funnel (逆算): from a KGI count back to what each sales stage must deliver.

A KGI of 100 orders with a close rate of 50 % needs 200 deals; with a meeting rate of 50 %,
400 appointments; with an appointment rate of 10 %, 4,000 leads. Each stage is rounded up
to whole counts before the next is derived (the whitepaper's chain). Progress compares each
stage's running total with a linear share of its requirement; the stage furthest behind is
the bottleneck, where effort pays most.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from kpi_pipeline.kpi.pacing import elapsed_share
from kpi_pipeline.kpi.weeks import iso_week_label, week_end
from kpi_pipeline.targets.model import Goal, Targets

if TYPE_CHECKING:  # the plan maths stay light: `kpi-pipeline funnel` never loads pandas
    import pandas as pd

    from kpi_pipeline.kpi.windows import MetricHistory

FUNNEL_COLUMNS: tuple[str, ...] = (
    "site_id", "week_start", "iso_week", "kgi_id", "stage", "stage_order", "rate_to_next",
    "required_total", "required_to_date", "actual_to_date", "gap", "attainment",
    "is_bottleneck", "remaining_weeks", "needed_per_week",
)

STAGE_NAMES: dict[str, dict[str, str]] = {
    "orders": {"ja": "受注", "en": "orders"},
    "deals": {"ja": "商談", "en": "deals"},
    "appointments": {"ja": "アポイント", "en": "appointments"},
    "leads": {"ja": "見込み顧客", "en": "leads"},
}

# Names of the rate from a stage to the one directly below it (whitepaper wording).
RATE_NAMES: dict[tuple[str, str], dict[str, str]] = {
    ("deals", "orders"): {"ja": "成約率", "en": "close rate"},
    ("appointments", "deals"): {"ja": "商談化率", "en": "meeting rate"},
    ("leads", "appointments"): {"ja": "アポイント獲得率", "en": "appointment rate"},
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
) -> pd.DataFrame:
    """Rows for ``mart.funnel_plan``: each funnel stage of each KGI at the end of the week."""
    import pandas as pd

    from kpi_pipeline.kpi.windows import MetricHistory

    history = MetricHistory(daily, None, site_id)
    rows: list[dict[str, object]] = []
    for kgi in targets.kgis:
        if kgi.funnel:
            rows += _kgi_rows(kgi, history, site_id, week_start)
    return pd.DataFrame(rows, columns=list(FUNNEL_COLUMNS))


def _kgi_rows(kgi: Goal, history: MetricHistory, site_id: str, week_start: date) -> list[dict[str, object]]:
    end_of_week = week_end(week_start)
    to = min(end_of_week, kgi.deadline)
    share = elapsed_share(kgi.start, kgi.deadline, end_of_week)
    remaining_weeks = max(0, (kgi.deadline - end_of_week).days) / 7
    measured = measured_rates(kgi, history) if any(s.rate is None for s in kgi.funnel) else None
    rows = []
    for stage in plan_funnel(kgi, measured):
        if stage.required_total is None:
            break
        actual = (history.running_total(stage.stage, kgi.start, to) or 0.0) if to >= kgi.start else 0.0
        required_to_date = stage.required_total * share
        left = max(0.0, stage.required_total - actual)
        rows.append({
            "site_id": site_id, "week_start": week_start, "iso_week": iso_week_label(week_start),
            "kgi_id": kgi.id, "stage": stage.stage, "stage_order": stage.stage_order,
            "rate_to_next": stage.rate_to_next, "required_total": float(stage.required_total),
            "required_to_date": required_to_date, "actual_to_date": actual,
            "gap": actual - required_to_date,
            "attainment": actual / required_to_date if required_to_date > 0 else None,
            "is_bottleneck": False, "remaining_weeks": remaining_weeks,
            "needed_per_week": left / remaining_weeks if remaining_weeks > 0 else left,
        })
    behind = [r for r in rows if r["attainment"] is not None and r["attainment"] < 1]
    if behind:
        min(behind, key=lambda r: (r["attainment"], -r["stage_order"]))["is_bottleneck"] = True
    return rows


def what_it_takes(
    stage: str, required_total: float, actual_to_date: float, remaining_weeks: float, lang: str = "ja",
) -> str:
    """One sentence a marketer can act on, e.g. 残り12週で商談+38件が必要（週3.2件）."""
    name = stage_name(stage, lang)
    left = _ceil(max(0.0, required_total - actual_to_date))
    weeks = f"{round(remaining_weeks, 1):g}"
    if left == 0:
        if lang == "ja":
            return f"{name}は必要数{required_total:,.0f}件に到達済み（実績{actual_to_date:,.0f}件）"
        return f"{name}: the {required_total:,.0f} needed are reached ({actual_to_date:,.0f} so far)"
    if remaining_weeks <= 0:
        if lang == "ja":
            return f"期間終了: {name}は必要数に{left:,}件届きませんでした"
        return f"period over: {left:,} {name} short of the {required_total:,.0f} needed"
    per_week = f"{left / remaining_weeks:,.1f}"
    if lang == "ja":
        return f"残り{weeks}週で{name}+{left:,}件が必要（週{per_week}件）"
    return f"{left:,} more {name} needed in the remaining {weeks} weeks ({per_week} a week)"
