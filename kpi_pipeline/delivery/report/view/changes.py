"""Week-on-week changes as the report judges them: which way is better, which moved most."""

from __future__ import annotations

from kpi_pipeline.catalog import METRICS_BY_ID, Direction
from kpi_pipeline.delivery.report.model import PhaseMetric, ReportData
from kpi_pipeline.delivery.report.view.shared import CATALOG_ORDER
from kpi_pipeline.delivery.report.view.why import above_volume_floor


def relative_change(pm: PhaseMetric) -> float | None:
    if pm.value is None or pm.prev_week_value in (None, 0):
        return None
    return pm.value / pm.prev_week_value - 1


def week_change(pm: PhaseMetric) -> float | None:
    """The mart's change (points for rates), or computed the same way if absent."""
    if pm.wow_change is not None:
        return pm.wow_change
    if pm.value is None or pm.prev_week_value is None:
        return None
    m = METRICS_BY_ID.get(pm.metric_id)
    if m is not None and m.unit.value == "rate":
        return pm.value - pm.prev_week_value
    return relative_change(pm)


def is_better(metric_id: str, change: float) -> bool:
    m = METRICS_BY_ID.get(metric_id)
    lower = m is not None and m.direction is Direction.LOWER
    return change < 0 if lower else change > 0


def change_class(metric_id: str, change: float | None) -> str:
    if change is None or abs(change) < 1e-9:
        return "flat"
    return "good" if is_better(metric_id, change) else "bad"


def biggest_change(data: ReportData) -> PhaseMetric | None:
    """The metric that moved most since last week, by relative size, among those with volume
    enough for the change to mean something (:data:`kpi_pipeline.delivery.report.view.why.VOLUME_FLOOR`)."""
    candidates = above_volume_floor(data.phase_metrics)
    ranked = [(abs(r), pm) for pm in candidates if (r := relative_change(pm)) is not None]
    if not ranked:
        return None
    return max(ranked, key=lambda x: (x[0], -CATALOG_ORDER.get(x[1].metric_id, 99)))[1]


def worsened_metrics(data: ReportData, phase: str) -> list[PhaseMetric]:
    """Metrics of ``phase`` that got worse since last week, worst first."""
    out = [
        pm for pm in data.phase_metrics
        if pm.phase == phase and (c := week_change(pm)) is not None and c != 0
        and not is_better(pm.metric_id, c)
    ]
    return sorted(out, key=lambda pm: -abs(relative_change(pm) or 0.0))
