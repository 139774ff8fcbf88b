"""End to end on the demo source: Dagster runs over real DuckDB files, as `kpi-pipeline run` does."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.definitions import build_definitions
from kpi_pipeline.orchestration.runner import ingest_days, run_weeks, without_delivery

pytestmark = pytest.mark.slow

WEEK = date(2026, 11, 16)  # 2026-W47
FIRST_DAY = date(2026, 3, 30)  # covers the example targets' fiscal year and baselines
FIRST_WEEK = date(2026, 3, 30)

TABLES = ["raw.ga4_daily", "raw.ga4_by_dimension", "raw.ga4_weekly_users", "raw.crm_daily",
          "mart.metrics_daily", "mart.metrics_weekly", "mart.aarrr_weekly", "mart.kpi_progress",
          "mart.funnel_plan", "mart.goal_drivers", "mart.metric_anomalies"]


def _snapshot(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            table: con.execute(
                f"SELECT * EXCLUDE (loaded_at) FROM {table} ORDER BY ALL"
                if table.startswith("raw.") else f"SELECT * FROM {table} ORDER BY ALL"
            ).fetchall()
            for table in TABLES
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def pipeline_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("kpi_home")
    settings = Settings.from_env({"KPI_HOME": str(home)})
    defs = build_definitions(settings)
    instance = DagsterInstance.ephemeral()
    ingest_days(defs, instance, FIRST_DAY, date(2026, 11, 22))
    # every table over the range in one run; only W47's report is read, so the 33 weeks before
    # it are not rendered (a range run with delivery renders each week's report and PDF)
    run_weeks(defs, instance, FIRST_WEEK, WEEK - timedelta(weeks=1), selection=without_delivery(defs))
    run_weeks(defs, instance, WEEK, WEEK)
    return home


def test_a_week_run_fills_every_mart_for_that_week(pipeline_home: Path) -> None:
    con = duckdb.connect(str(pipeline_home / "warehouse.duckdb"), read_only=True)
    for table in TABLES[4:-1]:
        key = "date" if table == "mart.metrics_daily" else "week_start"
        rows = con.execute(
            f"SELECT count(*) FROM {table} WHERE {key} BETWEEN ? AND ?",
            [WEEK, date(2026, 11, 22)],
        ).fetchone()[0]
        assert rows > 0, table
    con.close()


def test_kpi_progress_has_the_example_kpis_in_japanese_with_statuses(pipeline_home: Path) -> None:
    con = duckdb.connect(str(pipeline_home / "warehouse.duckdb"), read_only=True)
    rows = dict(con.execute(
        "SELECT name, status FROM mart.kpi_progress WHERE week_start = ?", [WEEK]
    ).fetchall())
    con.close()
    assert "2ヶ月でセッション数を1.25倍に" in rows
    assert set(rows.values()) <= {"on_track", "at_risk", "off_track", "achieved", "missed",
                                  "not_started"}


def test_funnel_plan_is_the_whitepaper_reverse_funnel(pipeline_home: Path) -> None:
    con = duckdb.connect(str(pipeline_home / "warehouse.duckdb"), read_only=True)
    required = dict(con.execute(
        "SELECT stage, required_total FROM mart.funnel_plan WHERE week_start = ?", [WEEK]
    ).fetchall())
    bottlenecks = con.execute(
        "SELECT count(*) FROM mart.funnel_plan WHERE week_start = ? AND is_bottleneck", [WEEK]
    ).fetchone()[0]
    con.close()
    assert required == {"orders": 100, "deals": 200, "appointments": 400, "leads": 4000}
    assert bottlenecks == 1


def test_funnel_needs_flow_down_from_the_kgi_at_its_pacing(pipeline_home: Path) -> None:
    con = duckdb.connect(str(pipeline_home / "warehouse.duckdb"), read_only=True)
    stages = {r[0]: r[1:] for r in con.execute(
        "SELECT stage, rate_to_next, remaining_need, required_to_date, actual_rate, actual_to_date "
        "FROM mart.funnel_plan WHERE week_start = ? ORDER BY stage_order", [WEEK]).fetchall()}
    kgi_expected = con.execute(
        "SELECT expected FROM mart.kpi_progress WHERE week_start = ? AND item_id = 'orders_fy2026'",
        [WEEK]).fetchone()[0]
    con.close()
    order = ["orders", "deals", "appointments", "leads"]
    for below, above in zip(order, order[1:], strict=False):  # each stage covers the one below through its rate
        rate, need = stages[above][0], stages[above][1]
        assert need >= stages[below][1] / rate - 1e-9, above
        assert stages[above][3] == pytest.approx(stages[below][4] / stages[above][4])  # actual rate
    assert stages["orders"][2] == pytest.approx(kgi_expected)  # the KGI row and the funnel agree


def test_goal_drivers_add_up_to_each_goals_change(pipeline_home: Path) -> None:
    con = duckdb.connect(str(pipeline_home / "warehouse.duckdb"), read_only=True)
    worst = con.execute(
        "SELECT max(abs(s - change)) FROM (SELECT sum(contribution) AS s, "
        "any_value(value_to) - any_value(value_from) AS change FROM mart.goal_drivers "
        "GROUP BY site_id, week_start, item_id, comparison, kind)").fetchone()[0]
    kinds = set(con.execute(
        "SELECT item_id, comparison, kind FROM mart.goal_drivers WHERE week_start = ?", [WEEK]).fetchall())
    orders_week = con.execute(
        "SELECT value FROM mart.metrics_weekly WHERE week_start = ? AND metric_id = 'orders'", [WEEK]).fetchone()[0]
    orders_to = con.execute(
        "SELECT DISTINCT value_to FROM mart.goal_drivers WHERE week_start = ? AND item_id = 'orders_x150' "
        "AND comparison = 'previous_week'", [WEEK]).fetchall()
    # against the baseline the drivers explain the very number the status judged (for a small
    # count like orders_x150, its mean over the weeks since the start), never another one
    judged = con.execute(
        "SELECT p.item_id, p.actual, p.judged_weeks, any_value(d.value_to) FROM mart.kpi_progress p "
        "JOIN mart.goal_drivers d USING (site_id, week_start, item_id) "
        "WHERE p.week_start = ? AND d.comparison = 'baseline' AND NOT p.cumulative GROUP BY ALL",
        [WEEK]).fetchall()
    con.close()
    assert worst <= 1e-9
    for comparison in ("previous_week", "baseline"):
        assert ("orders_x150", comparison, "factor") in kinds
        assert {("sessions_x125", comparison, k) for k in ("channel", "landing_page", "campaign")} <= kinds
    assert orders_to == [(pytest.approx(orders_week),)]
    assert {item for item, *_ in judged} >= {"orders_x150", "sessions_x125"}
    for item, actual, weeks, value_to in judged:
        assert value_to == pytest.approx(actual), (item, weeks)
    assert dict((item, weeks) for item, _, weeks, _ in judged)["orders_x150"] > 1


def test_the_report_says_why_and_shows_the_chained_funnel(pipeline_home: Path) -> None:
    html = next((pipeline_home / "reports").rglob("2026-W47/report.html")).read_text(encoding="utf-8")
    assert "遅れている目標の要因" in html
    assert "実績の転換率" in html and "残り必要数" in html
    assert "ボトルネック: アポイント獲得率が計画10%に対し実績" in html
    assert "リードナーチャリング" in html


def test_rerunning_the_same_week_leaves_identical_tables(pipeline_home: Path) -> None:
    before = _snapshot(pipeline_home / "warehouse.duckdb")
    settings = Settings.from_env({"KPI_HOME": str(pipeline_home)})
    defs = build_definitions(settings)
    instance = DagsterInstance.ephemeral()
    ingest_days(defs, instance, WEEK, date(2026, 11, 22))
    run_weeks(defs, instance, WEEK, WEEK)
    assert _snapshot(pipeline_home / "warehouse.duckdb") == before


def test_the_analyst_copy_is_published_with_documented_tables(pipeline_home: Path) -> None:
    con = duckdb.connect(str(pipeline_home / "published.duckdb"), read_only=True)
    comments = dict(con.execute(
        "SELECT schema_name || '.' || table_name, comment FROM duckdb_tables()"
    ).fetchall())
    con.close()
    assert comments["mart.kpi_progress"]
    assert (pipeline_home / "published" / "mart.kpi_progress.parquet").exists()
