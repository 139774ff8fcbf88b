"""The Do check end to end: `kpi-pipeline run` on two years of demo data with a targets file whose
measures carry plan: and done: (inline and a CSV), one measure per quadrant; read back from
mart.do_check, the HTML, the PDF, the e-mail text and the Slack/Teams posts of `report --send`."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pytest
from fixtures.report.smtp import HOST, RecordingHandler, smtp_server
from fixtures.report.webhook import WebhookRecorder, webhook_server
from helpers.cli import run_cli
from helpers.demo_warehouse import copy_demo

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.slow]

WEEK = "2026-W46"
WEEK_START = date(2026, 11, 9)
SLACK_PATH = "/services/T0001/B0002/SLACKTOKENdo"
TEAMS_PATH = "/workflows/do/triggers/manual/paths/invoke"

# sessions run at about 15,000-20,000 a week in the demo: a target of 12,000 a week is on track,
# 2.5 × 15,000 by the end of November is far behind (off track)
TARGETS = """\
kgis:
  - {id: orders_fy2026, name: 1年で受注100件, metric: orders, period: {start: 2026-04-01, end: 2027-03-31},
     target: {value: 100}}
kpis:
  - {id: sessions_12k, name: セッション数を週1.2万に, kgi: orders_fy2026, metric: sessions,
     start: 2026-10-01, deadline: 2026-12-31, baseline: {value: 10000}, target: {value: 12000}}
  - {id: sessions_x250, name: 2ヶ月でセッション数を2.5倍に, kgi: orders_fy2026, metric: sessions,
     start: 2026-10-01, deadline: 2026-11-30, baseline: {value: 15000}, target: {multiplier: 2.5}}
measures:
  # 2 a week since Monday 11-02: 4 planned by Sunday 11-15 (the end of W46)
  - {id: ads, name: 広告出稿, start: 2026-11-02, kpis: [sessions_12k], plan: {per_week: 2, unit: 回},
     done: [{date: 2026-11-03, count: 2}, {date: 2026-11-10, count: 2}]}
  - {id: seo_articles, name: SEO記事の公開, start: 2026-11-02, kpis: [sessions_x250],
     plan: {per_week: 2, unit: 本}, done: [{date: 2026-11-04, count: 3}, {date: 2026-11-12, count: 1}]}
  # 20 by the end of November (28 days): 10 planned by 11-15; the CSV holds 2
  - {id: sns, name: SNS投稿, start: 2026-11-02, end: 2026-11-29, kpis: [sessions_12k],
     plan: {total: 20, unit: 件}, done: logs/sns_done.csv}
  - {id: lp, name: LP改修, start: 2026-11-02, kpis: [sessions_x250], plan: {per_week: 1, unit: 本},
     done: [{date: 2026-11-05, count: 1}]}
  - {id: pr, name: プレスリリース, start: 2026-10-19, kpis: [sessions_12k]}
