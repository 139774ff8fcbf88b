"""The checks inside Dagster runs: a failing blocking check stops what is built on the week."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetKey,
    DagsterInstance,
    ExecuteInProcessResult,
    materialize,
)
from helpers.demo_warehouse import load_demo_raw

from kpi_pipeline.checks import RULES, all_checks
from kpi_pipeline.config.sites import SiteConfig, SitesResource
from kpi_pipeline.marts.assets import aarrr_weekly, metric_catalog, metrics_daily, metrics_weekly
from kpi_pipeline.orchestration.asset_defaults import with_house_policy
from kpi_pipeline.orchestration.partitions import partition_calendar
from kpi_pipeline.orchestration.resources import WarehouseResource
from kpi_pipeline.warehouse import connect, ensure_schema

pytestmark = pytest.mark.slow

WEEK = date(2026, 11, 9)  # 2026-W46, complete before today (2026-11-25)
SUNDAY = date(2026, 11, 15)
CALENDAR = partition_calendar("2024-01-01", "Asia/Tokyo")  # KPI_START_DATE, KPI_TIMEZONE defaults
# partitioned as the definitions loader partitions them
MARTS = with_house_policy([metric_catalog, metrics_daily, metrics_weekly, aarrr_weekly], CALENDAR)


def _warehouse_with_demo_week(home: Path) -> duckdb.DuckDBPyConnection:
    """$KPI_HOME/warehouse.duckdb with the week's demo raw rows (open: the test may break them)."""
    con = connect(home / "warehouse.duckdb")
    ensure_schema(con)
    load_demo_raw(con, WEEK, SUNDAY)
    return con


def _run(home: Path) -> ExecuteInProcessResult:
    return materialize(
        [*MARTS, *all_checks(CALENDAR)],
        selection=[AssetKey(["mart", n]) for n in ("metrics_daily", "metrics_weekly", "aarrr_weekly")],
        partition_key=WEEK.isoformat(),
        resources={"warehouse": WarehouseResource(kpi_home=str(home)),
                   "sites": SitesResource(sites=[SiteConfig(id="demo")])},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _materialized(result: ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _evaluations(result: ExecuteInProcessResult) -> dict[str, AssetCheckEvaluation]:
    return {
        f"{e.asset_key.to_user_string()} {e.check_name}": e
        for e in result.get_asset_check_evaluations()
    }


def test_a_clean_week_passes_every_check_and_builds_every_mart(tmp_path: Path) -> None:
    con = _warehouse_with_demo_week(tmp_path)
    con.close()
    result = _run(tmp_path)
    assert result.success
    assert _materialized(result) == {"mart/metrics_daily", "mart/metrics_weekly", "mart/aarrr_weekly"}
    evaluations = _evaluations(result)
    # every rule of the three marts (goal_days_loaded guards mart/kpi_progress, not built here)
    assert len(evaluations) == len([r for r in RULES if r.asset.path[1] in
                                    ("metrics_daily", "metrics_weekly", "aarrr_weekly")])
    failed = {k: e.description for k, e in evaluations.items() if not e.passed}
    # the demo rows end on the week's Sunday, so only the freshness warning may fire
    assert set(failed) <= {"mart/metrics_daily raw_data_fresh"}


def test_impossible_source_numbers_block_the_weekly_marts_and_say_which_day(tmp_path: Path) -> None:
    con = _warehouse_with_demo_week(tmp_path)
    con.execute("UPDATE raw.ga4_daily SET engaged_sessions = sessions + 40 "
                "WHERE date = DATE '2026-11-12'")
    con.close()
    result = _run(tmp_path)
    assert not result.success
    assert _materialized(result) == {"mart/metrics_daily"}  # weekly and AARRR never ran
    evaluations = _evaluations(result)
    check = evaluations["mart/metrics_daily sessions_at_least_engaged_sessions"]
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR
    assert "2026-W46 2026-11-12: engaged_sessions " in check.description
    assert check.metadata["violations"].value == 1
    # the negative bounce rate it causes is caught too, with the metric and day
    rates = evaluations["mart/metrics_daily rates_between_0_and_1"]
    assert "bounce_rate on 2026-11-12" in rates.description


def test_a_missing_day_and_a_widening_funnel_warn_without_stopping_the_week(tmp_path: Path) -> None:
    con = _warehouse_with_demo_week(tmp_path)
    con.execute("DELETE FROM raw.ga4_daily WHERE date = DATE '2026-11-12'")
    con.execute("UPDATE raw.crm_daily SET orders = deals + 5 WHERE date = DATE '2026-11-10'")
    con.close()
    result = _run(tmp_path)
    assert result.success
    assert "mart/aarrr_weekly" in _materialized(result)
    evaluations = _evaluations(result)
    missing = evaluations["mart/metrics_daily every_day_loaded"]
    assert not missing.passed and missing.severity == AssetCheckSeverity.WARN
    assert "2026-W46 2026-11-12: no row in raw.ga4_daily" in missing.description
    funnel = evaluations["mart/metrics_weekly funnel_narrows_downwards"]
    assert not funnel.passed and funnel.severity == AssetCheckSeverity.WARN
    assert funnel.description.startswith("mart/metrics_weekly funnel_narrows_downwards: 1 problem(s)")
    assert "2026-W46" in funnel.description and "> deals" in funnel.description
