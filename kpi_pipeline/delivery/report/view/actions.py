"""What needs action (phases with KPIs behind, their drivers and measures) and the data notes."""

from __future__ import annotations

from kpi_pipeline.delivery.report.model import PhaseMetric, ProgressItem, known_phase, phase_key
from kpi_pipeline.delivery.report.view.changes import week_change, worsened_metrics
from kpi_pipeline.delivery.report.view.context import ViewContext
from kpi_pipeline.delivery.report.view.display import ActionView
from kpi_pipeline.delivery.report.view.gap_notes import changed_day_notes, goal_gap_notes
from kpi_pipeline.delivery.report.view.shared import metric_name, phase_label
from kpi_pipeline.delivery.wording.note_text import split_notes


def action_views(ctx: ViewContext, items: tuple[ProgressItem, ...]) -> tuple[ActionView, ...]:
    behind: dict[str, list[ProgressItem]] = {}
    for i in items:
        if i.kind == "kpi" and i.is_behind:
            behind.setdefault(i.phase, []).append(i)
    by_id = {pm.metric_id: pm for pm in ctx.data.phase_metrics}
    out = []
    for phase in sorted(behind, key=phase_key):
        kpis = tuple(pace_sentence(ctx, i) for i in behind[phase])
        drivers: list[PhaseMetric] = []
        for i in behind[phase]:  # the KPIs' own metrics first, then what got worse
            pm = by_id.get(i.metric_id)
            if pm is not None and pm not in drivers:
                drivers.append(pm)
        for pm in worsened_metrics(ctx.data, phase):
            if pm not in drivers:
                drivers.append(pm)
        measures = ctx.why.phase_measures(known_phase(phase), behind[phase])
        out.append(ActionView(
            phase=phase,
            label=phase_label(phase, ctx.lang),
            kpis=kpis,
            drivers=tuple(driver_sentence(ctx, pm) for pm in drivers[:5]),
            measures=measures,
        ))
    return tuple(out)


def pace_sentence(ctx: ViewContext, i: ProgressItem) -> str:
    return ctx.t(
        "pace_sentence", name=i.name,
        actual=ctx.f.metric(i.metric_id, i.actual),
        expected=ctx.f.metric(i.metric_id, i.expected),
        pace=ctx.f.percent(i.pace_ratio, 0),
    ) + f" — {ctx.status_label(i.status)}"


def driver_sentence(ctx: ViewContext, pm: PhaseMetric) -> str:
    return ctx.t(
        "driver_sentence", metric=metric_name(pm.metric_id, ctx.lang),
        value=ctx.f.metric(pm.metric_id, pm.value),
        change=ctx.f.change(pm.metric_id, week_change(pm)),
    )


def attention(ctx: ViewContext, actions: tuple[ActionView, ...]) -> tuple[str, ...]:
    return tuple(a.label + ctx.f.paren(str(len(a.kpis))) for a in actions)


def data_notes(ctx: ViewContext, items: tuple[ProgressItem, ...]) -> tuple[str, ...]:
    d, f, out = ctx.data, ctx.f, []
    if d.provisional_dates:
        out.append(ctx.t("note_provisional", dates=f.dates(d.provisional_dates)))
    elif d.provisional_days > 0:
        out.append(ctx.t("note_provisional_days", n=d.provisional_days))
    if d.missing_days > 0:
        out.append(ctx.t("note_missing_days", n=d.missing_days))
    for load in d.loads:
        values = {
            "source": load.source.upper() if load.source == "ga4" else load.source,
            "asset": load.asset,
            "date_from": f.short_date(load.date_from),
            "date_to": f.short_date(load.date_to),
        }
        if load.sampled:
            out.append(ctx.t("note_sampled", **values))
        if load.thresholded:
            out.append(ctx.t("note_thresholded", **values))
        if load.data_loss_from_other_row:
            out.append(ctx.t("note_other_row", **values))
    for i in items:  # data notes only; notes on the judgement stay beside the goal
        for text in split_notes(i.note, ctx.t, ctx.lang)[0]:
            out.append(ctx.t("note_item", name=i.name, note=text))
    out += changed_day_notes(ctx) + goal_gap_notes(ctx)
    return tuple(dict.fromkeys(out))  # drop repeats, keep order
