"""How the report reads a status (issue 11): 基準値 → 目標, progress against the expected
progress, 誤差の範囲, 改定, 終了した目標, and notes localized from their stored codes."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from fixtures.report.builder import sample_report_data

from kpi_pipeline.delivery import render_report
from kpi_pipeline.delivery.report.model import ProgressItem, ReportData


def judged_data() -> ReportData:
    """The sample week with the statuses judged the issue-11 way."""
    data = sample_report_data()
    items = {i.item_id: i for i in data.items}
    cvr = replace(items["cvr_x12"], expected_progress=0.33, judgement="moved_away",
                  note="seasonal_fallback; partial_week(days=5)")
    repeat = replace(items["repeat_rate_up"], status="on_track", expected_progress=0.16,
                     judgement="within_noise")
    revised = replace(items["appointments_x16"], status="revised", judgement="revised")
    bounce_cap = ProgressItem(
        kind="kpi", item_id="bounce_cap", kgi_id="orders_fy2027", name="直帰率を45%以下に保つ",
        metric_id="bounce_rate", phase="acquisition", status="off_track", target=0.45,
        start_date=date(2027, 4, 1), deadline=date(2027, 9, 30), baseline=0.44, expected=0.45,
        actual=0.4557, progress=2 / 7, goal_kind="at_most", judgement="breached", judged_weeks=7,
        note="reach_as_keep(line=at_most)",
    )
    ended = ProgressItem(
        kind="kpi", item_id="renewal", kgi_id="orders_fy2027", name="リニューアル期にセッション数を1.1倍に",
        metric_id="sessions", phase="acquisition", status="achieved", target=15822,
        start_date=date(2026, 7, 1), deadline=date(2026, 9, 30), baseline=14384, actual=17165,
        retired=True,
    )
    kgi = replace(items["orders_fy2027"], note="kpi_summary(on_track=2, off_track=1)", expected_progress=0.099)
    changed = {"cvr_x12": cvr, "repeat_rate_up": repeat, "appointments_x16": revised, "orders_fy2027": kgi}
    return replace(data, items=(*[changed.get(i.item_id, i) for i in data.items], bounce_cap, ended))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = {}
    for lang in ("ja", "en"):
        report = render_report(judged_data(), tmp_path_factory.mktemp(lang), formats={"html"}, lang=lang, charts=False)
        assert report.html is not None
        out[lang] = text_of(report.html.read_text(encoding="utf-8"))
    return out


def table_row(text: str, name: str) -> str:
    table = text[text.index("KGI・KPI一覧"):text.index("AARRRフェーズ別の指標")]
    start = table.index(name)
    return table[start:start + 260]


def test_each_goal_shows_baseline_to_target_and_progress_against_the_expected_progress(pages: dict[str, str]) -> None:
    ja = pages["ja"]
    # the KGI card: 8 of 100 orders where the pace expects 9.9
    assert "年間受注・リピート100件 要注意 基準値 0 → 目標 100 ・ 進捗 8%（この時点の期待 10%）" in ja
    # CVR: 2.00 % → 2.40 %; it fell to 1.81 %: −47 % of the change where 33 % was due
    row = table_row(ja, "3か月でCVRを1.2倍に")
    assert "基準値 2.00% → 目標 2.40%" in row
    assert "未達 目標と逆方向" in row and "-47% 期待 33%" in row


def test_a_miss_inside_the_noise_reads_within_normal_variation(pages: dict[str, str]) -> None:
    assert "基準値 25.0% → 目標 30.0% 順調 誤差の範囲" in table_row(pages["ja"], "半年でリピート率を30%に")
    assert "within normal variation" in pages["en"]


def test_a_keep_goal_reads_as_a_ceiling_held_week_by_week_not_as_progress_towards_it(pages: dict[str, str]) -> None:
    row = table_row(pages["ja"], "直帰率を45%以下に保つ")
    assert "上限 45.0%（期間を通して）" in row and "未達" in row
    assert "目標が基準値より悪い側にあるため、期間を通して目標を守れているかで判定しています" in row


def test_a_superseded_goal_shows_revised(pages: dict[str, str]) -> None:
    assert "基準値 10 → 目標 16 改定" in table_row(pages["ja"], "半年でアポイント数を1.6倍に")
    assert "Revised" in pages["en"]


def test_ended_goals_move_to_a_short_list_and_out_of_the_counts(pages: dict[str, str]) -> None:
    ja = pages["ja"]
    assert "終了した目標 リニューアル期にセッション数を1.1倍に：達成（2026年9月30日まで）" in ja
    table = ja[ja.index("KGI・KPI一覧"):ja.index("終了した目標")]
    assert "リニューアル期" not in table
    # counted: the engagement KPI achieved in April; not the renewal goal that ended in September
    assert "達成 1件" in ja[:ja.index("対応が必要なフェーズ")]


def test_data_notes_hold_data_only_and_the_english_report_has_no_japanese_notes(pages: dict[str, str]) -> None:
    ja, en = pages["ja"], pages["en"]
    notes = ja[ja.index("データに関する注意"):]
    assert "3か月でCVRを1.2倍に：この週のデータは5日分のみです" in notes
    assert "線形ペース" not in notes and "悪い側" not in notes  # judgement notes stay beside the goal
    assert "昨年同時期のデータが足りないため" in table_row(ja, "3か月でCVRを1.2倍に")
    en_notes = en[en.index("Data notes"):]
    assert "only 5 days of data this week" in en_notes
    assert "paced linearly instead of seasonally" in en
    for item in judged_data().items:  # goal names are the user's; everything else is English
        en_notes = en_notes.replace(item.name, "")
    assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", en_notes)
    for code in ("seasonal_fallback", "partial_week", "kpi_summary", "reach_as_keep"):
        assert code not in ja and code not in en


def test_a_goal_far_the_wrong_way_says_so_once_not_in_the_progress_and_again_beside_it(
    tmp_path,
) -> None:
    data = judged_data()
    far = {i.item_id: replace(i, progress=-2.67) for i in data.items if i.item_id == "cvr_x12"}
    data = replace(data, items=tuple(far.get(i.item_id, i) for i in data.items))
    report = render_report(data, tmp_path, formats={"html"}, lang="ja", charts=False)
    text = report.email_text.read_text(encoding="utf-8")
    card = next(line for line in text.splitlines() if "基準値 2.00% → 目標 2.40%" in line)
    assert "進捗 目標と逆方向（この時点の期待 33%）" in card
    assert card.count("目標と逆方向") == 1, card
    row = table_row(text_of(report.html.read_text(encoding="utf-8")), "3か月でCVRを1.2倍に")
    assert row.count("目標と逆方向") == 1, row


@pytest.mark.parametrize(("progress", "words"), [
    (0.70, "今週はペースどおりですが、直近8週の水準では達成確率 4%"),
    (0.60, "今週はペースをやや下回る程度ですが、直近8週の水準では達成確率 4%"),
])
def test_a_good_week_that_will_not_reach_says_whether_it_is_at_or_just_short_of_the_pace(
    tmp_path, progress: float, words: str,
) -> None:
    data = judged_data()
    kgi = next(i for i in data.kgis if i.item_id == "orders_fy2027")
    kgi = replace(kgi, status="off_track", judgement="on_pace", p_reach=0.04, progress=progress,
                  expected_progress=0.67)
    data = replace(data, items=tuple(kgi if i.item_id == kgi.item_id else i for i in data.items))
    report = render_report(data, tmp_path, formats={"html"}, lang="ja", charts=False)
    card = next(line for line in report.email_text.read_text(encoding="utf-8").splitlines()
                if "（この時点の期待 67%）" in line)
    assert card.endswith(words), card


def test_a_goal_worse_than_its_baseline_with_a_high_chance_says_why_it_is_not_on_track(tmp_path) -> None:
    # the last week of a 4-week window dipped below the baseline while the window is well above
    # the target: the chance is 100 %, the status stays 要注意, and the card says why
    data = judged_data()
    cvr = next(i for i in data.kpis if i.item_id == "cvr_x12")
    cvr = replace(cvr, status="at_risk", judgement="moved_away", p_reach=1.0, progress=-0.23,
                  expected_progress=0.97)
    data = replace(data, items=tuple(cvr if i.item_id == cvr.item_id else i for i in data.items))
    for lang, words in (("ja", "基準値より悪い週は順調としません（達成確率 99%超）"),
                        ("en", "a week worse than the baseline is never on track (the chance is over 99%)")):
        report = render_report(data, tmp_path / lang, formats={"html"}, lang=lang, charts=False)
        text = report.email_text.read_text(encoding="utf-8")
        card = next(line for line in text.splitlines() if "2.00% → " in line and "2.40%" in line)
        assert card.endswith(words), card
