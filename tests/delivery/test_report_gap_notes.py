"""The data notes on what the warehouse holds: earlier days a corrected export changed (old → new
where short) and days missing inside the goals' periods with the goals named, in both languages;
and a measure's line with the trend it was judged against."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fixtures.report.builder import sample_report_data

from kpi_pipeline.delivery.report.model import ChangedDay, GoalGap, MeasureEffect
from kpi_pipeline.delivery.report.view.build import build_view
from kpi_pipeline.delivery.report.view.gap_notes import runs_of_days

MAY = [date(2027, 5, d) for d in range(1, 32)]


def _changes() -> tuple[ChangedDay, ...]:
    revised = (ChangedDay("raw.crm_daily", date(2027, 4, 26), "orders", "revised", 1, 3),
               ChangedDay("raw.crm_daily", date(2027, 4, 26), "revenue", "revised", 100000, 300000))
    every_field = tuple(ChangedDay("raw.crm_daily", date(2027, 4, 27), f, "revised", 1, 2)
                        for f in ("leads", "appointments", "deals", "orders", "revenue"))
    added = tuple(ChangedDay("raw.crm_daily", date(2027, 4, 19) + timedelta(days=i), "orders", "added",
                             None, 1) for i in range(3))
    return revised + every_field + added


def _gaps() -> tuple[GoalGap, ...]:
    crm = tuple(MAY[1:6]) + tuple(MAY[7:8])
    return (GoalGap("orders_fy2027", "年間受注・リピート100件", "raw.crm_daily", None, crm),
            GoalGap("deals_kpi", "商談数を増やす", "raw.crm_daily", None, crm[1:]),
            GoalGap("spend_cap", "広告費を抑える", "raw.custom_daily", "offline_spend", (MAY[2],)))


def _notes(lang: str) -> tuple[str, ...]:
    return build_view(sample_report_data(changed_days=_changes(), goal_gaps=_gaps()), lang).notes


def test_consecutive_days_fold_into_runs() -> None:
    assert runs_of_days([MAY[4], MAY[1], MAY[2], MAY[9]]) == [(MAY[1], MAY[2]), (MAY[4], MAY[4]),
                                                             (MAY[9], MAY[9])]


def test_changed_days_say_old_and_new_values_where_short_and_fold_added_days() -> None:
    notes = _notes("ja")
    changed = next(n for n in notes if "読み込み直しました" in n)
    assert changed == ("CRMのエクスポートが前の週の5日分を変更したため、読み込み直しました（raw.crm_daily）："
                       "4/19〜4/21（追加）、4/26（受注数 1 → 3、売上 100,000円 → 300,000円）、4/27（5項目）。"
                       "以前のレポートの数値とは異なります。")


def test_missing_days_name_the_source_the_runs_of_days_and_the_goals() -> None:
    notes = _notes("ja")
    assert ("CRMのエクスポート（raw.crm_daily）に5/2〜5/6、5/8のデータがありません（目標の期間内で6日分）。"
            "影響する目標：年間受注・リピート100件、商談数を増やす") in notes
    # a custom metric this process does not know by name is shown by its id
    assert ("カスタム指標（offline_spend）のCSV（raw.custom_daily）に5/3のデータがありません（目標の期間内で"
            "1日分）。影響する目標：広告費を抑える") in notes


def test_the_english_notes_say_the_same_in_english() -> None:
    notes = _notes("en")
    assert ("The CRM export changed 5 day(s) of earlier weeks, now reloaded (raw.crm_daily): "
            "19 Apr – 21 Apr (added), 26 Apr (Orders 1 → 3, Revenue ¥100,000 → ¥300,000), "
            "27 Apr (5 fields). Earlier reports showed other numbers.") in notes
    gap = next(n for n in notes if n.startswith("The CRM export (raw.crm_daily) has no data"))
    assert "2 May – 6 May, 8 May (6 day(s) inside the goals' periods)" in gap
    text = " ".join(notes)
    for name in ("年間受注・リピート100件", "商談数を増やす", "広告費を抑える"):
        text = text.replace(name, "")
    assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text)


def _effect(**values: object) -> MeasureEffect:
    base = dict(measure_id="lpo", measure_name="LPO（料金ページ改修）", kpi_id="cvr_x12", metric_id="cvr",
                measure_start=date(2027, 4, 5), measure_end=None, before_value=0.0120,
                after_value=0.0145, change=0.0025, noise=0.0005, verdict="trend",
                expected_value=0.0143, effect=0.0002, effect_limit=0.0008, control_site=None)
    return MeasureEffect(**{**base, **values})


def test_a_measure_line_shows_the_trends_prediction_beside_the_verdict() -> None:
    data = sample_report_data(measures=(_effect(),))
    line, = build_view(data, "ja").measures_running
    assert line.endswith("1.20% → 1.45%（+0.25pt。開始前のトレンドでは 1.43%、差 +0.02pt、予測の幅 ±0.08pt）"
                         "トレンドどおり（施策の効果は確認できず）")
    line, = build_view(data, "en").measures_running
    assert line.endswith("1.20% → 1.45% (+0.25 pts; the trend before predicted 1.43%: +0.02 pts, "
                         "prediction range ±0.08 pts) in line with the trend (no effect beyond it)")


def test_a_measure_judged_without_a_trend_still_shows_its_noise() -> None:
    data = sample_report_data(measures=(_effect(verdict="noise", expected_value=None, effect=None,
                                                effect_limit=None),))
    line, = build_view(data, "ja").measures_running
    assert line.endswith("1.20% → 1.45%（+0.25pt、ふだんの振れ幅 ±0.05pt）誤差の範囲")
