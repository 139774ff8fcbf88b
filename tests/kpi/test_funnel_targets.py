"""``targets check`` warns when a KPI's target cannot deliver its KGI's reverse-funnel need."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
from typer.testing import CliRunner

from kpi_pipeline.cli.app import _register_commands, app
from kpi_pipeline.config.settings import EXAMPLE_TARGETS
from kpi_pipeline.kpi.funnel.kpi_targets import funnel_shortfalls
from kpi_pipeline.kpi.metric_history import MetricHistory
from kpi_pipeline.targets import load_targets
from kpi_pipeline.warehouse.sql_files import ensure_schema

_register_commands()

TARGETS = """\
kgis:
  - id: orders_fy
    name: 1年で受注100件
    metric: orders
    period: {{start: 2026-04-01, end: 2027-03-31}}
    target: {{value: 100}}
    funnel:
      - {{stage: deals, rate: 0.5}}
      - {{stage: appointments, rate: 0.5}}
      - {{stage: leads, rate: 0.1}}
kpis:
  - id: appointments_x160
    name: アポイント数を1.6倍に
    kgi: orders_fy
    metric: appointments
    start: 2026-04-01
    deadline: 2027-03-31
    baseline: {baseline}
    target: {{multiplier: 1.6}}
"""


def write(tmp_path: Path, baseline: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(TARGETS.format(baseline=baseline), encoding="utf-8")
    return path


def last_year(per_year: float) -> pd.DataFrame:
    days = [date(2025, 4, 1) + timedelta(days=i) for i in range(365)]
    value = per_year / 365
    return pd.DataFrame({"site_id": "demo", "date": days, "metric_id": "appointments", "value": value,
                         "numerator": value, "denominator": None, "is_provisional": False})


def test_appointments_x16_from_200_a_year_give_320_where_the_funnel_needs_400(tmp_path: Path) -> None:
    targets = load_targets(write(tmp_path, "{from: 2025-04-01, to: 2026-03-31}"))
    found = funnel_shortfalls(targets, MetricHistory(last_year(200), None, "demo"))
    assert [(f.kpi.id, round(f.gives), f.needs) for f in found] == [("appointments_x160", 320, 400)]
    assert found[0].message() == (
        "appointments_x160's target gives 320 appointments over orders_fy's period (6.1 a week), "
        "but its reverse funnel needs 400 (7.7 a week): raise the target or revisit the funnel rates")
    # 250 a year × 1.6 = 400: enough
    assert funnel_shortfalls(targets, MetricHistory(last_year(250), None, "demo")) == []


def test_without_history_a_baseline_window_is_not_guessed(tmp_path: Path) -> None:
    targets = load_targets(write(tmp_path, "{from: 2025-04-01, to: 2026-03-31}"))
    assert funnel_shortfalls(targets) == []
    assert funnel_shortfalls(load_targets(EXAMPLE_TARGETS)) == []  # the bundled example plans enough


def test_targets_check_prints_the_warning_and_still_passes(tmp_path: Path) -> None:
    path = write(tmp_path, "{value: 4}")  # 4 × 1.6 = 6.4 a week → 334 in a year, 400 needed
    result = CliRunner().invoke(app, ["targets", "check", str(path)], env={"KPI_HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "OK: 1 KGIs, 1 KPIs" in result.stdout
    # the target is on line 19 of the file
    assert f"warning: {path}:19: kpis[0].target: appointments_x160's target gives 334 appointments" in result.stdout
    assert "needs 400 (7.7 a week)" in result.stdout


def test_targets_check_reads_the_baseline_from_the_published_copy(tmp_path: Path) -> None:
    path = write(tmp_path, "{from: 2025-04-01, to: 2026-03-31}")
    con = duckdb.connect(str(tmp_path / "published.duckdb"))
    ensure_schema(con)
    con.register("last_year", last_year(200))
    con.execute("INSERT INTO mart.metrics_daily BY NAME SELECT * FROM last_year")
    con.close()
    result = CliRunner().invoke(app, ["targets", "check", str(path)], env={"KPI_HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "gives 320 appointments" in result.stdout and "needs 400" in result.stdout


def test_funnel_prints_where_the_chain_stands_in_the_published_week(tmp_path: Path) -> None:
    from kpi_pipeline.kpi.funnel.plan import funnel_progress
    from kpi_pipeline.warehouse import replace_rows

    targets = load_targets(EXAMPLE_TARGETS)
    totals = {"orders": 70, "deals": 110, "appointments": 215, "leads": 2715}
    daily = pd.DataFrame([("demo", date(2026, 5, 1), m, v, v, None, False) for m, v in totals.items()],
                         columns=["site_id", "date", "metric_id", "value", "numerator", "denominator", "is_provisional"])
    con = duckdb.connect(str(tmp_path / "published.duckdb"))
    ensure_schema(con)
    replace_rows(con, "mart.funnel_plan", funnel_progress(targets, "demo", date(2026, 11, 16), daily), "true")
    con.close()
    result = CliRunner().invoke(app, ["funnel", str(EXAMPLE_TARGETS), "--lang", "ja"], env={"KPI_HOME": str(tmp_path)})
    assert result.exit_code == 0, result.output
    assert "2026-W47 時点" in result.stdout
    # 185 missing appointments at 10 %: 1,850 more leads, not the 1,285 of their own gap
    assert "見込み顧客: 実績 2,715 / 残り必要数 1,850（週100.4）  アポイント獲得率 計画10%・実績7.9%" in result.stdout
    assert "← ボトルネック: アポイント獲得率が計画10%に対し実績7.9%" in result.stdout
    empty = CliRunner().invoke(app, ["funnel", str(EXAMPLE_TARGETS), "--lang", "ja"],
                               env={"KPI_HOME": str(tmp_path / "none")})
    assert "時点" not in empty.stdout and "100 ← 200 ← 400 ← 4,000" in empty.stdout
