"""「今週は異常値の影響」: a status, the week's headline or a bottleneck that an unusual week drives.

An unusual week is a row of ``mart.metric_anomalies`` (a spike or a drop far from the metric's
recent weeks, or a count far outside its Poisson expectation). It drives:

* a running goal's status when the goal's metric, or a side of its ratio (the leads behind
  アポ率), is unusual this week: every running measure – the week, a small count's window, a
  keep goal's or a running total's period so far – includes this week;
* the headline change when its metric (or a side of it) is unusual this week or was last week:
  a change from a spike is as much the spike's as the change into it;
* a funnel's bottleneck when it moved since last week and one of the funnel's stages is
  unusual this week.

The caveat is said beside the figure; the figure itself stands (it is what happened).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from kpi_pipeline.catalog import ratio_sides
from kpi_pipeline.delivery.report.model import Anomaly, FunnelStage, PhaseMetric, ProgressItem

if TYPE_CHECKING:  # the context holds a Why, which asks touched() too
    from kpi_pipeline.delivery.report.view.context import ViewContext

def touched(metric_id: str, anomalies: Iterable[Anomaly]) -> bool:
    """Is ``metric_id`` or a side of its ratio among ``anomalies``?"""
    unusual = {a.metric_id for a in anomalies}
    return metric_id in unusual or bool(set(ratio_sides(metric_id) or ()) & unusual)


def status_caveat(ctx: ViewContext, item: ProgressItem) -> str:
    """「今週は異常値の影響」 for a running goal whose measure holds an unusual week, else ""."""
    if item.is_running and touched(item.metric_id, ctx.data.anomalies):
        return ctx.t("caveat_anomaly")
    return ""


def change_caveat(ctx: ViewContext, pm: PhaseMetric) -> str:
    """The caveat of the week's headline change: this week or last week was unusual."""
    if touched(pm.metric_id, ctx.data.anomalies):
        return ctx.t("caveat_anomaly")
    if touched(pm.metric_id, ctx.data.previous_anomalies):
        return ctx.t("caveat_anomaly_previous")
    return ""


def bottleneck_caveat(ctx: ViewContext, stages: list[FunnelStage]) -> str:
    """The caveat of a bottleneck that moved this week while a stage of the funnel was unusual."""
    stage = next((s for s in stages if s.is_bottleneck), None)
    moved = stage is not None and stage.was_bottleneck is False
    if moved and any(touched(s.stage, ctx.data.anomalies) for s in stages):
        return ctx.t("caveat_anomaly")
    return ""


def with_caveat(ctx: ViewContext, text: str, caveat: str) -> str:
    """``text（caveat）``, or ``text`` alone without a caveat."""
    return ctx.t("with_caveat", text=text, caveat=caveat) if caveat else text
