"""Numbers, dates and e-mail styles as the reader expects them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from fixtures.report.builder import sample_report_data

from kpi_pipeline.delivery import render_report
from kpi_pipeline.delivery.report.inline_css import inline_css
from kpi_pipeline.delivery.report.model import ReportData
from kpi_pipeline.delivery.wording.formatting import Formatter

ja, en = Formatter("ja"), Formatter("en")


@pytest.mark.parametrize(
    ("metric_id", "value", "ja_text", "en_text"),
    [
        ("sessions", 1234567, "1,234,567", "1,234,567"),
        ("bounce_rate", 0.4123, "41.2%", "41.2%"),
        ("cvr", 0.01814, "1.81%", "1.81%"),
        ("avg_engagement_time", 93.4, "93秒", "93 s"),
        ("avg_engagement_time", 8.25, "8.2秒", "8.2 s"),
        ("pages_per_session", 3.034, "3.03", "3.03"),
        ("revenue", 1240000, "1,240,000円", "¥1,240,000"),
        ("deals", 3.94, "3.9", "3.9"),
        ("sessions", None, "—", "—"),
    ],
)
def test_metric_values_are_shown_in_their_unit(
    metric_id: str, value: float | None, ja_text: str, en_text: str,
) -> None:
    assert ja.metric(metric_id, value) == ja_text
    assert en.metric(metric_id, value) == en_text


def test_changes_of_rates_are_points_and_of_counts_percent() -> None:
    assert ja.change("cvr", -0.0053) == "-0.53pt"
    assert en.change("cvr", 0.012) == "+1.2 pts"
    assert ja.change("sessions", 0.2337) == "+23.4%"


def test_dates_read_naturally_in_each_language() -> None:
    start, end = date(2027, 5, 3), date(2027, 5, 9)
    assert ja.period(start, end) == "2027年5月3日（月）〜5月9日（日）"
    assert en.period(start, end) == "Mon 3 May – Sun 9 May 2027"
    assert ja.period(date(2027, 12, 27), date(2028, 1, 2)) == "2027年12月27日（月）〜2028年1月2日（日）"
    assert ja.dates([date(2027, 5, 8), date(2027, 5, 9)]) == "5/8（土）、5/9（日）"


def test_css_is_moved_into_style_attributes_for_mail_clients() -> None:
    css = """/* c */ td { padding: 4px; } .num { text-align: right; } td.num { color: red; }
             @media (max-width: 1px) { td { padding: 0; } } .a .b { color: blue; }"""
    html = '<style>td{}</style><table><tr><td class="num" style="color: green">1</td><td>2</td>'
    html += '<div class="a"><p class="b">3</p></div>'
    out = inline_css(html, css)
    assert '<td class="num" style="padding: 4px;text-align: right;color: green">1</td>' in out
    assert '<td style="padding: 4px;">2</td>' in out
    assert '<p class="b" style="color: blue;">3</p>' in out  # descendant selectors too
    # only what no attribute can hold stays in a style block: the @media rule
    assert out.count("<style>") == 1 and "td { padding: 0; }" in out and "td{}" not in out


def test_a_site_with_no_targets_yet_still_gets_a_readable_report(tmp_path: Path) -> None:
    data = ReportData(site_id="new-site", week_start=date(2027, 5, 3), items=())
    report = render_report(data, tmp_path / "w", formats={"html", "pdf"})
    html = report.html.read_text(encoding="utf-8")
    assert "KGIが設定されていません。" in html and "この週に評価するKPIはありません。" in html
    assert report.pdf.read_bytes()[:5] == b"%PDF-"
    assert report.subject == "【KPIチェック】2027-W18 順調0 / 要注意0 / 未達0（new-site）"


def test_unknown_format_or_language_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="docx"):
        render_report(sample_report_data(), tmp_path, formats={"docx"})
    with pytest.raises(ValueError, match="fr"):
        render_report(sample_report_data(), tmp_path, formats={"html"}, lang="fr")
