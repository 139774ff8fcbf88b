"""The weekly check report as HTML: what a marketer reads, in Japanese and English."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fixtures.report.builder import rendered_sample, sample_report_data, with_kpi_name

from kpi_pipeline.delivery import render_report
from kpi_pipeline.delivery.report.model import ReportData
from kpi_pipeline.delivery.report.view.build import DEFAULT_TIMEZONE as TIMEZONE


def html_of(data: ReportData, tmp_path: Path, lang: str = "ja") -> str:
    report = render_report(data, tmp_path / lang, formats={"html"}, lang=lang, charts=False)
    assert report.html is not None
    return report.html.read_text(encoding="utf-8")


def text_of(html: str) -> str:
    """Visible text, tags removed, so assertions read like what the user sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def ja(tmp_path_factory: pytest.TempPathFactory) -> str:
    return html_of(sample_report_data(), tmp_path_factory.mktemp("ja"))


@pytest.fixture(scope="module")
def en(tmp_path_factory: pytest.TempPathFactory) -> str:
    return html_of(sample_report_data(), tmp_path_factory.mktemp("en"), lang="en")


def test_japanese_report_shows_kpi_names_and_the_figures_fed_to_it(ja: str) -> None:
    text = text_of(ja)
    for name in ("年間受注・リピート100件", "2ヶ月でセッション数を1.25倍に", "3か月でCVRを1.2倍に"):
        assert name in text
    # sessions KPI: baseline, target, expected, actual, progress
    assert "12,000 15,000 13,250 13,620 54%" in text
    # CVR KPI as percentages; forecast with its band, and the chance of reaching it as a number
    assert "2.00% 2.40% 2.13% 1.81%" in text
    assert "1.85%（1.70%〜2.00%） 達成確率 2%" in text
    # the KGI: behind the pace and a 31 % chance (要注意), and the running total's weekly need
    assert "達成確率 31%" in text
    assert "残り47週で週2件必要（直近8週は週1.6件）" in text
    assert "2027-W18 2027年5月3日（月）〜5月9日（日）" in text
    assert "サイト: example.co.jp" in text


def test_status_is_a_text_label_beside_its_colour_never_colour_alone(ja: str) -> None:
    for status, label in (("on_track", "順調"), ("at_risk", "要注意"), ("off_track", "未達"),
                          ("achieved", "達成"), ("not_started", "開始前")):
        assert f'<span class="badge s-{status}">{label}</span>' in ja


def test_a_kpi_past_its_deadline_without_reaching_it_reads_missed(tmp_path: Path) -> None:
    data = sample_report_data()
    items = tuple(replace(i, status="missed") if i.item_id == "cvr_x12" else i for i in data.items)
    html = html_of(replace(data, items=items), tmp_path)
    assert '<span class="badge s-missed">未達成(期限切れ)</span>' in html


def test_summary_comes_first_then_kpis_phases_funnel_actions_and_notes(ja: str) -> None:
    headings = ["サマリー", "KGI・KPI一覧", "AARRRフェーズ別の指標", "逆算ファネル</h2>",
                "改善のヒント（Action）", "データに関する注意"]
    positions = [ja.index(h) for h in headings]
    assert positions == sorted(positions)


def test_summary_gives_kgi_progress_kpi_counts_biggest_change_and_anomalies(ja: str) -> None:
    summary = text_of(ja[ja.index("サマリー"):ja.index("KGI・KPI一覧")])
    assert "年間受注・リピート100件 要注意" in summary
    assert "進捗 8%" in summary and "実績 8 / 目標 100（累計）" in summary
    assert "順調 2件 要注意 1件 未達 1件 達成 1件 開始前 1件" in summary
    # 売上 +26.5 % stands on two orders (below the volume floor): the headline is sessions
    assert "セッション数が前週比+23.4%で改善（11,040 → 13,620）" in summary
    assert "売上が前週比" not in summary
    assert "CV率：1.81%（直近の中央値 2.31%、急減）" in summary
    assert "Revenue 収益化（1）" in summary
    assert "残り47週で商談+185件が必要（週3.9件）" in summary


def test_rates_change_in_points_and_counts_in_percent_against_last_week_and_last_year(
    ja: str,
) -> None:
    text = text_of(ja)
    assert "セッション数 13,620 11,040 +23.4% 10,210 +33.4%" in text
    assert "直帰率 41.2% 39.8% +1.4pt 45.5% -4.3pt" in text
    assert "平均滞在時間 93秒 91秒 +2.6% 80秒 +16.5%" in text


def test_a_worse_rate_is_marked_bad_even_when_it_went_up(ja: str) -> None:
    # bounce rate: lower is better, so +1.4pt is bad
    assert '<td class="num bad">+1.4pt</td>' in ja
    assert '<td class="num good">+23.4%</td>' in ja


def test_reverse_funnel_shows_required_against_actual_and_the_bottleneck(ja: str) -> None:
    funnel = ja[ja.index("逆算ファネル</h2>"):ja.index("改善のヒント（Action）")]
    text = text_of(funnel)
    assert "残り47週で商談+185件が必要（週3.9件）" in text
    assert "商談数 ボトルネック 50% 200 19.8 15 76% — 185 週3.9件" in text  # no actual rate stored here
    assert text.index("見込み顧客獲得数") < text.index("アポイント数") < text.index("受注数")


