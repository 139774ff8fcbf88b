"""The AARRR phase tables, the biggest change of the week and the unusual metrics."""

from __future__ import annotations

from kpi_pipeline.delivery.report.model import PhaseMetric, ProgressItem, phase_key
from kpi_pipeline.delivery.report.view.caveats import change_caveat, with_caveat
from kpi_pipeline.delivery.report.view.changes import (
    biggest_change,
    change_class,
    is_better,
    week_change,
)
from kpi_pipeline.delivery.report.view.context import ViewContext
from kpi_pipeline.delivery.report.view.display import MetricRowView, PhaseView
from kpi_pipeline.delivery.report.view.shared import (
    CATALOG_ORDER,
    metric_name,
    phase_chart_name,
    phase_label,
    trend_metrics,
)


def change_text(ctx: ViewContext) -> str | None:
    pm = biggest_change(ctx.data)
    if pm is None:
        return None
    change = week_change(pm)
    word = ctx.t("improved") if change is not None and is_better(pm.metric_id, change) \
        else ctx.t("worsened")
    text = ctx.t(
        "change_sentence",
        metric=metric_name(pm.metric_id, ctx.lang),
        change=ctx.f.change(pm.metric_id, change),
        word=word,
        prev=ctx.f.metric(pm.metric_id, pm.prev_week_value),
        value=ctx.f.metric(pm.metric_id, pm.value),
    )
    return with_caveat(ctx, text, change_caveat(ctx, pm))


def anomaly_lines(ctx: ViewContext) -> tuple[str, ...]:
    out = []
    for a in sorted(ctx.data.anomalies, key=lambda a: -abs(a.robust_z)):
        kind = ctx.t("anomaly_spike") if a.kind == "spike" else ctx.t("anomaly_drop")
        out.append(ctx.t(
            "anomaly_sentence", metric=metric_name(a.metric_id, ctx.lang),
            value=ctx.f.metric(a.metric_id, a.value),
            median=ctx.f.metric(a.metric_id, a.median), kind=kind,
        ))
    return tuple(out)


def phase_views(ctx: ViewContext, items: tuple[ProgressItem, ...]) -> tuple[PhaseView, ...]:
    by_phase: dict[str, list[PhaseMetric]] = {}
    for pm in ctx.data.phase_metrics:
        by_phase.setdefault(pm.phase, []).append(pm)
    out = []
    for phase in sorted(by_phase, key=phase_key):
        rows = tuple(
            metric_row(ctx, pm)
            for pm in sorted(by_phase[phase], key=lambda p: CATALOG_ORDER.get(p.metric_id, 99))
        )
        has_trend = bool(trend_metrics(ctx.data, phase))
        behind = sum(1 for i in items if i.kind == "kpi" and i.phase == phase and i.is_behind)
        out.append(PhaseView(
            phase=phase,
            label=phase_label(phase, ctx.lang),
            rows=rows,
            chart=phase_chart_name(phase) if (ctx.charts and has_trend) else None,
            behind=behind,
        ))
    return tuple(out)


def metric_row(ctx: ViewContext, pm: PhaseMetric) -> MetricRowView:
    f, m = ctx.f, pm.metric_id
    wow = week_change(pm)
    return MetricRowView(
        metric_id=m,
        name=metric_name(m, ctx.lang),
        value=f.metric(m, pm.value),
        prev=f.metric(m, pm.prev_week_value),
        wow=f.change(m, wow),
        wow_class=change_class(m, wow),
        last_year=f.metric(m, pm.last_year_value),
        yoy=f.change(m, pm.yoy_change),
        yoy_class=change_class(m, pm.yoy_change),
    )
