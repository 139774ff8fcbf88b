"""The report's charts with matplotlib: SVG for the HTML and PDF, PNG for e-mail.

Three kinds: each KGI/KPI's actual against its target pace to the deadline (with the forecast
band), the weekly trend of each AARRR phase's metrics, and each KGI's reverse funnel (actual
against required per stage). Figures are built with the object API on the Agg canvas (no
pyplot, no global backend switch) and use the bundled IPAexGothic for Japanese text.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter as Formatter_
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from kpi_pipeline.calendar import monday, week_end
from kpi_pipeline.catalog import Unit
from kpi_pipeline.delivery.report.fonts import FONT_FAMILY, ipaex_font_path
from kpi_pipeline.delivery.report.model import (
    FunnelStage,
    MeasureEffect,
    PacePoint,
    ProgressItem,
    ReportData,
    WeeklyValue,
    phase_key,
)
from kpi_pipeline.delivery.report.view.shared import (
    funnel_chart_name,
    funnel_groups,
    item_chart_name,
    metric_name,
    ordered_items,
    phase_chart_name,
    phase_label,
    trend_metrics,
)
from kpi_pipeline.delivery.wording.formatting import Formatter, unit_of
from kpi_pipeline.delivery.wording.messages import translator

PNG_DPI = 110
STATUS_COLORS: dict[str, str] = {
    "on_track": "#2e7d32",
    "at_risk": "#b26a00",
    "off_track": "#c62828",
    "achieved": "#1565c0",
    "missed": "#6d4c41",
    "revised": "#5e35b1",
    "not_started": "#757575",
    "no_data": "#9e9e9e",
}
PACE_COLOR = "#8a8a8a"
BAR_COLOR = "#1565c0"
BOTTLENECK_COLOR = "#c62828"
_RC = {
    "font.family": FONT_FAMILY,
    "font.size": 7.5,
    "axes.titlesize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#999999",
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.6,
    "legend.fontsize": 6.5,
    "legend.frameon": False,
    "xtick.color": "#555555",
    "ytick.color": "#555555",
    # Text stays text: small SVG, fast in WeasyPrint (which has IPAexGothic via @font-face),
    # searchable in the PDF. Browsers fall back to their own Japanese font.
    "svg.fonttype": "none",
    "axes.unicode_minus": False,
}


@dataclass(frozen=True)
class Chart:
    """One rendered chart: inline SVG markup and PNG bytes (empty when not asked for)."""

    name: str
    alt: str
    svg: str
    png: bytes

    @property
    def svg_data_uri(self) -> str:
        """The SVG as a ``data:`` URI: WeasyPrint draws it without styling every node as HTML."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


@cache
def _register_font() -> None:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(ipaex_font_path()))


def _axis_formatter(metric_id: str, f: Formatter) -> Formatter_:
    unit = unit_of(metric_id)
    if unit is Unit.RATE:
        return PercentFormatter(xmax=1.0, decimals=None)

    def fmt(value: float, _pos: int) -> str:
        if unit in (Unit.PAGES, Unit.MULTIPLE, Unit.SCORE):
            return f"{value:.1f}"
        if unit is Unit.YEN and abs(value) >= 10_000:
            return f"{value / 10_000:,.0f}万円" if f.lang == "ja" else f"¥{value / 1000:,.0f}k"
        if unit is Unit.SECONDS:
            return f.seconds(value)
        return f"{value:,.0f}"

    return FuncFormatter(fmt)


def _svg(fig: Figure, name: str) -> str:
    with mpl.rc_context({"svg.hashsalt": name}):  # ids differ between charts of one page
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and DOCTYPE: inline in HTML
    svg = re.sub(r"<metadata>.*?</metadata>|<!--.*?-->", "", svg, flags=re.S)
    return re.sub(r'\s(width|height)="[\d.]+pt"', "", svg, count=2)  # CSS sizes it


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=PNG_DPI)
    return out.getvalue()


MEASURE_COLOR = "#7b5ea7"


def _mark_measures(ax: Axes, marks: Sequence[tuple[float, str]]) -> None:
    """A dotted line and the measure's name at each measure's start (施策ログ annotations)."""
    for x, name in marks:
        ax.axvline(x, color=MEASURE_COLOR, linewidth=0.9, linestyle=":")
        ax.annotate(name, xy=(x, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -2),
                    textcoords="offset points", va="top", fontsize=6, color=MEASURE_COLOR)


def measures_of(data: ReportData, *, kpi_id: str | None = None, metric_id: str | None = None) -> list[MeasureEffect]:
    """The week's measures for one KPI (pace chart) or one metric (trend panel), once each."""
    found = {e.measure_id: e for e in data.measures
             if (kpi_id is None or e.kpi_id == kpi_id) and (metric_id is None or e.metric_id == metric_id)}
    return list(found.values())