def test_phases_behind_list_their_usual_measures_and_the_metrics_behind_the_status(
    ja: str,
) -> None:
    actions = text_of(ja[ja.index("改善のヒント（Action）"):ja.index("データに関する注意")])
    assert "Revenue 収益化" in actions and "Retention ユーザーの再訪" in actions
    assert "LPO EFO CTA改善" in actions and "メールマーケティング" in actions
    assert "3か月でCVRを1.2倍に：実績 1.81%（目標ペース 2.13%、ペース比 85%）" in actions
    assert "CV率：1.81%（前週比 -0.53pt）" in actions
    assert "SEO対策" not in actions  # acquisition is on track


def test_data_notes_name_provisional_days_and_thresholded_loads(ja: str) -> None:
    notes = text_of(ja[ja.index("データに関する注意"):])
    assert "5/8（土）、5/9（日）のデータは暫定値です" in notes
    assert "GA4（raw.ga4_by_dimension、5/3〜5/9）はしきい値が適用され" in notes


def test_the_report_is_dated_in_the_reporting_time_zone_with_its_abbreviation(
    ja: str, en: str,
) -> None:
    assert "作成日時: 2027年5月10日 07:30 JST" in text_of(ja)
    assert "Generated: 10 May 2027 07:30 JST" in text_of(en)


def test_a_report_without_a_generation_time_is_dated_now_in_the_reporting_zone(
    tmp_path: Path,
) -> None:
    text = text_of(html_of(sample_report_data(generated_at=None), tmp_path))
    now = datetime.now(ZoneInfo(TIMEZONE))
    stamp = re.search(r"作成日時: (\d{4})年(\d+)月(\d+)日 (\d\d):(\d\d) (\S+)", text)
    assert stamp is not None and stamp[6] == now.tzname()
    shown = datetime(*map(int, stamp.groups()[:5]), tzinfo=ZoneInfo(TIMEZONE))
    assert abs((now - shown).total_seconds()) < 120


def test_a_kpi_whose_target_is_not_known_yet_shows_a_dash(tmp_path: Path) -> None:
    data = sample_report_data()
    items = tuple(replace(i, target=None, progress=None) if i.item_id == "cvr_x12" else i
                  for i in data.items)
    text = text_of(html_of(replace(data, items=items), tmp_path))
    assert "2.00% — 2.13% 1.81% —" in text


def test_a_quiet_week_says_so_instead_of_leaving_sections_empty(tmp_path: Path) -> None:
    data = sample_report_data(anomalies=(), loads=(), provisional_dates=(), provisional_days=0)
    text = text_of(html_of(data, tmp_path))
    assert "今週は異常値はありません。" in text
    assert "特記事項はありません。" in text


def test_english_report_has_english_labels_dates_and_units(en: str) -> None:
    text = text_of(en)
    assert '<html lang="en">' in en
    assert "Weekly KPI check report" in text
    assert "2027-W18 Mon 3 May – Sun 9 May 2027" in text
    assert '<span class="badge s-on_track">On track</span>' in en
    assert "Bounce rate 41.2% 39.8% +1.4 pts 45.5% -4.3 pts" in text
    assert "Avg. engagement time 93 s 91 s" in text
    assert "Revenue ¥1,240,000 ¥980,000" in text
    assert "185 more deals needed in the remaining 47 weeks (3.9 a week)" in text
    assert "Landing-page optimisation" in text
    for label in ("順調", "サマリー", "前週比", "逆算"):
        assert label not in text


def test_a_hostile_kpi_name_is_shown_as_text_not_run_as_script(tmp_path: Path) -> None:
    html = html_of(with_kpi_name("<script>alert(1)</script>"), tmp_path)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_rendered_week_folder_has_html_pdf_png_charts_and_email_parts() -> None:
    report = rendered_sample("ja")
    assert report.out_dir.name == "2027-W18"
    assert report.html and report.html.exists() and report.pdf and report.pdf.exists()
    assert len(report.charts) == 13  # 7 KGI/KPI pace charts, 5 phases, 1 funnel
    assert all(c.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for c in report.charts)
    html = report.html.read_text(encoding="utf-8")
    assert html.count("<svg") == 13


def test_email_html_uses_cid_images_and_inline_styles_only() -> None:
    report = rendered_sample("ja")
    html = report.email_html.read_text(encoding="utf-8")
    assert "<svg" not in html and "<style" not in html
    assert sorted(re.findall(r'src="cid:([^"]+)"', html)) == sorted(c.cid for c in report.charts)
    assert re.search(r'<span class="badge s-off_track" style="[^"]*background: #c62828', html)
    assert "詳しいグラフと表は添付のPDFをご覧ください。" in html


def test_email_text_part_summarises_the_week() -> None:
    text = rendered_sample("ja").email_text.read_text(encoding="utf-8")
    assert "■ KPI（中間目標）の状況" in text
    # the sample's CVR dropped far below its recent weeks (mart.metric_anomalies): the status says so
    assert ("- [未達（今週は異常値の影響） 達成確率 2%] 3か月でCVRを1.2倍に: 実績 1.81% / 今週の目標ペース 2.13% / 目標 2.40%\n"
            "  基準値 2.00% → 目標 2.40% / 進捗 -47%") in text
    assert "- 年間受注・リピート100件 [要注意 達成確率 31%] 進捗 8%" in text
    assert "  残り47週で週2件必要（直近8週は週1.6件）\n" in text
    assert "\n■ KPI（中間目標）の状況" in text  # each goal's second line ends with its line break
    assert "残り47週で商談+185件が必要（週3.9件）" in text
