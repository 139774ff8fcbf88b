"""`kpi-pipeline plan` as a marketer runs it: from a targets file holding nothing but a KGI (with
or without funnel rates) and the warehouse's history, a draft of the KPIs that would deliver it;
the draft passes `targets check` and a `run` judges it. Expected numbers are worked out here
from the warehouse with SQL, the way the draft documents them (rates over the last 13 weeks,
rounded to 3 significant digits, each stage rounded up)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import duckdb
import pytest
from helpers.cli import run_cli
from helpers.demo_warehouse import copy_demo
from helpers.paths import DOCS
from ruamel.yaml import YAML

from kpi_pipeline.config.settings import EXAMPLE_TARGETS
from kpi_pipeline.warehouse import connect, ensure_schema

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.slow]

# the demo template's last week is 2026-W46: the last 13 weeks are W34..W46
MEASURED = (date(2026, 8, 17), date(2026, 11, 15))
WEEK, WEEK_START = "2026-W46", date(2026, 11, 9)
KGI_ONLY = """\
# 私たちが決めているのはKGIだけ
kgis:
  - {id: orders_fy2026, name: 1年で受注100件, metric: orders, period: {start: 2026-10-01, end: 2027-09-30}, target: {value: 100}}  # 年間目標
"""
PLANNED = """\
kgis:
  - id: orders_fy2027
    name: 年間受注・リピート100件
    metric: orders
    period: {start: 2027-04-01, end: 2028-03-31}
    target: {value: 100}
    funnel:                      # 受注から上へ（ホワイトペーパーの設計例）
      - {stage: deals, rate: 0.5}
      - {stage: appointments, rate: 50%}
      - {stage: leads, rate: 0.1}
"""


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Path:
    """A KPI_HOME holding two years of demo data (the warehouse only: plan reads it read-only)."""
    home = tmp_path_factory.mktemp("plan") / "home"
    copy_demo(demo_template, home)
    return home


def _file(folder: Path, text: str, name: str = "kpi_targets.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _yaml(text: str) -> dict:
    return YAML(typ="safe").load(text)


def _sum(con: duckdb.DuckDBPyConnection, metric: str, start: date, end: date) -> float:
    return con.execute("SELECT sum(value) FROM mart.metrics_daily WHERE site_id = 'demo' AND metric_id = ? "
                       "AND date BETWEEN ? AND ?", [metric, start, end]).fetchone()[0]


def _measured(home: Path, upper: str, below: str) -> float:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rate = _sum(con, below, *MEASURED) / _sum(con, upper, *MEASURED)
    return float(f"{rate:.3g}")


def _best_4_weeks(home: Path, metric: str) -> float:
    """The best 4 consecutive weeks of the 52 ending with WEEK, as a weekly level."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT max(total) / 4 FROM (SELECT sum(value) OVER (ORDER BY week_start ROWS 3 PRECEDING) AS total, "
            "count(*) OVER (ORDER BY week_start ROWS 3 PRECEDING) AS weeks, week_start FROM mart.metrics_weekly "
            "WHERE site_id = 'demo' AND metric_id = ? AND week_start BETWEEN ? AND ?) WHERE weeks = 4",
            [metric, date(2025, 11, 17), WEEK_START]).fetchone()[0]


