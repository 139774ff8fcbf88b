"""From :class:`ReportData` to display text in one language: what the templates print.

All judgement the report makes lives in the ``view_*`` modules this one assembles, so templates
stay plain loops: the goal cards (``view_goals``), the AARRR phases and the week's changes
(``view_phases``, ``changes``), the reverse funnel (``view_funnel``), what needs action and the
data notes (``view_actions``), the Do check (``do_check``); the display dataclasses are in
``display``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kpi_pipeline.delivery.report.model import ReportData
from kpi_pipeline.delivery.report.view.actions import action_views, attention, data_notes
from kpi_pipeline.delivery.report.view.context import ViewContext
from kpi_pipeline.delivery.report.view.display import ReportView
from kpi_pipeline.delivery.report.view.do_check import do_check_views
from kpi_pipeline.delivery.report.view.funnel import funnel_views
from kpi_pipeline.delivery.report.view.goals import ended_lines, item_view, status_counts, subject
from kpi_pipeline.delivery.report.view.measures import measure_lines
from kpi_pipeline.delivery.report.view.phases import anomaly_lines, change_text, phase_views
from kpi_pipeline.delivery.report.view.shared import ordered_items

DEFAULT_TIMEZONE = "Asia/Tokyo"  # KPI_TIMEZONE's default

__all__ = ["ReportView", "build_view"]


def build_view(data: ReportData, lang: str = "ja", *, charts: bool = True,
               timezone: str = DEFAULT_TIMEZONE) -> ReportView:
    """Everything the templates print for ``data`` in ``lang``; ``timezone`` (KPI_TIMEZONE) only
    dates a report whose data has no ``generated_at`` (hand-built data)."""
    ctx = ViewContext(data, lang, charts)
    items = ordered_items(data)
    views = [item_view(ctx, index, item) for index, item in enumerate(items)]
    actions = action_views(ctx, items)
    # load_report_data sets it in the reporting time zone; hand-built data gets "now" there
    generated = data.generated_at or datetime.now(ZoneInfo(timezone))
    do_checks = do_check_views(ctx)
    # a planned measure is reported in the Do check (with its effects), the others as before
    running, ended_measures = measure_lines(data, lang, skip={d.measure_id for d in do_checks})
    return ReportView(
        lang=lang,
        title=ctx.t("title"),
        site=data.site_name,
        iso_week=data.iso_week,
        period=ctx.f.period(data.week_start, data.week_end),
        generated=ctx.f.timestamp(generated),
        kgis=tuple(v for v in views if v.kind == "kgi"),
        kpis=tuple(v for v in views if v.kind == "kpi"),
        counts=status_counts(ctx),
        biggest_change=change_text(ctx),
        anomalies=anomaly_lines(ctx),
        attention=attention(ctx, actions),
        phases=phase_views(ctx, items),
        funnels=funnel_views(ctx),
        actions=actions,
        notes=data_notes(ctx, items),
        subject=subject(ctx),
        checks=ctx.why.checks(items),
        hints=ctx.why.hints(items),
        ended=ended_lines(ctx),
        measures_running=running,
        measures_ended=ended_measures,
        do_checks=do_checks,
    )
