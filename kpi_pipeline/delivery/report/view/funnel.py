"""The reverse funnel per KGI: each stage's figures and "what it takes" to catch up.

"What it takes" follows the KGI's period: before its start the whole need spread over the
period's weeks, after its end what the KGI stage reached against its need (no weeks left to
need anything in), in between the focus stage's remaining need per week left; beside it the
need at the rates actually observed so far (:mod:`kpi_pipeline.kpi.funnel.plan`).
"""

from __future__ import annotations

from kpi_pipeline.delivery.report.model import FunnelStage, ProgressItem
from kpi_pipeline.delivery.report.view.caveats import bottleneck_caveat, with_caveat
from kpi_pipeline.delivery.report.view.context import ViewContext
from kpi_pipeline.delivery.report.view.display import FunnelView, StageView
from kpi_pipeline.delivery.report.view.shared import funnel_chart_name, funnel_groups, metric_name
from kpi_pipeline.delivery.wording.formatting import DASH


def stage_name(ctx: ViewContext, stage: str) -> str:
    try:
        return ctx.t(f"stage_{stage}")
    except KeyError:
        return metric_name(stage, ctx.lang)


def funnel_views(ctx: ViewContext) -> tuple[FunnelView, ...]:
    kgis = {i.item_id: i for i in ctx.data.kgis}
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
                needed=ctx.t("per_week", n=f.count(s.needed_per_week), unit=unit) if s.remaining_weeks > 0 else DASH,
                is_bottleneck=s.is_bottleneck,
                actual_rate=f.percent(s.actual_rate, 1),
                remaining_need=f.count(s.remaining_needed),
                observed_need=f.count(s.observed_need),
                line=stage_line(ctx, s),
            )
            for s in stages
        )
        focus = next((s for s in stages if s.is_bottleneck), stages[-1])
        reason = ctx.why.bottleneck_reason(focus, stages) if focus.is_bottleneck else None
        kgi = kgis.get(kgi_id)
        out.append(FunnelView(
            kgi_id=kgi_id,
            kgi_name=kgi.name if kgi else kgi_id,
            headline=what_it_takes(ctx, focus, stages, kgi),
            stages=views,
            chart=funnel_chart_name(index) if ctx.charts else "",
            reason=with_caveat(ctx, reason, bottleneck_caveat(ctx, stages)) if reason else None,
            observed=observed_sentence(ctx, stages[0], kgi),
        ))
    return tuple(out)


def stage_line(ctx: ViewContext, s: FunnelStage) -> str:
    f = ctx.f
    line = ctx.t(
        "funnel_stage_line" if s.rate_to_next is not None else "funnel_stage_line_kgi", stage=stage_name(ctx, s.stage), planned=f.percent(s.rate_to_next, 0),
        actual_rate=f.percent(s.actual_rate, 1), needed=f.count(s.required_to_date),
        actual=f.count(s.actual_to_date), remaining=f.count(s.remaining_needed),
        # no weeks left after the end: no pace
        pace=ctx.t("funnel_stage_pace", per_week=f.count(s.needed_per_week)) if s.remaining_weeks > 0 else "",
    )
    if s.rate_to_next is not None and s.observed_need is not None:
        line += ctx.t("funnel_stage_observed", remaining=f.count(s.observed_need))
    return line


def not_started(ctx: ViewContext, kgi: ProgressItem | None) -> bool:
    return kgi is not None and kgi.start_date > ctx.data.week_end


def ended(ctx: ViewContext, s: FunnelStage, kgi: ProgressItem | None) -> bool:
    """The KGI's period is over by the end of the report week (no weeks left to need anything in)."""
    return kgi.deadline <= ctx.data.week_end if kgi is not None else s.remaining_weeks <= 0


def what_it_takes(ctx: ViewContext, s: FunnelStage, stages: list[FunnelStage], kgi: ProgressItem | None) -> str:
    """残り12週で商談+38件が必要（週3.2件）; before the start the period's need; after the end
    what the KGI stage reached."""
    f, unit, name = ctx.f, ctx.t("unit_count"), stage_name(ctx, s.stage)
    if kgi is not None and not_started(ctx, kgi):
        return ctx.t("funnel_before_start", date=f.date(kgi.start_date), weeks=f.number(s.remaining_weeks, 0),
                     stage=name, count=f.count(s.remaining_needed), per_week=f.count(s.needed_per_week), unit=unit)
    if ended(ctx, s, kgi):
        goal = stages[-1]  # the KGI stage: what the period delivered
        short = goal.required_total - goal.actual_to_date
        key = "funnel_ended_short" if short > 0 else "funnel_ended_met"
        return ctx.t(key, stage=stage_name(ctx, goal.stage), total=f.count(goal.required_total),
                     actual=f.count(goal.actual_to_date), short=f.count(short), unit=unit)
    if s.remaining_needed <= 0:
        return ctx.t("funnel_done", stage=name)
    return ctx.t(
        "what_it_takes",
        weeks=f.number(s.remaining_weeks, 0),
        stage=name,
        count=f.count(s.remaining_needed),
        per_week=f.count(s.needed_per_week),
        unit=unit,
    )


def observed_sentence(ctx: ViewContext, top: FunnelStage, kgi: ProgressItem | None) -> str | None:
    """「実績の転換率のままなら見込み顧客+5,200件が必要…」: the top stage's need at the rates
    observed so far, when it differs from the planned chain's (a running period only)."""
    if top.observed_need is None or top.rate_to_next is None or not_started(ctx, kgi) or ended(ctx, top, kgi):
        return None
    f, unit = ctx.f, ctx.t("unit_count")
    if f.count(top.observed_need) == f.count(top.remaining_needed):
        return None
    return ctx.t("funnel_observed", stage=stage_name(ctx, top.stage), count=f.count(top.observed_need),
                 per_week=f.count(top.observed_need_per_week), planned=f.count(top.remaining_needed), unit=unit)
