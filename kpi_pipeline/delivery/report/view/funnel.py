"""The reverse funnel per KGI: each stage's figures and "what it takes" to catch up."""

from __future__ import annotations

from kpi_pipeline.delivery.report.model import FunnelStage
from kpi_pipeline.delivery.report.view.context import ViewContext
from kpi_pipeline.delivery.report.view.display import FunnelView, StageView
from kpi_pipeline.delivery.report.view.shared import funnel_chart_name, funnel_groups, metric_name


def stage_name(ctx: ViewContext, stage: str) -> str:
    try:
        return ctx.t(f"stage_{stage}")
    except KeyError:
        return metric_name(stage, ctx.lang)


def funnel_views(ctx: ViewContext) -> tuple[FunnelView, ...]:
    names = {i.item_id: i.name for i in ctx.data.kgis}
    f, unit = ctx.f, ctx.t("unit_count")
    out = []
    for index, (kgi_id, stages) in enumerate(funnel_groups(ctx.data)):
        views = tuple(
            StageView(
                stage=s.stage,
                name=metric_name(s.stage, ctx.lang),
                rate=f.percent(s.rate_to_next, 0),
                required_total=f.count(s.required_total),
                required_to_date=f.count(s.required_to_date),
                actual_to_date=f.count(s.actual_to_date),
                attainment=f.percent(s.attainment, 0),
                needed=ctx.t("per_week", n=f.count(s.needed_per_week), unit=unit),
                is_bottleneck=s.is_bottleneck,
                actual_rate=f.percent(s.actual_rate, 1),
                remaining_need=f.count(s.remaining_needed),
                line=stage_line(ctx, s),
            )
            for s in stages
        )
        focus = next((s for s in stages if s.is_bottleneck), stages[-1])
        out.append(FunnelView(
            kgi_id=kgi_id,
            kgi_name=names.get(kgi_id, kgi_id),
            headline=what_it_takes(ctx, focus),
            stages=views,
            chart=funnel_chart_name(index) if ctx.charts else "",
            reason=ctx.why.bottleneck_reason(focus, stages) if focus.is_bottleneck else None,
        ))
    return tuple(out)


def stage_line(ctx: ViewContext, s: FunnelStage) -> str:
    f = ctx.f
    return ctx.t(
        "funnel_stage_line" if s.rate_to_next is not None else "funnel_stage_line_kgi", stage=stage_name(ctx, s.stage), planned=f.percent(s.rate_to_next, 0),
        actual_rate=f.percent(s.actual_rate, 1), needed=f.count(s.required_to_date),
        actual=f.count(s.actual_to_date), remaining=f.count(s.remaining_needed),
        per_week=f.count(s.needed_per_week),
    )


def what_it_takes(ctx: ViewContext, s: FunnelStage) -> str:
    """残り12週で商談+38件が必要（週3.2件）."""
    if s.remaining_needed <= 0:
        return ctx.t("funnel_done", stage=stage_name(ctx, s.stage))
    return ctx.t(
        "what_it_takes",
        weeks=ctx.f.number(s.remaining_weeks, 0),
        stage=stage_name(ctx, s.stage),
        count=ctx.f.count(s.remaining_needed),
        per_week=ctx.f.count(s.needed_per_week),
        unit=ctx.t("unit_count"),
    )
