"""「行動（Do）の確認」 from hand-built report data: the line per planned measure, the Act its
quadrant calls for, a measure whose KPIs call for different Acts, the section's place in the
HTML before the hints, escaping, and the Slack and Teams posts built from the same view."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from fixtures.report.builder import sample_report_data

from kpi_pipeline.delivery.chat.post import ChatMessage, slack_payload, teams_payload
from kpi_pipeline.delivery.report.model import DoCheck, MeasureEffect
from kpi_pipeline.delivery.report.render import render_report
from kpi_pipeline.delivery.report.view.build import build_view

START = date(2027, 4, 12)


def _effect(measure_id: str, name: str, kpi_id: str) -> MeasureEffect:
    return MeasureEffect(measure_id, name, kpi_id, "sessions", START, None, 12000, 13000, 1000, 300, "improved")


def _data():
    checks = (
        DoCheck("seo", "SEO記事の公開", "sessions_x125", 2, 1, "本", False, "on_track", "do_missed_kpi_met"),
        DoCheck("lpo", "LPO<script>", "cvr_x12", 3, 3, "", True, "off_track", "do_met_kpi_missed"),
        # one measure, two KPIs calling for different Acts
        DoCheck("ads", "広告出稿", "sessions_x125", 4, 4, "回", True, "on_track", "do_met_kpi_met"),
        DoCheck("ads", "広告出稿", "repeat_rate_up", 4, 4, "回", True, "at_risk", "do_met_kpi_missed"),
        # a KPI not judged yet: no Act
        DoCheck("sns", "SNS投稿", "shares_x3", 2.5, 1, "件", False, "not_started", None),
    )
    effects = (_effect("seo", "SEO記事の公開", "sessions_x125"), _effect("press", "プレスリリース", "sessions_x125"))
    return sample_report_data(do_checks=checks, measures=effects)


def test_each_planned_measure_gets_its_line_and_the_act_of_its_quadrant() -> None:
    view = build_view(_data(), "ja", charts=False)
    lines = {d.measure_id: (d.line, d.acts) for d in view.do_checks}
    assert lines["seo"] == ("SEO記事の公開: 1/2本（未達）・KPI 2ヶ月でセッション数を1.25倍に: 順調",
                            ("行動は計画に届いていませんがKPIは順調です。何がKPIを動かしたのか、理由を確かめましょう",))
    assert lines["lpo"][0] == "LPO<script>: 3/3（達成）・KPI 3か月でCVRを1.2倍に: 未達"
    ads_line, ads_acts = lines["ads"]
    assert ads_line == ("広告出稿: 4/4回（達成）・KPI 2ヶ月でセッション数を1.25倍に: 順調"
                        "・KPI 半年でリピート率を30%に: 要注意")
    assert ads_acts == ("2ヶ月でセッション数を1.25倍に: 行動もKPIも順調です。この調子で続けましょう",
                        "半年でリピート率を30%に: 行動は計画どおりですがKPIが未達です。この施策だけではKPIが"
                        "十分に動かないため、量（回数・本数）か内容を見直しましょう")
    assert lines["sns"] == ("SNS投稿: 1/2.5件（未達）・KPI 半年でSNSシェア数を3倍に: 開始前", ())
    # the planned measure's effect stands beside its Do check; only the unplanned one stays a measure line
    seo = next(d for d in view.do_checks if d.measure_id == "seo")
    assert seo.effects and "12,000 → 13,000" in seo.effects[0] and "効果あり" in seo.effects[0]
    assert [m.split("（")[0] for m in view.measures_running] == ["プレスリリース"]


def test_the_english_view_says_the_same() -> None:
    view = build_view(_data(), "en", charts=False)
    seo = next(d for d in view.do_checks if d.measure_id == "seo")
    assert seo.line == "SEO記事の公開: 1/2 本 (behind plan) · KPI 2ヶ月でセッション数を1.25倍に: On track"
    assert seo.acts == ("The KPI moved without the Do: find out why",)
    lpo = next(d for d in view.do_checks if d.measure_id == "lpo")
    assert lpo.line.startswith("LPO<script>: 3/3 (done as planned)")  # no unit: no stray space


def test_the_html_puts_the_section_before_the_hints_and_escapes_names(tmp_path: Path) -> None:
    report = render_report(_data(), tmp_path / "ja", formats={"html"}, lang="ja")
    html = report.html.read_text(encoding="utf-8")
    # the Check of the Do comes before the Act section, whose hints follow the drivers
    assert html.index("<h2>行動（Do）の確認</h2>") < html.index("<h2>改善のヒント（Action）</h2>")
    assert "LPO&lt;script&gt;" in html and "LPO<script>" not in html
    text = report.email_text.read_text(encoding="utf-8")
    assert "■ 行動（Do）の確認\n- SEO記事の公開: 1/2本（未達）" in text
    assert "  → 2ヶ月でセッション数を1.25倍に: 行動もKPIも順調です。この調子で続けましょう" in text
    assert report.summary["do_check"]["title"] == "行動（Do）の確認"


def test_chat_posts_carry_the_do_check_escaped_for_slack() -> None:
    msg = ChatMessage(lang="ja", title="【KPIチェック】", period="2027-W18", counts="順調 2", kgis=("KGI",),
                      driver=None, bottleneck=None, link="https://example.jp/r.html",
                      do_title="行動（Do）の確認", do_lines=("LPO<script>: 3/3（達成） → 見直しましょう",))
    slack = slack_payload(msg)
    block = slack["blocks"][2]["text"]["text"]
    assert block == "*行動（Do）の確認*\n• LPO&lt;script&gt;: 3/3（達成） → 見直しましょう"
    teams = [b["text"] for b in teams_payload(msg)["attachments"][0]["content"]["body"]]
    assert teams[-2:] == ["行動（Do）の確認", "- LPO<script>: 3/3（達成） → 見直しましょう"]
    without = slack_payload(replace(msg, do_lines=()))
    assert "行動（Do）の確認" not in str(without)
