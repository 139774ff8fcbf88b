"""The report's Check and Act from the drivers and the chained funnel: what a marketer reads."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

from fixtures.report.builder import funnel, kgi_orders, kpis, phase_metrics, sample_report_data

from kpi_pipeline.delivery import render_report
from kpi_pipeline.delivery.report.model import (
    Anomaly,
    FunnelStage,
    GoalDriver,
    PhaseMetric,
    ProgressItem,
    ReportData,
)
from kpi_pipeline.delivery.report.view.build import build_view
from kpi_pipeline.delivery.report.view.changes import biggest_change

HOSTILE = '<script>alert("x")</script>'


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def drivers() -> tuple[GoalDriver, ...]:
    orders = [  # 年間受注: 3 → 2 a week against the baseline; the close rate did it
        ("sessions", 12000, 12600, 0.1), ("cvr", 0.02, 0.02, 0.0), ("close_rate", 0.6, 0.38, -1.1),
    ]
    channels = [  # CVR KPI's sessions are not the story; the sessions split for the CVR goal is not used
        ("Organic Search", 8000, 6400, -1600), ("Direct", 2000, 1600, -400), (HOSTILE, 100, 100, 0),
    ]
    return (
        *(GoalDriver("orders_fy2027", "previous_week", "factor", d, 3, 2, c, a, b) for d, a, b, c in orders),
        *(GoalDriver("sessions_x125", "baseline", "channel", d, 10100, 8100, c, a, b) for d, a, b, c in channels),
    )


def behind_sessions() -> ReportData:
    """The sample week with the sessions KPI behind and drivers for it and the orders KGI."""
    items = list(sample_report_data().items)
    items = [replace(i, status="off_track") if i.item_id == "sessions_x125" else i for i in items]
    return sample_report_data(items=tuple(items), drivers=drivers())


def test_the_check_names_the_top_drivers_of_each_goal_behind_pace() -> None:
    view = build_view(behind_sessions(), "ja", charts=False)
    orders = next(c for c in view.checks if c.startswith("年間受注・リピート100件"))
    # a running total is explained week on week; the close rate is named with its levels
    assert orders == "年間受注・リピート100件：前週比 −1（3 → 2）。主な要因は成約率 60.0%→38.0%（−1.1）"
    sessions = next(c for c in view.checks if c.startswith("2ヶ月でセッション数を1.25倍に"))
    assert "基準値比 −2,000（10,100 → 8,100）" in sessions
    assert "減少の100%はOrganic Search（−1,600）、Direct（−400）" in sessions
    en = build_view(behind_sessions(), "en", charts=False)
    assert any("mainly close rate 60.0% → 38.0% (−1.1)" in c for c in en.checks)


def test_act_hints_follow_the_drivers_and_the_bottleneck() -> None:
    hints = build_view(behind_sessions(), "ja", charts=False).hints
    assert "年間受注・リピート100件：成約率が押し下げ → 提案内容の見直し・営業トークの見直し" in hints
    assert "2ヶ月でセッション数を1.25倍に：Organic Searchが押し下げ → SEO対策" in hints


def test_a_crm_stage_behind_gets_sales_measures_not_lpo() -> None:
    items = [replace(i, status="off_track") if i.item_id == "appointments_x16" else
             replace(i, status="on_track") if i.kind == "kpi" else i for i in sample_report_data().items]
    view = build_view(sample_report_data(items=tuple(items)), "ja", charts=False)
    revenue = next(a for a in view.actions if a.phase == "revenue")
    assert revenue.measures == ("リードナーチャリング", "インサイドセールスの強化")
    assert "LPO" not in revenue.measures


def test_the_funnel_shows_planned_and_actual_rates_chained_needs_and_the_reason(tmp_path: Path) -> None:
    # deals are the bottleneck: appointments become deals at 42 % where 50 % was planned
    stages = tuple(replace(s, actual_rate=r, remaining_need=n, bottleneck_reason=why)
                   for s, r, n, why in zip(funnel(), (None, 0.55, 0.42, 0.093), (92, 185, 370, 3700),
                                           (None, "rate_below_plan", None, None), strict=True))
    f = build_view(sample_report_data(funnel=stages), "ja", charts=False).funnels[0]
    assert f.reason == "商談化率が計画50%に対し実績42.0%（アポイントから商談への転換が不足）"
    assert f.headline == "残り47週で商談+185件が必要（週3.9件）"
    appointments = next(s for s in f.stages if s.stage == "appointments")
    assert (appointments.rate, appointments.actual_rate, appointments.remaining_need) == ("50%", "42.0%", "370")
    leads = next(s for s in f.stages if s.stage == "leads")
    assert leads.line == ("見込み顧客：転換率 計画10%・実績9.3% / 今週までの必要数 396 / 実績 410 / "
                          "残り必要数 3,700（週76.4）")
    html = render_report(sample_report_data(funnel=stages), tmp_path, formats={"html"}, charts=False).html
    text = text_of(html.read_text(encoding="utf-8"))
    assert "実績の転換率" in text and "残り必要数" in text
    assert "ボトルネック: 商談化率が計画50%に対し実績42.0%" in text


def test_volume_at_the_top_is_worded_as_too_few_leads() -> None:
    stages = [replace(s, is_bottleneck=s.stage == "leads", actual_rate=r,
                      bottleneck_reason="volume_at_top" if s.stage == "leads" else None)
              for s, r in zip(funnel(), (None, 0.5, 0.5, 0.1), strict=True)]
    view = build_view(sample_report_data(funnel=tuple(stages)), "ja", charts=False)
    assert view.funnels[0].reason == "各段階の転換率は計画どおりで、見込み顧客の数が不足（今週までの必要数396に対し実績410）"
    assert any(h.startswith("逆算ファネルのボトルネック（見込み顧客）") and "リード獲得" in h for h in view.hints)


def test_ga4_values_in_driver_sentences_are_escaped(tmp_path: Path) -> None:
    data = behind_sessions()
    hostile = tuple(replace(d, contribution=-1700) if d.driver == HOSTILE else d for d in data.drivers)
    report = render_report(replace(data, drivers=hostile), tmp_path, formats={"html"}, charts=False)
    html = report.html.read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;（−1,700）" in html


def test_the_headline_ignores_a_big_swing_on_two_orders() -> None:
    metrics = (PhaseMetric("revenue", "revenue", 530_000, 983_000), PhaseMetric("orders", "revenue", 1, 2),
               PhaseMetric("sessions", "acquisition", 19_804, 20_012))
    assert biggest_change(sample_report_data(phase_metrics=metrics)).metric_id == "sessions"
    busy = (PhaseMetric("revenue", "revenue", 5_300_000, 9_830_000), PhaseMetric("orders", "revenue", 30, 55),
            PhaseMetric("sessions", "acquisition", 19_804, 20_012))
    assert biggest_change(sample_report_data(phase_metrics=busy)).metric_id == "revenue"


def test_the_headline_ignores_a_ratio_that_stands_on_two_orders() -> None:
    # ROAS = revenue / ad cost: −60 % from two orders is as much noise as revenue −46 %
    metrics = (PhaseMetric("roas", "revenue", 6.5, 16.19), PhaseMetric("revenue", "revenue", 1_982_000, 3_677_000),
               PhaseMetric("orders", "revenue", 2, 3), PhaseMetric("close_rate", "revenue", 0.5, 0.2), PhaseMetric("deals", "revenue", 4, 6),
               PhaseMetric("sessions", "acquisition", 19_804, 20_012))
    assert biggest_change(sample_report_data(phase_metrics=metrics)).metric_id == "sessions"
    busy = (PhaseMetric("roas", "revenue", 6.5, 16.19), PhaseMetric("revenue", "revenue", 19_820_000, 36_770_000),
            PhaseMetric("orders", "revenue", 40, 60), PhaseMetric("sessions", "acquisition", 19_804, 20_012))
    assert biggest_change(sample_report_data(phase_metrics=busy)).metric_id == "roas"


def test_the_text_email_labels_every_funnel_figure_and_the_why(tmp_path: Path) -> None:
    report = render_report(behind_sessions(), tmp_path, formats={"html"}, charts=False)
    text = report.email_text.read_text(encoding="utf-8")
    assert "■ 遅れている目標の要因" in text
    assert "- 受注：今週までの必要数 9.9 / 実績 8 / 残り必要数 92（週2）" in text
    lines = text.splitlines()
    kpi_lines = [line for line in lines if line.startswith("- [")]
    assert len(kpi_lines) == len(kpis())
    for line in kpi_lines:  # every figure has its label, progress on the goal's second line
        assert all(label in line for label in ("実績", "今週の目標ペース", "目標")), line
        assert "進捗" in lines[lines.index(line) + 1]


def _behind(items, *ids: str):
    return tuple(replace(i, status="off_track") if i.item_id in ids else
                 replace(i, status="on_track") if i.kind == "kpi" and i.status in ("at_risk", "off_track") else i
                 for i in items)


def test_a_running_kgi_is_explained_by_its_gap_to_plan_and_never_by_drivers_that_round_to_nothing() -> None:
    # the week: against last week 1 → 1 with −0.02 and −0.01 of "drivers"; against the
    # plan by now (32) the 16 orders are short by 16, all of it 商談化率 50 % → 25 %
    week_on_week = [("sessions", 12000, 12100, -0.02), ("leads_per_conversion", 0.5, 0.49, -0.01),
                    ("cvr", 0.02, 0.0202, 0.03)]
    plan = [("leads", 640, 640, 0.0), ("appointment_rate", 0.2, 0.2, 0.0), ("meeting_rate", 0.5, 0.25, -16.0),
            ("close_rate", 0.5, 0.5, 0.0)]
    drivers = (*(GoalDriver("orders_fy2027", "previous_week", "factor", d, 1, 1, c, a, b) for d, a, b, c in week_on_week),
               *(GoalDriver("orders_fy2027", "plan", "factor", d, 32, 16, c, a, b) for d, a, b, c in plan))
    view = build_view(sample_report_data(drivers=drivers), "ja", charts=False)
    assert view.checks == ("年間受注・リピート100件：計画比 −16（今週までの計画 32 → 実績 16）。"
                           "主な要因は商談化率 50.0%→25.0%（−16）",)
    assert "年間受注・リピート100件：商談化率が押し下げ → 営業トークの見直し・事前ヒアリングの強化" in view.hints
    assert not any("セッション数" in h for h in view.hints)
    # only the week-on-week split: every driver rounds to 0, so nothing is said at all
    quiet = build_view(sample_report_data(drivers=drivers[:3]), "ja", charts=False)
    assert quiet.checks == ()
    en = build_view(sample_report_data(drivers=drivers), "en", charts=False)
    assert en.checks == ("年間受注・リピート100件: −16 vs plan (32 planned by now, 16 actual); mainly meeting rate 50.0% → 25.0% (−16)",)


def test_a_rate_kpi_behind_has_its_why_and_sales_measures() -> None:
    meeting = ProgressItem(kind="kpi", item_id="meeting_up", kgi_id="orders_fy2027", name="商談化率を1.1倍に",
                           metric_id="meeting_rate", phase="revenue", status="off_track", target=0.55,
                           start_date=date(2027, 4, 1), deadline=date(2027, 6, 30), baseline=0.5, actual=0.25)
    drivers = (GoalDriver("meeting_up", "baseline", "factor", "deals", 0.5, 0.25, -0.25, 8, 4),
               GoalDriver("meeting_up", "baseline", "factor", "appointments", 0.5, 0.25, 0.0, 16, 16))
    items = _behind(sample_report_data().items) + (meeting,)
    view = build_view(sample_report_data(items=items, drivers=drivers), "ja", charts=False)
    assert "商談化率を1.1倍に：基準値比 −25.0pt（50.0% → 25.0%）。主な要因は商談数 8→4（−25.0pt）" in view.checks
    assert "商談化率を1.1倍に：商談数が押し下げ → 営業トークの見直し・事前ヒアリングの強化" in view.hints
    revenue = next(a for a in view.actions if a.phase == "revenue")
    assert revenue.measures == ("営業トークの見直し", "事前ヒアリングの強化")


def test_an_appointment_rate_goal_gets_nurturing_not_efo_whichever_side_moved_it() -> None:
    # more leads behind the same appointments pulled アポ率 down: still an アポ率 matter
    floor = ProgressItem(kind="kpi", item_id="appt_floor", kgi_id="orders_fy2027", name="アポ率20%以上",
                         metric_id="appointment_rate", phase="revenue", status="at_risk", target=0.2,
                         start_date=date(2027, 4, 1), deadline=date(2027, 6, 30), baseline=0.2, actual=0.19,
                         goal_kind="at_least")
    drivers = (GoalDriver("appt_floor", "baseline", "factor", "leads", 0.2, 0.19, -0.01, 80, 84.2),
               GoalDriver("appt_floor", "baseline", "factor", "appointments", 0.2, 0.19, 0.0, 16, 16))
    view = build_view(sample_report_data(items=_behind(sample_report_data().items) + (floor,), drivers=drivers),
                      "ja", charts=False)
    assert "アポ率20%以上：見込み顧客獲得数が押し下げ → リードナーチャリング・インサイドセールスの強化" in view.hints
    revenue = next(a for a in view.actions if a.phase == "revenue")
    assert revenue.measures == ("リードナーチャリング", "インサイドセールスの強化")
    assert not any("EFO" in h for h in view.hints)


def test_every_funnel_stage_and_rate_behind_has_measures() -> None:
    for metric_id in ("leads", "appointments", "deals", "orders", "revenue", "appointment_rate",
                      "meeting_rate", "close_rate", "cvr"):
        item = ProgressItem(kind="kpi", item_id="k", name="k", metric_id=metric_id, phase="revenue",
                            status="off_track", target=1, start_date=date(2027, 4, 1), deadline=date(2027, 6, 30))
        view = build_view(sample_report_data(items=(kgi_orders(), item), drivers=()), "ja", charts=False)
        assert next(a for a in view.actions if a.phase == "revenue").measures, metric_id


def test_a_status_headline_and_bottleneck_that_an_unusual_week_drives_say_so() -> None:
    # leads spiked to 1,200 from a median of 80: the leads KPI, the headline and the bottleneck,
    # which moved from deals (last week) to appointments, carry the caveat; last week's spike
    # still marks a change from it
    leads_kpi = ProgressItem(kind="kpi", item_id="leads_up", kgi_id="orders_fy2027", name="見込み顧客を1.5倍に",
                             metric_id="leads", phase="revenue", status="on_track", target=120,
                             start_date=date(2027, 4, 1), deadline=date(2027, 6, 30), baseline=80, actual=1200)
    spike = (Anomaly("leads", 1200, 80, 80.0, "spike"),)
    metrics = tuple(replace(pm, value=1200, prev_week_value=80, wow_change_pct=14.0) if pm.metric_id == "leads" else pm
                    for pm in phase_metrics())
    stages = tuple(replace(s, is_bottleneck=s.stage == "appointments", was_bottleneck=s.stage == "deals",
                           bottleneck_reason="rate_below_plan" if s.stage == "appointments" else None,
                           actual_rate={"leads": 0.078, "appointments": 0.25}.get(s.stage))
                   for s in funnel())
    data = sample_report_data(items=(*sample_report_data().items, leads_kpi), anomalies=spike,
                              phase_metrics=metrics, funnel=stages)
    view = build_view(data, "ja", charts=False)
    assert view.biggest_change == "見込み顧客獲得数が前週比+1400.0%で改善（80 → 1,200）（今週は異常値の影響）"
    assert next(k for k in view.kpis if k.name == "見込み顧客を1.5倍に").caveat == "今週は異常値の影響"
    assert next(k for k in view.kpis if k.name == "3か月でCVRを1.2倍に").caveat == ""
    assert view.funnels[0].reason.endswith("（見込み顧客からアポイントへの転換が不足）（今週は異常値の影響）")
    unmoved = build_view(replace(data, funnel=tuple(replace(s, was_bottleneck=s.is_bottleneck) for s in stages)),
                         "ja", charts=False)
    assert "異常値" not in unmoved.funnels[0].reason
    after = build_view(replace(data, anomalies=(), previous_anomalies=spike), "en", charts=False)
    assert after.biggest_change.endswith("(last week was unusual)")
    assert next(k for k in after.kpis if k.name == "見込み顧客を1.5倍に").caveat == ""


def test_the_subject_names_the_kgis_before_the_kpis() -> None:
    items = tuple(replace(i, status="off_track") if i.kind == "kgi" else i for i in sample_report_data().items)
    view = build_view(sample_report_data(items=items), "ja", charts=False)
    assert view.subject == "【KPIチェック】2027-W18 KGI 未達1 ｜ KPI 順調2 / 要注意1 / 未達1 / 達成1（example.co.jp）"
    en = build_view(sample_report_data(items=items), "en", charts=False)
    assert en.subject.startswith("[KPI check] 2027-W18 KGIs Off track 1 | KPIs On track 2")


def test_the_funnel_before_its_start_and_after_its_end() -> None:
    # before: 26 orders over the 13 weeks from the start, not over the weeks until it
    soon = replace(kgi_orders(), status="not_started", start_date=date(2027, 6, 7), deadline=date(2027, 9, 5),
                   actual=None, progress=None)
    stages = (FunnelStage("orders_fy2027", "deals", 1, 52, 0, 0, rate_to_next=0.5, remaining_weeks=13,
                          needed_per_week=4, remaining_need=52),
              FunnelStage("orders_fy2027", "orders", 0, 26, 0, 0, remaining_weeks=13, needed_per_week=2,
                          remaining_need=26))
    view = build_view(sample_report_data(items=(soon,), funnel=stages), "ja", charts=False)
    assert view.funnels[0].headline == "開始前（2027年6月7日から）：期間の13週で受注26件が必要（週2件）"
    # after: what the period delivered, no 「残り0週で…（週8件）」
    over = replace(kgi_orders(), status="missed", start_date=date(2027, 1, 4), deadline=date(2027, 5, 2))
    ended = (replace(stages[0], required_to_date=52, actual_to_date=36, remaining_weeks=0, needed_per_week=16,
                     remaining_need=16, is_bottleneck=True, bottleneck_reason="volume_at_top"),
             replace(stages[1], required_to_date=26, actual_to_date=18, remaining_weeks=0, needed_per_week=8,
                     remaining_need=8))
    view = build_view(sample_report_data(items=(over,), funnel=ended), "ja", charts=False)
    assert view.funnels[0].headline == "期間終了：受注は必要数26件に対し実績18件（8件不足）"
    assert view.funnels[0].stages[0].needed == "—"
    assert not any(h.startswith("逆算ファネルのボトルネック") for h in view.hints)


def test_the_funnel_states_the_need_at_the_observed_rates() -> None:
    stages = tuple(replace(s, observed_need=n, observed_need_per_week=n / 47 if n else None, remaining_need=p)
                   for s, n, p in zip(funnel(), (92, 184, 736, 7360), (92, 184, 368, 3680), strict=True))
    view = build_view(sample_report_data(funnel=stages), "ja", charts=False)
    assert view.funnels[0].observed == "実績の転換率のままなら見込み顧客+7,360件が必要（週157件）。計画の転換率なら+3,680件"
    leads = next(s for s in view.funnels[0].stages if s.stage == "leads")
    assert leads.observed_need == "7,360" and leads.line.endswith("実績の転換率での残り必要数 7,360")


def test_a_goal_met_well_before_its_deadline_prompts_raising_it() -> None:
    met = replace(kgi_orders(), status="on_track", actual=130, progress=1.3)
    view = build_view(sample_report_data(items=(met, *kpis())), "ja", charts=False)
    assert ("年間受注・リピート100件：期限（2028年3月31日）の前に目標を達成済み（進捗130%）→ 目標の引き上げを検討"
            "（新しい目標を追加し、今の目標に replaced_by）") in view.hints
    # a weekly goal past its target by less than its noise, or on an unusual week, is not prompted
    sessions = replace(kpis()[0], actual=15100, progress=1.03, noise=400)
    quiet = build_view(sample_report_data(items=(kgi_orders(), sessions)), "ja", charts=False)
    assert not any("引き上げ" in h for h in quiet.hints)


def test_a_kgi_moved_to_the_ended_goals_has_no_funnel_left() -> None:
    retired = replace(kgi_orders(), status="missed", retired=True, deadline=date(2027, 3, 31))
    view = build_view(sample_report_data(items=(retired, *kpis())), "ja", charts=False)
    assert view.funnels == () and not any("ボトルネック" in h for h in view.hints)