"""
# (measure, KPI, planned, done, do_met, KPI status, quadrant) in W46
EXPECTED = [
    ("ads", "sessions_12k", 4.0, 4.0, True, "on_track", "do_met_kpi_met"),
    ("lp", "sessions_x250", 2.0, 1.0, False, "off_track", "do_missed_kpi_missed"),
    ("seo_articles", "sessions_x250", 4.0, 4.0, True, "off_track", "do_met_kpi_missed"),
    ("sns", "sessions_12k", 10.0, 2.0, False, "on_track", "do_missed_kpi_met"),
]
LINES = {
    "ads": "広告出稿: 4/4回（達成）・KPI セッション数を週1.2万に: 順調",
    "lp": "LP改修: 1/2本（未達）・KPI 2ヶ月でセッション数を2.5倍に: 未達",
    "seo_articles": "SEO記事の公開: 4/4本（達成）・KPI 2ヶ月でセッション数を2.5倍に: 未達",
    "sns": "SNS投稿: 2/10件（未達）・KPI セッション数を週1.2万に: 順調",
}
ACTS = {
    "ads": "行動もKPIも順調です。この調子で続けましょう",
    "lp": "まずは計画どおりに実行しましょう（行動が計画に届いていません）",
    "seo_articles": "行動は計画どおりですがKPIが未達です。この施策だけではKPIが十分に動かないため、量（回数・本数）か内容を見直しましょう",
    "sns": "行動は計画に届いていませんがKPIは順調です。何がKPIを動かしたのか、理由を確かめましょう",
}


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Path:
    folder = tmp_path_factory.mktemp("do_check")
    (folder / "logs").mkdir()
    (folder / "logs" / "sns_done.csv").write_text(
        "date,count,title\n2026-11-03,1,秋の新作\n2026-11-03,1,キャンペーン告知\n", encoding="utf-8")
    (folder / "kpi_targets.yaml").write_text(TARGETS, encoding="utf-8")
    home = folder / "home"
    copy_demo(demo_template, home)
    run = run_cli("run", "--week", WEEK, home=home, cwd=folder, KPI_TARGETS=str(folder / "kpi_targets.yaml"))
    assert run.returncode == 0, run.stderr[-3000:]
    return home


def _rows(home: Path) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT measure_id, kpi_id, planned, done, do_met, kpi_status, quadrant FROM mart.do_check "
            "WHERE site_id = 'demo' AND week_start = ? ORDER BY measure_id", [WEEK_START]).fetchall()


def test_each_measure_lands_in_its_quadrant_with_planned_and_done_to_date(ran: Path) -> None:
    rows = _rows(ran)
    assert [r[:2] + tuple(r[4:]) for r in rows] == [e[:2] + e[4:] for e in EXPECTED]
    for row, expected in zip(rows, EXPECTED, strict=True):
        assert row[2:4] == pytest.approx(expected[2:4])
    # the measure without a plan has no Do check; the analysts' copy has the table and its comments
    with duckdb.connect(str(ran / "published.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM mart.do_check WHERE measure_id = 'pr'").fetchone() == (0,)
        comment, = con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'do_check' "
                               "AND column_name = 'quadrant'").fetchone()
        assert "do_met_kpi_missed" in comment


def _section(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def test_the_report_checks_the_do_before_the_hints_and_names_the_act_of_each_quadrant(ran: Path) -> None:
    html = (ran / "reports" / WEEK / "report.html").read_text(encoding="utf-8")
    do = _section(html, "<h2>行動（Do）の確認</h2>", "<h2>改善のヒント（Action）</h2>")
    for measure, line in LINES.items():
        assert line in do, line
        assert ACTS[measure] in do.split(line, 1)[1].split("</li>", 1)[0]
    # the measure without a plan keeps its line among the measures; the planned ones moved
    running = _section(html, "実施中の施策", "</ul>")
    assert "プレスリリース（10/19〜）" in running and "広告出稿" not in running
    text = (ran / "reports" / WEEK / "email.txt").read_text(encoding="utf-8")
    do_text = _section(text, "■ 行動（Do）の確認", "■ 改善のヒント（Action）")
    assert f"- {LINES['lp']}\n  → {ACTS['lp']}" in do_text
    assert f"- {LINES['seo_articles']}\n  → {ACTS['seo_articles']}" in do_text


def test_the_pdf_has_the_do_check(ran: Path) -> None:
    pdf = subprocess.run(["pdftotext", str(ran / "reports" / WEEK / "report.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    flat = "".join(pdf.split())
    assert "行動（Do）の確認" in flat
    for line in LINES.values():
        assert "".join(line.split()) in flat


def test_english_report_and_chat_posts_carry_the_do_check(ran: Path, tmp_path: Path) -> None:
    english = run_cli("report", "--week", WEEK, "--lang", "en", "--format", "html", home=ran, cwd=tmp_path)
    assert english.returncode == 0, english.stderr[-3000:]
    html = (ran / "reports" / WEEK / "report.en.html").read_text(encoding="utf-8")
    do = _section(html, "<h2>Was the Do done?</h2>", "<h2>")
    assert "LP改修: 1/2 本 (behind plan) · KPI 2ヶ月でセッション数を2.5倍に: Off track" in do
    assert "Do it as planned first" in do and "The KPI moved without the Do: find out why" in do
    hooks, mail = WebhookRecorder(), RecordingHandler()
    with smtp_server(mail) as smtp_port, webhook_server(hooks) as hook_port:
        sent = run_cli("report", "--week", WEEK, "--send", "--format", "html", home=ran, cwd=tmp_path,
                       SMTP_HOST=HOST, SMTP_PORT=str(smtp_port), SMTP_SECURITY="none",
                       REPORT_FROM="kpi@example.jp", REPORT_TO="team@example.jp",
                       SLACK_WEBHOOK_URL=f"http://{HOST}:{hook_port}{SLACK_PATH}",
                       TEAMS_WEBHOOK_URL=f"http://{HOST}:{hook_port}{TEAMS_PATH}")
    assert sent.returncode == 0, sent.stdout + sent.stderr
    slack, = hooks.bodies(SLACK_PATH)
    do_block = next(b["text"]["text"] for b in slack["blocks"] if "行動（Do）の確認" in str(b))
    assert f"• {LINES['sns']} → {ACTS['sns']}" in do_block
    teams, = hooks.bodies(TEAMS_PATH)
    body = [block["text"] for block in teams["attachments"][0]["content"]["body"]]
    assert "行動（Do）の確認" in body and f"- {LINES['ads']} → {ACTS['ads']}" in body
    plain = mail.received[0].message.get_body(("plain",)).get_content()
    assert "■ 行動（Do）の確認" in plain and LINES["seo_articles"] in plain
