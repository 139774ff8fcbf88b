"""The KGI and KPI cards: figures, how the status was judged, status counts, the subject line."""

from __future__ import annotations

from kpi_pipeline.catalog import Unit
from kpi_pipeline.delivery.report.model import STATUSES, ProgressItem
from kpi_pipeline.delivery.report.view.caveats import status_caveat
from kpi_pipeline.delivery.report.view.context import ViewContext
from kpi_pipeline.delivery.report.view.display import ItemView, StatusCount
from kpi_pipeline.delivery.report.view.shared import (
    ALWAYS_COUNTED,
    item_chart_name,
    metric_name,
    phase_label,
)
from kpi_pipeline.delivery.wording.formatting import DASH, unit_of
from kpi_pipeline.delivery.wording.note_text import split_notes
from kpi_pipeline.targets.model import Chances


def item_view(ctx: ViewContext, index: int, item: ProgressItem) -> ItemView:
    f, m = ctx.f, item.metric_id
    forecast = DASH
    if item.forecast is not None:
        forecast = f.metric(m, item.forecast)
        if item.forecast_low is not None and item.forecast_high is not None:
            low, high = f.metric(m, item.forecast_low), f.metric(m, item.forecast_high)
            forecast += f.paren(f.span(low, high))
    bar = 0 if item.progress is None else max(0, min(100, round(item.progress * 100)))
    return ItemView(
        kind=item.kind,
        kind_label=ctx.t(f"kind_{item.kind}") if item.kind in ("kgi", "kpi") else item.kind,
        name=item.name,
        metric_name=metric_name(m, ctx.lang),
        phase_name=phase_label(item.phase, ctx.lang),
        status=item.status if item.status in STATUSES else "unknown",
        status_label=ctx.status_label(item.status),
        baseline=f.metric(m, item.baseline),
        target=f.metric(m, item.target),
        expected=f.metric(m, item.expected),
        actual=f.metric(m, item.actual),
        progress=ctx.progress(item.progress),
        progress_bar=bar,
        forecast=forecast,
        chance=ctx.chance(item),
        need=need_text(ctx, item),
        aside=status_aside(ctx, item),
        deadline=f.date(item.deadline),
        period=f.span(f.date(item.start_date), f.date(item.deadline)),
        cumulative=item.cumulative,
        chart=item_chart_name(index, item) if ctx.charts else "",
        note=" / ".join(split_notes(item.note, ctx.t, ctx.lang)[1]) or None,
        caveat=status_caveat(ctx, item),
        **judged(ctx, item),
    )


def judged(ctx: ViewContext, item: ProgressItem) -> dict[str, object]:
    """The ItemView fields that explain the status: plan, standing, judgement, remarks."""
    f, m, t = ctx.f, item.metric_id, ctx.t
    kind = item.goal_kind if item.goal_kind in ("at_most", "at_least", "maintain") else "reach"
    plan = t(f"plan_{kind}", baseline=f.metric(m, item.baseline), target=f.metric(m, item.target))
    if item.is_keep:
        weeks = weeks_held(ctx, item)
        standing = t("keep_progress", actual=f.metric(m, item.actual), held=weeks)
    else:
        standing = t("progress_vs_expected", progress=ctx.progress(item.progress),
                     expected=f.percent(item.expected_progress, 0))
    return {
        "plan": plan, "expected_progress": f.percent(item.expected_progress, 0),
        "standing": standing, "judgement": judgement_text(ctx, item),
        "remarks": split_notes(item.note, t, ctx.lang)[1],
    }


LIKELY = Chances().on_track  # the default 順調 line: from here a reader would expect 順調
# (the week's situation, the status it seems to call for): the sentence that reconciles them
_RECONCILE = {
    ("within_noise", "behind"): "why_noise_but",
    ("on_pace", "behind"): "why_on_pace_but",
    ("behind", "on_track"): "why_behind_but",
    ("held", "behind"): "why_held_but",
    ("breached", "any"): "why_breached_but",
}


