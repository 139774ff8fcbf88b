"""Charts: actual against target pace per KPI, weekly trend per AARRR phase, reverse funnel."""

from __future__ import annotations

import struct
import warnings
from dataclasses import replace
from functools import cache

from fixtures.report.builder import sample_report_data

from kpi_pipeline.delivery.report.charts import Chart, render_charts


@cache
def sample_charts(lang: str = "ja") -> dict[str, Chart]:
    """The sample week's charts, rendered once per language."""
    return {c.name: c for c in render_charts(sample_report_data(), lang)}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_every_kgi_kpi_phase_and_funnel_gets_a_chart_in_report_order() -> None:
    assert list(sample_charts()) == [
        "kgi-01", "kpi-02", "kpi-03", "kpi-04", "kpi-05", "kpi-06", "kpi-07",
        "phase-acquisition", "phase-activation", "phase-retention", "phase-referral",
        "phase-revenue", "funnel-01",
    ]


def test_charts_are_inline_svg_for_html_and_small_png_for_email() -> None:
    for chart in sample_charts().values():
        assert chart.svg.startswith("<svg") and chart.svg.rstrip().endswith("</svg>")
        assert "<?xml" not in chart.svg and "<!--" not in chart.svg
        width, height = png_size(chart.png)
        assert 300 <= width <= 900 and 100 <= height <= 400
        assert chart.svg_data_uri.startswith("data:image/svg+xml;base64,")


def test_japanese_chart_text_renders_with_the_bundled_font_not_tofu() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        render_charts(sample_report_data(), "ja")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    funnel = sample_charts()["funnel-01"]
    assert "IPAexGothic" in funnel.svg and "商談数" in funnel.svg and "ボトルネック" in funnel.svg


def test_chart_labels_follow_the_report_language() -> None:
    charts = sample_charts("en")
    assert "Target pace" in charts["kpi-02"].svg and "目標ペース" not in charts["kpi-02"].svg
    assert "Deals" in charts["funnel-01"].svg and "Bottleneck" in charts["funnel-01"].svg


def test_phase_trend_draws_the_metrics_the_whitepaper_says_to_watch() -> None:
    acquisition = sample_charts()["phase-acquisition"].svg
    for name in ("セッション数", "PV数", "直帰率"):
        assert name in acquisition


def test_a_week_without_funnel_or_trend_still_charts_each_kpi() -> None:
    data = sample_report_data(funnel=(), trend=())
    names = [c.name for c in render_charts(data, "ja", png=False)]
    assert names == ["kgi-01", "kpi-02", "kpi-03", "kpi-04", "kpi-05", "kpi-06", "kpi-07"]


def test_a_kpi_without_history_or_forecast_is_still_drawn() -> None:
    data = sample_report_data()
    bare = tuple(replace(i, history=(), forecast=None, forecast_low=None, forecast_high=None,
                         actual=None, expected=None) for i in data.items)
    charts = render_charts(replace(data, items=bare, trend=(), funnel=()), "ja")
    assert len(charts) == len(bare) and all(c.png for c in charts)


def test_a_kpi_without_a_target_yet_is_drawn_without_pace_to_the_deadline() -> None:
    data = sample_report_data()
    no_target = tuple(replace(i, target=None) for i in data.kpis)
    charts = render_charts(replace(data, items=no_target, trend=(), funnel=()), "ja")
    assert len(charts) == len(no_target) and all(c.png for c in charts)
    assert all("目標ペース" in c.svg for c in charts)  # the pace so far is still drawn