def pace_figure(
    item: ProgressItem, week_start: date, lang: str, measures: Sequence[MeasureEffect] = (),
) -> Figure:
    """Actual against the target pace from start to deadline, forecast band at the deadline;
    ``measures`` are marked where they started."""
    t, f = translator(lang), Formatter(lang)
    start, deadline = item.start_date, item.deadline
    span = max((deadline - start).days, 1)

    def x(d: date) -> float:
        return float((d - start).days)

    history = sorted(item.history, key=lambda p: p.week_start)
    if not any(p.week_start == week_start for p in history):
        history.append(PacePoint(week_start, item.expected, item.actual))
    origin = 0.0 if item.cumulative else item.baseline
    pace = [(0.0, origin)] if origin is not None else []
    pace += [(x(week_end(p.week_start)), p.expected) for p in history if p.expected is not None]
    if item.target is not None:  # no target yet (no baseline): no line to the deadline
        pace.append((x(deadline), item.target))
    actual = [(x(week_end(p.week_start)), p.actual) for p in history if p.actual is not None]

    fig = Figure(figsize=(4.4, 2.1), dpi=100)
    fig.subplots_adjust(left=0.15, right=0.97, top=0.95, bottom=0.14)
    ax = fig.add_subplot()
    color = STATUS_COLORS.get(item.status, BAR_COLOR)
    if pace:
        ax.plot(*zip(*pace, strict=True), linestyle="--", color=PACE_COLOR, linewidth=1.2,
                label=t("pace_line"))
    if item.target is not None:
        ax.plot([x(deadline)], [item.target], marker="*", markersize=9, color=PACE_COLOR,
                linestyle="none", label=t("col_target"))
    if actual:
        ax.plot(*zip(*actual, strict=True), color=color, linewidth=1.8, label=t("col_actual"))
        ax.plot(*actual[-1], marker="o", markersize=3.5, color=color)
        last_x, last_y = actual[-1]
        if item.forecast_low is not None and item.forecast_high is not None:
            ax.fill([last_x, x(deadline), x(deadline)],
                    [last_y, item.forecast_high, item.forecast_low],
                    color=color, alpha=0.15, linewidth=0, label=t("forecast_band"))
        if item.forecast is not None:
            ax.plot([last_x, x(deadline)], [last_y, item.forecast], color=color, linestyle=":",
                    linewidth=1.0)
    now = x(week_end(week_start))
    ax.axvline(now, color="#bbbbbb", linewidth=0.8)
    _mark_measures(ax, [(x(m.measure_start), m.measure_name) for m in measures
                        if start <= m.measure_start <= max(deadline, week_end(week_start))])
    right = max(float(span), now)  # a KPI past its deadline still shows this week
    ticks = [0.0, span / 2, float(span)]
    ax.set_xticks(ticks, [f.short_date(start + timedelta(days=round(v))) for v in ticks])
    ax.set_xlim(-right * 0.02, right * 1.04)
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.yaxis.set_major_formatter(_axis_formatter(item.metric_id, f))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", ncols=2)
    return fig


def phase_figure(
    trend: list[WeeklyValue], metrics: list[str], lang: str,
    measures: Sequence[MeasureEffect] = (),
) -> Figure:
    """One small panel per metric to watch in the phase, over the last weeks; ``measures`` are
    marked at the week they started, on the panels of their KPIs' metrics."""
    f = Formatter(lang)
    weeks = sorted({v.week_start for v in trend})
    index = {w: i for i, w in enumerate(weeks)}
    fig = Figure(figsize=(7.2, 1.55), dpi=100)
    fig.subplots_adjust(left=0.07, right=0.99, top=0.84, bottom=0.17, wspace=0.35)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, metric_id in zip(axes, metrics, strict=True):
        points = sorted(
            (index[v.week_start], v.value) for v in trend
            if v.metric_id == metric_id and v.value is not None
        )
        ax.set_title(metric_name(metric_id, lang), loc="left")
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, color=BAR_COLOR, linewidth=1.4)
            ax.plot([xs[-1]], [ys[-1]], marker="o", markersize=3.5, color=BAR_COLOR)
        _mark_measures(ax, [(index[monday(m.measure_start)], m.measure_name) for m in measures
                            if m.metric_id == metric_id and monday(m.measure_start) in index])
        ax.set_xticks([0, len(weeks) - 1], [f.short_date(weeks[0]), f.short_date(weeks[-1])])
        ax.set_xlim(-0.3, max(len(weeks) - 1, 1) + 0.3)
        ax.yaxis.set_major_locator(MaxNLocator(3))
        ax.yaxis.set_major_formatter(_axis_formatter(metric_id, f))
    return fig


