"""The archive's long view: a goal's metric over the last 52 weeks, with last year's line.

The weekly report shows 12 weeks (enough to see this month's moves); the archive shows a year,
so seasonality and the year-on-year gap are visible. Same look as the report's charts
(:mod:`kpi_pipeline.delivery.report.charts`): object API, bundled Japanese font, SVG with text kept.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import duckdb
import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from kpi_pipeline.delivery.report.charts import (
    _RC,
    BAR_COLOR,
    PACE_COLOR,
    _axis_formatter,
    _register_font,
    _svg,
)
from kpi_pipeline.delivery.wording.formatting import Formatter

ARCHIVE_WEEKS = 52
_WEEKLY_SQL = """
SELECT week_start, value
FROM mart.metrics_weekly
WHERE site_id = ? AND metric_id = ? AND week_start BETWEEN ? AND ? AND value IS NOT NULL
ORDER BY week_start
"""
LABELS = {"ja": ("直近52週", "前年同週"), "en": ("Last 52 weeks", "Same weeks last year")}


_SITE_WEEKLY_SQL = """
SELECT metric_id, week_start, value
FROM mart.metrics_weekly
WHERE site_id = ? AND week_start <= ? AND value IS NOT NULL
ORDER BY metric_id, week_start
"""
# (metric id, last week) -> that metric's weekly values over the 104 weeks up to the week
WeeklyValues = Callable[[str, date], dict[date, float]]


def _first_week(last_week: date) -> date:
    return last_week - timedelta(weeks=2 * ARCHIVE_WEEKS - 1)


def weekly_values(con: duckdb.DuckDBPyConnection, site_id: str, metric_id: str,
                  last_week: date) -> dict[date, float]:
    """``metric_id``'s weekly values over the 104 weeks up to ``last_week`` (a Monday)."""
    rows = con.execute(_WEEKLY_SQL, [site_id, metric_id, _first_week(last_week), last_week]).fetchall()
    return {row[0]: float(row[1]) for row in rows}


def site_weekly_values(con: duckdb.DuckDBPyConnection, site_id: str,
                       up_to: date) -> dict[str, dict[date, float]]:
    """Every metric's weekly values of the site up to ``up_to``, read in one query: what a
    report worker draws the site's archive charts from, without a warehouse connection."""
    values: dict[str, dict[date, float]] = {}
    for metric_id, week, value in con.execute(_SITE_WEEKLY_SQL, [site_id, up_to]).fetchall():
        values.setdefault(metric_id, {})[week] = float(value)
    return values


def values_from(site_values: dict[str, dict[date, float]], up_to: date) -> WeeklyValues:
    """:func:`weekly_values` answered from :func:`site_weekly_values`' rows (``up_to`` the week
    they were read up to: a later week is not in them)."""
    def values(metric_id: str, last_week: date) -> dict[date, float]:
        if last_week > up_to:
            raise ValueError(f"weekly values were read up to {up_to}, not {last_week}")
        first = _first_week(last_week)
        return {week: value for week, value in site_values.get(metric_id, {}).items()
                if first <= week <= last_week}
    return values


def year_figure(values: dict[date, float], metric_id: str, last_week: date, lang: str) -> Figure:
    """This year's 52 weeks as a line, last year's same weeks as a dashed grey line."""
    f = Formatter(lang)
    now_label, last_label = LABELS.get(lang, LABELS["en"])
    weeks = [last_week - timedelta(weeks=ARCHIVE_WEEKS - 1 - i) for i in range(ARCHIVE_WEEKS)]

    def series(shift: int) -> list[tuple[int, float]]:
        return [(i, values[w - timedelta(weeks=shift)]) for i, w in enumerate(weeks)
                if w - timedelta(weeks=shift) in values]

    fig = Figure(figsize=(6.4, 2.0), dpi=100)
    fig.subplots_adjust(left=0.11, right=0.98, top=0.9, bottom=0.14)
    ax = fig.add_subplot()
    last_year, this_year = series(ARCHIVE_WEEKS), series(0)
    if last_year:
        ax.plot(*zip(*last_year, strict=True), color=PACE_COLOR, linestyle="--", linewidth=1.0,
                label=last_label)
    if this_year:
        ax.plot(*zip(*this_year, strict=True), color=BAR_COLOR, linewidth=1.6, label=now_label)
        ax.plot(*this_year[-1], marker="o", markersize=3.5, color=BAR_COLOR)
    ticks = [0, ARCHIVE_WEEKS // 4, ARCHIVE_WEEKS // 2, 3 * ARCHIVE_WEEKS // 4, ARCHIVE_WEEKS - 1]
    ax.set_xticks(ticks, [f.short_date(weeks[i]) for i in ticks])
    ax.set_xlim(-0.5, ARCHIVE_WEEKS - 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.yaxis.set_major_formatter(_axis_formatter(metric_id, f))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", ncols=2, fontsize=8)
    return fig


def year_chart_svg(values: dict[date, float], metric_id: str, last_week: date, lang: str,
                   name: str) -> str:
    """:func:`year_figure` as a standalone SVG document (the archive links it as an image)."""
    _register_font()
    with mpl.rc_context(_RC):
        svg = _svg(year_figure(values, metric_id, last_week, lang), name)
    # a standalone file (an <img>) needs its namespace and an intrinsic size
    return svg.replace("<svg ", '<svg width="640" height="200" ', 1)
