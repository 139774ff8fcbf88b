"""A week's report in a few lines, kept in its manifest: what chat messages and the archive show.

Written once at render time from the same view the report prints, so the chat message, the
archive and the report never disagree, and the archive and chat need neither the warehouse
nor a re-render. Values are display text in the report's language, plus the raw progress
(for the archive's bars) and the metric ids (for the archive's trend charts).
"""

from __future__ import annotations

from typing import Any

from kpi_pipeline.delivery.report.model import ReportData
from kpi_pipeline.delivery.report.view.display import ReportView
from kpi_pipeline.delivery.wording.messages import translator


def week_summary(data: ReportData, view: ReportView) -> dict[str, Any]:
    """Status counts, KGI lines, the top driver, the bottleneck and the Do check of one
    rendered week."""
    shown_by_name = {v.name: v for v in view.kgis}  # the view may leave some goals out
    kgis = [
        {
            "id": item.item_id, "name": shown.name, "metric_id": item.metric_id,
            "status": item.status, "status_label": shown.status_label,
            "progress": item.progress, "progress_text": shown.progress,
            "actual": shown.actual, "target": shown.target, "chance": shown.chance,
            "aside": shown.aside, "need": shown.need,
        }
        for item in data.kgis if (shown := shown_by_name.get(item.name)) is not None
    ]
    kpis = [{"id": i.item_id, "name": i.name, "metric_id": i.metric_id, "status": i.status}
            for i in data.kpis]
    bottleneck = next(
        (f"{f.kgi_name}: {f.headline}" for f in view.funnels
         if any(s.is_bottleneck for s in f.stages)),
        None,
    )
    return {
        "title": view.title,
        "site": view.site,
        "iso_week": view.iso_week,
        "period": view.period,
        "week_start": data.week_start.isoformat(),
        "counts": [{"status": c.status, "label": c.label, "count": c.count} for c in view.counts],
        "kgis": kgis,
        "kpis": kpis,
        "driver": view.biggest_change,
        "bottleneck": bottleneck,
        "do_check": {
            "title": translator(view.lang)("do_check"),
            "lines": [" → ".join((d.line, *d.acts)) for d in view.do_checks],
        } if view.do_checks else None,
    }
