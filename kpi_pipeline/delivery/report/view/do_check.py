"""「行動（Do）の確認」: was each planned measure done, how its KPIs stand, and the Act the
quadrant calls for (the whitepaper's 「行動は達成できたけど、目標は未達成 → 走る距離をプラス3キロ」).

One view per measure of ``mart.do_check``: 「SEO記事の公開: 1/2本（未達）・KPI 2ヶ月でセッション数を
1.25倍に: 要注意」, then the Act; a measure naming several KPIs whose quadrants differ gets one
Act per KPI. Its before/after effects (``mart.measure_effects``) stand beside it, so the
measures list of the Act section keeps only the measures without a plan.
"""

from __future__ import annotations

from kpi_pipeline.delivery.report.model import DoCheck
from kpi_pipeline.delivery.report.view.context import ViewContext
from kpi_pipeline.delivery.report.view.display import DoCheckView
from kpi_pipeline.delivery.report.view.measures import effect_text


def do_check_views(ctx: ViewContext) -> tuple[DoCheckView, ...]:
    """One view per planned measure running in the report week, in start order."""
    grouped: dict[str, list[DoCheck]] = {}
    for row in ctx.data.do_checks:
        grouped.setdefault(row.measure_id, []).append(row)
    return tuple(_view(ctx, rows) for rows in grouped.values())


def _view(ctx: ViewContext, rows: list[DoCheck]) -> DoCheckView:
    t, f = ctx.t, ctx.f
    names = {i.item_id: i.name for i in ctx.data.items}
    head = rows[0]
    kpis = t("measure_sep").join(
        t("do_kpi", kpi=names.get(r.kpi_id, r.kpi_id),
          status=ctx.status_label(r.kpi_status) if r.kpi_status else ctx.status_label("no_data"))
        for r in rows)
    line = t("do_line", name=head.measure_name, done=f.count(head.done), planned=f.count(head.planned),
             unit=t("do_unit", unit=head.unit) if head.unit else "", do=t("do_met" if head.do_met else "do_missed"), kpis=kpis)
    quadrants = [r for r in rows if r.quadrant]
    acts = tuple(dict.fromkeys(t(f"act_{r.quadrant}") for r in quadrants))
    if len(acts) > 1:  # the KPIs call for different Acts: say which is which
        acts = tuple(t("do_act_for", kpi=names.get(r.kpi_id, r.kpi_id), act=t(f"act_{r.quadrant}"))
                     for r in quadrants)
    effects = tuple(effect_text(e, names.get(e.kpi_id, e.kpi_id), ctx.lang)
                    for e in ctx.data.measures if e.measure_id == head.measure_id)
    return DoCheckView(measure_id=head.measure_id, line=line, acts=acts, effects=effects)