def _reconciling(ctx: ViewContext, item: ProgressItem) -> str:
    """The sentence for a status the week's numbers alone would not suggest (ahead of the pace
    but unlikely to reach; behind it but likely; inside the noise but short), with the chance
    that decides; empty when the numbers and the status agree."""
    if item.p_reach is None or not item.is_running:
        return ""
    if item.judgement == "moved_away":  # never 順調, whatever the chance: say so when it is high
        likely = item.status == "at_risk" and item.p_reach >= LIKELY
        return ctx.t("why_moved_away_but", pct=ctx.chance_pct(item.p_reach)) if likely else ""
    seems = "on_track" if item.status == "on_track" else "behind"
    key = _RECONCILE.get((item.judgement or "", seems)) or _RECONCILE.get((item.judgement or "", "any"))
    if key == "why_on_pace_but" and _short_of_pace(item):
        key = "why_near_pace_but"  # inside the tolerance, but the card shows it behind 期待
    return ctx.t(key, pct=ctx.chance_pct(item.p_reach)) if key else ""


def _short_of_pace(item: ProgressItem) -> bool:
    """Progress below the expected progress (as the card prints both, to the percent)."""
    if item.progress is None or item.expected_progress is None:
        return False
    return round(item.progress * 100) < round(item.expected_progress * 100)


def judgement_text(ctx: ViewContext, item: ProgressItem) -> str:
    """Beside the status: why it is what it is (:func:`_reconciling`), else 誤差の範囲 /
    目標と逆方向 as the week stands. Every place that shows it shows the progress too (cards,
    table, chat, archive)."""
    reconciling = _reconciling(ctx, item)
    if reconciling or item.judgement not in ("within_noise", "moved_away"):
        return reconciling
    if item.judgement == "moved_away" and ctx.progress(item.progress) == ctx.t("progress_away"):
        return ""  # the progress shown beside it says 目標と逆方向 already: not twice on a line
    return ctx.t(f"judgement_{item.judgement}")


def status_aside(ctx: ViewContext, item: ProgressItem) -> str:
    """One aside for a status where space is short (chat, the archive): the reconciling
    sentence, which holds the chance, or the chance and the week's judgement words."""
    reconciling = _reconciling(ctx, item)
    if reconciling:
        return reconciling
    comma = "、" if ctx.lang == "ja" else ", "
    return comma.join(x for x in (ctx.chance(item), judgement_text(ctx, item)) if x)


def need_text(ctx: ViewContext, item: ProgressItem) -> str:
    """A running total's weekly need for the weeks left against its recent weekly rate."""
    if item.needed_per_week is None or item.recent_per_week is None or not item.is_running:
        return ""
    weeks = max(1, round((item.deadline - ctx.data.week_end).days / 7))
    unit = ctx.t("unit_count") if unit_of(item.metric_id) is Unit.COUNT else ""
    return ctx.t("need_rate", weeks=weeks, needed=ctx.f.metric(item.metric_id, item.needed_per_week),
                 recent=ctx.f.metric(item.metric_id, item.recent_per_week), unit=unit)


def weeks_held(ctx: ViewContext, item: ProgressItem) -> str:
    """``7/8週`` from the share held and the weeks judged (the share alone if unknown)."""
    if item.progress is None:
        return DASH
    if item.judged_weeks:
        return ctx.t("weeks_held", held=round(item.progress * item.judged_weeks), weeks=item.judged_weeks)
    return ctx.f.percent(item.progress, 0)


def ended_lines(ctx: ViewContext) -> tuple[str, ...]:
    """「終了した目標」: one line per goal retired from the full report."""
    return tuple(
        ctx.t("ended_line", name=i.name, status=ctx.status_label(i.status), date=ctx.f.date(i.deadline))
        for i in ctx.data.ended
    )


def status_counts(ctx: ViewContext) -> tuple[StatusCount, ...]:
    counts = ctx.data.status_counts()
    return tuple(
        StatusCount(s, ctx.status_label(s), n)
        for s, n in counts.items() if s in ALWAYS_COUNTED or n > 0
    )


def subject(ctx: ViewContext) -> str:
    parts = [
        ctx.t("subject_count", label=c.label, n=c.count)
        for c in status_counts(ctx) if c.status != "not_started"
    ]
    counts = " / ".join(parts)
    kgis = kgi_counts(ctx)
    if kgis:  # a missed KGI is the first thing the subject says
        counts = ctx.t("subject_with_kgis", kgis=kgis, kpis=counts)
    text = ctx.t("subject", week=ctx.data.iso_week, counts=counts)
    return text + ctx.t("subject_site", site=ctx.data.site_name)


def kgi_counts(ctx: ViewContext) -> str:
    """「未達1 / 順調1」: the KGIs shown in full per status (not started left out), "" without any."""
    found = [i.status for i in ctx.data.kgis if i.status != "not_started"]
    return " / ".join(ctx.t("subject_count", label=ctx.status_label(s), n=found.count(s))
                      for s in STATUSES if s in found)
