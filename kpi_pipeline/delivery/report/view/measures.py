"""The measures log (施策ログ) in the report's Act section: what runs, what ended, and whether
it moved its KPIs beyond their normal noise (「効果あり／誤差の範囲」, never more than the data says)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from kpi_pipeline.catalog import METRICS_BY_ID, Aggregation, Unit
from kpi_pipeline.delivery.report.model import MeasureEffect, ReportData
from kpi_pipeline.delivery.wording.formatting import Formatter, unit_of
from kpi_pipeline.delivery.wording.messages import translator


def _relative(effect: MeasureEffect, amount: float | None) -> float | None:
    """A change as the report shows it: points for rates, a share of the before value otherwise."""
    if amount is None or effect.before_value is None:
        return None
    if unit_of(effect.metric_id) is Unit.RATE:
        return amount
    return amount / effect.before_value if effect.before_value else None


def effect_text(effect: MeasureEffect, kpi_name: str, lang: str) -> str:
    """「CV率: 1.20% → 1.45%（+0.25pt、ふだんの振れ幅 ±0.10pt）効果あり」."""
    t, f = translator(lang), Formatter(lang)
    verdict = t(f"measure_{effect.verdict}")
    if effect.before_value is None or effect.after_value is None:
        return t("measure_effect_pending", kpi=kpi_name, verdict=verdict)
    known = METRICS_BY_ID.get(effect.metric_id)
    if known is not None and known.aggregation in (Aggregation.LAST, Aggregation.MEAN):
        # a level (followers): the values are its average weekly change
        signed = lambda v: ("+" if v >= 0 else "-") + f.metric(effect.metric_id, abs(v))  # noqa: E731
        noise = f.metric(effect.metric_id, effect.noise) if effect.noise is not None else "—"
        return t("measure_effect_level", kpi=kpi_name, before=signed(effect.before_value),
                 after=signed(effect.after_value), change=signed(effect.change or 0.0),
                 noise=noise, verdict=verdict)
    change = f.change(effect.metric_id, _relative(effect, effect.change))
    noise = _relative(effect, effect.noise)
    spread = f.change(effect.metric_id, noise).lstrip("+") if noise is not None else "—"
    return t("measure_effect", kpi=kpi_name, before=f.metric(effect.metric_id, effect.before_value),
             after=f.metric(effect.metric_id, effect.after_value), change=change, noise=spread,
             verdict=verdict)


def _line(effects: Sequence[MeasureEffect], names: dict[str, str], lang: str) -> str:
    t, f = translator(lang), Formatter(lang)
    head = effects[0]
    until = f.short_date(head.measure_end) if head.measure_end else ""
    period = t("measure_period", start=f.short_date(head.measure_start), end=until)
    parts = [effect_text(e, names.get(e.kpi_id, e.kpi_id), lang) for e in effects]
    return t("measure_line", name=head.measure_name, period=period, effects=t("sep_list").join(parts))


def measure_lines(
    data: ReportData, lang: str, skip: Collection[str] = (),
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(running, ended): one line per measure of the week, in start order (``skip``: measure
    ids the Do check reports instead)."""
    names = {i.item_id: i.name for i in data.items}
    grouped: dict[str, list[MeasureEffect]] = {}
    for effect in data.measures:
        if effect.measure_id not in skip:
            grouped.setdefault(effect.measure_id, []).append(effect)
    running, ended = [], []
    for effects in grouped.values():
        end: date | None = effects[0].measure_end
        (ended if end is not None and end < data.week_start else running).append(_line(effects, names, lang))
    return tuple(running), tuple(ended)
