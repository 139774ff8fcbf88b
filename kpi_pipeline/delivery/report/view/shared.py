"""Names, order and selections that the report view and its charts both use."""

from __future__ import annotations

from kpi_pipeline.catalog import METRICS, METRICS_BY_ID, PHASE_NAMES
from kpi_pipeline.delivery.report.model import (
    FunnelStage,
    ProgressItem,
    ReportData,
    known_phase,
    phase_key,
)

TREND_WEEKS = 12
ALWAYS_COUNTED = ("on_track", "at_risk", "off_track")
MAX_TREND_PANELS = 4
# The whitepaper's "metrics to watch" per phase (DESIGN.md §3), drawn in the phase trend.
WATCH_METRICS: dict[str, tuple[str, ...]] = {
    "acquisition": ("sessions", "page_views", "bounce_rate"),
    "activation": ("avg_engagement_time", "pages_per_session", "exit_rate", "event_count"),
    "retention": ("repeat_rate", "returning_users"),
    "referral": ("share_events", "campaign_session_share"),
    "revenue": ("key_page_views", "cvr"),
}
CATALOG_ORDER = {m.id: i for i, m in enumerate(METRICS)}


def metric_name(metric_id: str, lang: str) -> str:
    m = METRICS_BY_ID.get(metric_id)
    return m.name(lang) if m else metric_id


def phase_label(phase: str, lang: str) -> str:
    p = known_phase(phase)
    if p is None:
        return phase
    names = PHASE_NAMES[p]
    return f"{names['en']} {names['ja']}" if lang == "ja" else names["en"]


def item_chart_name(index: int, item: ProgressItem) -> str:
    return f"{item.kind}-{index + 1:02d}"


def funnel_chart_name(index: int) -> str:
    return f"funnel-{index + 1:02d}"


def phase_chart_name(phase: str) -> str:
    return f"phase-{phase}"


def trend_metrics(data: ReportData, phase: str) -> list[str]:
    """Metrics drawn in a phase's trend: those to watch, then the phase's KPI metrics."""
    present = {v.metric_id for v in data.trend if v.value is not None}
    wanted = list(WATCH_METRICS.get(phase, ()))
    wanted += [i.metric_id for i in data.kpis if i.phase == phase]
    wanted += [m.id for m in METRICS if m.phase.value == phase]
    return [m for m in dict.fromkeys(wanted) if m in present][:MAX_TREND_PANELS]


def ordered_items(data: ReportData) -> tuple[ProgressItem, ...]:
    """KGIs first, then KPIs in AARRR order (stable within a phase)."""
    kgis = list(data.kgis)
    kpis = sorted(data.kpis, key=lambda i: phase_key(i.phase))
    return tuple(kgis + kpis)


def funnel_groups(data: ReportData) -> list[tuple[str, list[FunnelStage]]]:
    """Stages per KGI, top of the funnel (leads) first; a KGI retired to 「終了した目標」 has
    no funnel left to work on."""
    retired = {i.item_id for i in data.ended if i.kind == "kgi"}
    groups: dict[str, list[FunnelStage]] = {}
    for stage in data.funnel:
        if stage.kgi_id not in retired:
            groups.setdefault(stage.kgi_id, []).append(stage)
    return [(k, sorted(v, key=lambda s: -s.stage_order)) for k, v in groups.items()]
