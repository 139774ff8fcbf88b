"""Can each KPI's target deliver what its KGI's reverse funnel needs? (``targets check``)

A KPI on a funnel stage (e.g. 半年でアポイント数を1.6倍に under a KGI of 100 orders) is only a
plan if its target, held over the KGI's period, gives at least the stage's requirement: the
whitepaper's 100 orders need 400 appointments, and appointments ×1.6 from 200 a year give 320.
A weekly target is a rate per week; a cumulative one is spread over its own period. Targets
that are a multiple of a baseline window need the warehouse's history; without it they are
left out (``history`` None), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kpi_pipeline.kpi.funnel.plan import plan_funnel, stage_name
from kpi_pipeline.kpi.judgement.baselines import NoHistory, baseline_and_target
from kpi_pipeline.targets.model import Goal, Targets

if TYPE_CHECKING:
    from kpi_pipeline.kpi.metric_history import MetricHistory


@dataclass(frozen=True)
class FunnelShortfall:
    """A KPI whose target gives fewer of its stage than the KGI's funnel needs."""

    kpi_index: int  # position under ``kpis:`` in the file
    kpi: Goal
    kgi: Goal
    gives: float  # over the KGI's period, at the KPI's target
    needs: int  # the stage's requirement in the reverse funnel

    def where(self, targets: Targets) -> str:
        """file:line: field, like every other targets check line."""
        line = f":{self.kpi.target_line}" if self.kpi.target_line else ""
        return f"{targets.source}{line}: kpis[{self.kpi_index}].target"

    def message(self, lang: str = "en") -> str:
        weeks = self.kgi.days / 7
        stage = stage_name(self.kpi.metric_id, lang)
        if lang == "ja":
            return (f"{self.kpi.id} の目標では{self.kgi.id}の期間に{stage}{self.gives:,.0f}件（週{self.gives / weeks:,.1f}件）"
                    f"ですが、逆算ファネルでは{self.needs:,}件（週{self.needs / weeks:,.1f}件）必要です")
        return (f"{self.kpi.id}'s target gives {self.gives:,.0f} {stage} over {self.kgi.id}'s period "
                f"({self.gives / weeks:,.1f} a week), but its reverse funnel needs {self.needs:,} "
                f"({self.needs / weeks:,.1f} a week): raise the target or revisit the funnel rates")


def kpi_delivers(kpi: Goal, kgi: Goal, history: MetricHistory | NoHistory | None) -> float | None:
    """What the KPI's target, held over the KGI's period, adds up to (None: unknown)."""
    _, target = baseline_and_target(kpi, history or NoHistory())
    if target is None:
        return None
    per_day = target / kpi.days if kpi.cumulative else target / 7
    return per_day * kgi.days


def funnel_shortfalls(targets: Targets, history: MetricHistory | NoHistory | None = None) -> list[FunnelShortfall]:
    """Every KPI on a funnel stage whose target cannot deliver its KGI's requirement."""
    found = []
    for index, kpi in enumerate(targets.kpis):
        kgi = next((k for k in targets.kgis if k.id == kpi.kgi_id), None)
        if kgi is None or not kgi.funnel or kgi.target.value is None:
            continue
        needs = {s.stage: s.required_total for s in plan_funnel(kgi)}.get(kpi.metric_id)
        gives = kpi_delivers(kpi, kgi, history) if needs is not None else None
        if needs is not None and gives is not None and round(gives, 6) < needs:
            found.append(FunnelShortfall(index, kpi, kgi, gives, needs))
    return found
