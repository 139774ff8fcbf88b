"""The report's Check and Act from the drivers and the chained funnel: what a marketer reads."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from fixtures.report.builder import funnel, kpis, sample_report_data

from kpi_pipeline.delivery import render_report
from kpi_pipeline.delivery.report.model import GoalDriver, PhaseMetric, ReportData
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
