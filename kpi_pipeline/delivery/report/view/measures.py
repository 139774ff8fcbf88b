"""The measures log (施策ログ) in the report's Act section: what runs, what ended, and whether
it moved its KPIs beyond what their trend predicted (「効果あり／トレンドどおり／誤差の範囲」, never
more than the data says)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date

from kpi_pipeline.catalog import METRICS_BY_ID, Aggregation, Unit
from kpi_pipeline.delivery.report.model import MeasureEffect, ReportData
from kpi_pipeline.delivery.wording.formatting import Formatter, unit_of
from kpi_pipeline.delivery.wording.messages import translator


def _relative(effect: MeasureEffect, amount: float | None, base: float | None = None) -> float | None:
    """A change as the report shows it: points for rates, a share of ``base`` (the before
    value unless given) otherwise."""
    base = effect.before_value if base is None else base
    if amount is None or base is None:
        return None
    if unit_of(effect.metric_id) is Unit.RATE:
        return amount
    return amount / base if base else None


def _is_level(metric_id: str) -> bool:
    known = METRICS_BY_ID.get(metric_id)
    return known is not None and known.aggregation in (Aggregation.LAST, Aggregation.MEAN)


def _signed(f: Formatter, metric_id: str, value: float) -> str:
    """A level's weekly change with its sign: ``+111`` / ``-8.5``."""
    return ("+" if value >= 0 else "-") + f.metric(metric_id, abs(value))


def _trend_text(effect: MeasureEffect, f: Formatter, t: Callable[..., str]) -> str:
    """「。開始前のトレンドでは 1.43%、差 +0.02pt、予測の幅 ±0.08pt」, or nothing without a trend."""
    if effect.expected_value is None or effect.effect is None or effect.effect_limit is None:
        return ""
    control = t("measure_control", site=effect.control_site) if effect.control_site else ""
    if _is_level(effect.metric_id):
        signed = lambda v: _signed(f, effect.metric_id, v)  # noqa: E731
        return t("measure_trend_level", expected=signed(effect.expected_value),
                 effect=signed(effect.effect), limit=f.metric(effect.metric_id, effect.effect_limit),
                 control=control)
    limit = _relative(effect, effect.effect_limit, effect.expected_value)
    return t("measure_trend_part", expected=f.metric(effect.metric_id, effect.expected_value),
             effect=f.change(effect.metric_id, _relative(effect, effect.effect, effect.expected_value)),
             limit=f.change(effect.metric_id, limit).lstrip("+") if limit is not None else "—",
             control=control)


def effect_text(effect: MeasureEffect, kpi_name: str, lang: str) -> str:
    """「CV率: 1.20% → 1.45%（+0.25pt。開始前のトレンドでは 1.43%、差 +0.02pt、予測の幅 ±0.08pt）
    トレンドどおり（施策の効果は確認できず）」; without a trend, the noise beside the change."""
    t, f = translator(lang), Formatter(lang)
    verdict = t(f"measure_{effect.verdict}")
    if effect.before_value is None or effect.after_value is None:
        return t("measure_effect_pending", kpi=kpi_name, verdict=verdict)
    trend = _trend_text(effect, f, t)
    if _is_level(effect.metric_id):
        # a level (followers): the values are its average weekly change
        signed = lambda v: _signed(f, effect.metric_id, v)  # noqa: E731
        noise = f.metric(effect.metric_id, effect.noise) if effect.noise is not None else "—"
        return t("measure_effect_level_trend" if trend else "measure_effect_level", kpi=kpi_name,
                 before=signed(effect.before_value), after=signed(effect.after_value),
                 change=signed(effect.change or 0.0), noise=noise, trend=trend, verdict=verdict)
    change = f.change(effect.metric_id, _relative(effect, effect.change))
    if trend:
        return t("measure_effect_trend", kpi=kpi_name, before=f.metric(effect.metric_id, effect.before_value),
                 after=f.metric(effect.metric_id, effect.after_value), change=change, trend=trend,
                 verdict=verdict)
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