def funnel_figure(stages: list[FunnelStage], lang: str) -> Figure:
    """Attainment of the required pace per stage (actual / required so far), top stage first."""
    t, f = translator(lang), Formatter(lang)
    n = len(stages)
    fig = Figure(figsize=(6.4, 0.42 * n + 0.6), dpi=100)
    fig.subplots_adjust(left=0.2, right=0.97, top=1 - 0.25 / (0.42 * n + 0.6),
                        bottom=0.45 / (0.42 * n + 0.6))
    ax = fig.add_subplot()
    ys = list(range(n))[::-1]
    values = [
        (s.actual_to_date / s.required_to_date) if s.required_to_date else 0.0 for s in stages
    ]
    colors = [BOTTLENECK_COLOR if s.is_bottleneck else BAR_COLOR for s in stages]
    ax.barh(ys, [min(v, 1.6) for v in values], color=colors, height=0.55)
    ax.axvline(1.0, color="#333333", linewidth=1.0, linestyle="--")
    for y, s, v in zip(ys, stages, values, strict=True):
        label = f"{f.count(s.actual_to_date)} / {f.count(s.required_to_date)}"
        if s.is_bottleneck:
            label += f"  {t('bottleneck')}"
        ax.text(max(min(v, 1.6), 1.0) + 0.03, y, label, va="center", fontsize=7,
                color=BOTTLENECK_COLOR if s.is_bottleneck else "#333333")
    ax.set_yticks(ys, [metric_name(s.stage, lang) for s in stages])
    ax.set_xlim(0, 2.1)
    ax.set_xticks([0, 0.5, 1.0, 1.5])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v * 100:.0f}%"))
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"{t('col_actual_to_date')} / {t('col_required_to_date')}", fontsize=7)
    return fig


def chart_jobs(data: ReportData, lang: str) -> list[tuple[str, str, Callable[[], Figure]]]:
    """(name, alt text, figure factory) for every chart of the report, in report order."""
    t = translator(lang)
    jobs: list[tuple[str, str, Callable[[], Figure]]] = []
    for index, item in enumerate(ordered_items(data)):
        jobs.append((item_chart_name(index, item), f"{item.name} — {t('pace_charts')}",
                     lambda item=item: pace_figure(item, data.week_start, lang,
                                                   measures_of(data, kpi_id=item.item_id))))
    weeks = len({v.week_start for v in data.trend})
    for phase in sorted({pm.phase for pm in data.phase_metrics}, key=phase_key):
        metrics = trend_metrics(data, phase)
        if metrics:
            alt = f"{phase_label(phase, lang)} — {t('trend_caption', n=weeks)}"
            jobs.append((phase_chart_name(phase), alt,
                         lambda metrics=metrics: phase_figure(list(data.trend), metrics, lang,
                                                              list(data.measures))))
    kgi_names = {i.item_id: i.name for i in data.kgis}
    for index, (kgi_id, stages) in enumerate(funnel_groups(data)):
        jobs.append((funnel_chart_name(index), f"{kgi_names.get(kgi_id, kgi_id)} — {t('funnel')}",
                     lambda stages=stages: funnel_figure(stages, lang)))
    return jobs


@dataclass(frozen=True)
class DrawnChart:
    """A chart's figure, drawn once and saved as SVG and as PNG at different moments (the PDF,
    which needs the SVGs, is rendered while the PNGs are saved)."""

    name: str
    alt: str
    figure: Figure


def draw_charts(data: ReportData, lang: str = "ja") -> list[DrawnChart]:
    """Every chart of the report as a figure, in report order."""
    _register_font()
    with mpl.rc_context(_RC):
        return [DrawnChart(name, alt, make()) for name, alt, make in chart_jobs(data, lang)]


def save_charts(drawn: Sequence[DrawnChart], *, svg: bool = True, png: bool = True) -> list[Chart]:
    """The figures as SVG and/or PNG (the other field left empty)."""
    with mpl.rc_context(_RC):
        return [Chart(name=d.name, alt=d.alt, svg=_svg(d.figure, d.name) if svg else "",
                      png=_png(d.figure) if png else b"") for d in drawn]


def render_charts(
    data: ReportData, lang: str = "ja", *, svg: bool = True, png: bool = True
) -> list[Chart]:
    """Every chart of the report as SVG and/or PNG (the other field left empty)."""
    return save_charts(draw_charts(data, lang), svg=svg, png=png)