def test_a_kgi_alone_is_worked_back_through_the_measured_rates_up_to_sessions(
        demo_home: Path, tmp_path: Path) -> None:
    result = run_cli("plan", str(_file(tmp_path, KGI_ONLY)), home=demo_home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    draft = _yaml(result.stdout)
    rates = {s: _measured(demo_home, s, b) for s, b in
             (("deals", "orders"), ("appointments", "deals"), ("leads", "appointments"), ("sessions", "leads"))}
    # the measured rates go into the KGI's funnel, so the reverse funnel and the KPIs agree
    assert draft["kgis"][0]["funnel"] == [{"stage": s, "rate": rates[s]} for s in ("deals", "appointments", "leads")]
    deals = math.ceil(100 / rates["deals"])
    appointments = math.ceil(deals / rates["appointments"])
    leads = math.ceil(appointments / rates["leads"])
    sessions = math.ceil(leads / rates["sessions"])
    kpis = {k["metric"]: k for k in draft["kpis"]}
    assert [k["id"] for k in draft["kpis"]] == [
        "orders_fy2026_deals", "orders_fy2026_appointments", "orders_fy2026_leads",
        "orders_fy2026_leads_per_session", "orders_fy2026_sessions"]
    assert {m: kpis[m]["target"] for m in ("deals", "appointments", "leads", "sessions")} == {
        "deals": {"value": deals}, "appointments": {"value": appointments}, "leads": {"value": leads},
        "sessions": {"value": sessions}}
    assert kpis["leads_per_session"]["target"] == {"at_least": rates["sessions"]}
    assert draft["metrics"] == [{"id": "leads_per_session", "name": "見込み顧客獲得率（セッションあたり）",
                                 "name_en": "Leads per session", "phase": "revenue",
                                 "ratio": {"numerator": "leads", "denominator": "sessions"}}]
    deals_kpi = kpis["deals"]
    assert (deals_kpi["kgi"], deals_kpi["start"], deals_kpi["deadline"], deals_kpi["measure"]) == (
        "orders_fy2026", date(2026, 10, 1), date(2027, 9, 30), "cumulative")
    # the KGI started on 2026-10-01: the baseline is the 13 weeks before it
    assert deals_kpi["baseline"] == {"from": date(2026, 6, 29), "to": date(2026, 9, 27)}
    text = result.stdout
    assert "# 私たちが決めているのはKGIだけ" in text and "id: orders_fy2026  # 年間目標" in text  # comments kept
    assert f"逆算: 受注100件 ÷ 成約率 {rates['deals']:.1%}（実績）= 商談{deals}件" in text
    assert "直近13週（2026-W34〜2026-W46）の実績" in text
    # leads: more a week than the best 4 weeks of the last year → flagged, with the rate that would do
    best = _best_4_weeks(demo_home, "leads")
    needed = leads / (365 / 7)
    assert needed > best
    flagged = text.split("= 見込み顧客", 1)[1].split("  - id:", 1)[0]
    assert f"週{needed:,.0f}件が必要" in flagged and f"過去1年で最高の4週 週{best:,.1f}件" in flagged
    assert "⚠ 過去1年で一度も4週続けて届いていない水準です" in flagged
    assert f"アポイント獲得率を{appointments / (365 / 7) / best:.2%}に上げる必要があります" in flagged
    assert "unrealistic: leads, sessions" in result.stderr


def test_planned_rates_are_kept_and_each_gets_a_floor_kpi_with_its_feasibility(
        demo_home: Path, tmp_path: Path) -> None:
    result = run_cli("plan", str(_file(tmp_path, PLANNED)), "--lang", "en", home=demo_home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    draft = _yaml(result.stdout)
    assert draft["kgis"][0]["funnel"] == [{"stage": "deals", "rate": 0.5}, {"stage": "appointments", "rate": "50%"},
                                          {"stage": "leads", "rate": 0.1}]  # as written, nothing added
    targets = {k["metric"]: k["target"] for k in draft["kpis"]}
    # the whitepaper's chain: 100 ← 200 ← 400 ← 4,000, and the sessions those leads need
    assert targets == {
        "close_rate": {"at_least": 0.5}, "deals": {"value": 200}, "meeting_rate": {"at_least": 0.5},
        "appointments": {"value": 400}, "appointment_rate": {"at_least": 0.1}, "leads": {"value": 4000},
        "leads_per_session": {"at_least": _measured(demo_home, "sessions", "leads")},
        "sessions": {"value": math.ceil(4000 / _measured(demo_home, "sessions", "leads"))}}
    names = [k["name"] for k in draft["kpis"]]
    assert "200 deals in 1 year" in names and "Keep the appointment rate at 10.0% or more" in names
    text = result.stdout
    assert "worked back: 400 appointments ÷ appointment rate 10.0% (planned) = 4,000 leads" in text
    assert "assumes: close rate 50.0% (planned)" in text
    assert "feasibility: needs 10.0% / last 13 weeks" in text


def test_without_history_the_planned_rates_are_used_and_the_draft_says_so(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with connect(home / "warehouse.duckdb") as con:  # a warehouse with every table and no rows
        ensure_schema(con)
    two_steps = PLANNED.replace("      - {stage: leads, rate: 0.1}\n", "")
    result = run_cli("plan", str(_file(tmp_path, two_steps)), home=home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    draft = _yaml(result.stdout)
    assert [(k["metric"], k["target"]) for k in draft["kpis"]] == [
        ("close_rate", {"at_least": 0.5}), ("deals", {"value": 200}),
        ("meeting_rate", {"at_least": 0.5}), ("appointments", {"value": 400})]
    assert all("baseline" not in k for k in draft["kpis"])
    assert "倉庫に履歴がないため、KGIの funnel: に書かれた計画の転換率だけで逆算しました" in result.stdout
    assert "見込み顧客→アポイントの転換率がわからないため、ここで止めています" in result.stdout
    assert "実現性:" not in result.stdout  # no feasibility line: nothing to judge it by
    assert "no history: planned rates only" in result.stderr
    # a KGI without any rate and no history: nothing to draft, exit 2 saying which rate to write
    bare = run_cli("plan", str(_file(tmp_path, KGI_ONLY, "bare.yaml")), home=home, cwd=tmp_path)
    assert bare.returncode == 2
    assert "the rate from deals to orders is neither planned (funnel:) nor measurable" in bare.stderr


def test_out_writes_a_new_file_and_never_overwrites_one(demo_home: Path, tmp_path: Path) -> None:
    source = _file(tmp_path, KGI_ONLY)
    existing = tmp_path / "draft.yaml"
    existing.write_text("# mine\n", encoding="utf-8")
    refused = run_cli("plan", str(source), "--out", str(existing), home=demo_home, cwd=tmp_path)
    assert refused.returncode == 2
    assert f"--out {existing} already exists: plan never overwrites a file" in refused.stderr
    assert existing.read_text(encoding="utf-8") == "# mine\n"
    new = tmp_path / "new.yaml"
    wrote = run_cli("plan", str(source), "--out", str(new), home=demo_home, cwd=tmp_path)
    assert wrote.returncode == 0, wrote.stderr
    assert wrote.stdout == "" and f"wrote {new}: 5 KPIs for orders_fy2026" in wrote.stderr
    assert _yaml(new.read_text(encoding="utf-8"))["kpis"][0]["id"] == "orders_fy2026_deals"
    unknown = run_cli("plan", str(source), "--kgi", "orders", home=demo_home, cwd=tmp_path)
    assert unknown.returncode == 2 and "no KGI 'orders'; KGIs in the file: orders_fy2026" in unknown.stderr


def test_the_draft_passes_targets_check_and_a_run_judges_every_kpi(demo_home: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "warehouse.duckdb").write_bytes((demo_home / "warehouse.duckdb").read_bytes())
    draft = tmp_path / "kpi_targets.draft.yaml"
    made = run_cli("plan", str(_file(tmp_path, KGI_ONLY)), "--out", str(draft), home=home, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    checked = run_cli("targets", "check", str(draft), home=home, cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert f"OK: 1 KGIs, 5 KPIs ({draft})" in checked.stdout
    assert "kpis[" not in checked.stdout  # no warning about the drafted KPIs
    ran = run_cli("run", "--week", WEEK, home=home, cwd=tmp_path, KPI_TARGETS=str(draft))
    assert ran.returncode == 0, ran.stderr[-3000:]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        statuses = dict(con.execute("SELECT item_id, status FROM mart.kpi_progress WHERE week_start = ? "
                                    "AND kind = 'kpi'", [WEEK_START]).fetchall())
        stages = con.execute("SELECT stage, required_total FROM mart.funnel_plan WHERE week_start = ? "
                             "ORDER BY stage_order", [WEEK_START]).fetchall()
    ids = [k["id"] for k in _yaml(draft.read_text(encoding="utf-8"))["kpis"]]
    assert sorted(statuses) == sorted(ids)
    assert set(statuses.values()) <= {"on_track", "at_risk", "off_track"}  # judged, not no_data
    targets = {k["metric"]: k["target"].get("value") for k in _yaml(draft.read_text(encoding="utf-8"))["kpis"]}
    assert stages == [("orders", 100), ("deals", targets["deals"]), ("appointments", targets["appointments"]),
                      ("leads", targets["leads"])]
    html = (home / "reports" / WEEK / "report.html").read_text(encoding="utf-8")
    assert "1年で商談" in html and "セッションからの見込み顧客獲得率を" in html


def test_the_marketer_guides_walkthrough_is_what_plan_prints_on_the_demo(demo_home: Path, tmp_path: Path) -> None:
    guide = (DOCS / "marketer.md").read_text(encoding="utf-8").split("### From a KGI to KPIs", 1)[1]
    kgi_file, excerpt = (block.split("```", 1)[0] for block in guide.split("```yaml\n")[1:3])
    result = run_cli("plan", str(_file(tmp_path, kgi_file)), home=demo_home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    shown = [line.split("  # …")[0].rstrip() for line in excerpt.splitlines()
             if line.strip() not in ("…", "") and "# the rate that turns" not in line]
    printed = result.stdout.splitlines()
    assert len(shown) > 20 and [line for line in shown if line not in printed] == []


def test_kgis_that_cannot_be_worked_back_are_named_and_left_out(demo_home: Path, tmp_path: Path) -> None:
    example = _file(tmp_path, EXAMPLE_TARGETS.read_text(encoding="utf-8"))
    (tmp_path / "followers.example.csv").write_bytes((EXAMPLE_TARGETS.parent / "followers.example.csv").read_bytes())
    result = run_cli("plan", str(example), home=demo_home, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ("note: orders_x150: plan needs a total to reach over the period: target: {value: N}"
            in result.stderr)
    assert "note: social_sessions_x3: plan works backwards from a KGI on a sales-funnel stage" in result.stderr
    drafted = [k["kgi"] for k in _yaml(result.stdout)["kpis"][6:]]  # after the example's own six
    assert set(drafted) == {"orders_fy2026"}
    only = run_cli("plan", str(example), "--kgi", "orders_x150", home=demo_home, cwd=tmp_path)
    assert only.returncode == 2 and f"{example}: orders_x150: plan needs a total" in only.stderr
