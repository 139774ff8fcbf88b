"""Backfills: one single-run backfill over a range gives the same warehouse as week-by-week runs.

Both warehouses start from the same history (June to September 2026, so the example KPIs have
their baselines and the forecasts have recent weeks), copied into two separate KPI_HOME dirs.
Then four ISO weeks are built from the demo source: in one home the way the schedules do it
(ingest the week's days, then the weekly pipeline for that one partition, week after week), in
the other the way `kpi-pipeline backfill` does it (one ingest run over every day, one weekly run
over the partition range). Every raw and mart table must come out identical apart from load
timestamps.

The delivery assets (report files and e-mail, not tables) are left out of the weekly runs:
the CLI's backfill leaves them out too, and they have their own tests.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.definitions import build_definitions
from kpi_pipeline.orchestration.runner import ingest_days, run_weeks, without_delivery

pytestmark = pytest.mark.slow

HISTORY_FIRST_WEEK = date(2026, 6, 1)  # the earliest example baseline starts 2026-06-01
FIRST_WEEK = date(2026, 10, 5)  # 2026-W41, in the example targets' growth period
LAST_WEEK = date(2026, 10, 26)  # 2026-W44
WEEKS = [FIRST_WEEK + timedelta(days=7 * i) for i in range(4)]
TIMESTAMP_COLUMNS = {"loaded_at"}  # when a row was written, not what it says


@dataclass
class Built:
    home: Path
    instance: DagsterInstance


def _settings(home: Path) -> Settings:
    return Settings.from_env({"KPI_HOME": str(home)})


def _table_contents(path: Path) -> dict[str, list[tuple]]:
    """Every raw and mart table, all rows in a stable order, without load timestamps."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [f"{schema}.{name}" for schema, name in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE schema_name IN ('raw', 'mart') ORDER BY ALL"
        ).fetchall()]
        contents = {}
        for table in tables:
            schema, name = table.split(".")
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
                "ORDER BY column_index", [schema, name]
            ).fetchall() if c not in TIMESTAMP_COLUMNS]
            column_list = ", ".join(f'"{c}"' for c in columns)
            contents[table] = con.execute(f"SELECT {column_list} FROM {table} ORDER BY ALL").fetchall()
        return contents
    finally:
        con.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with every table built up to the week before the compared range."""
    home = tmp_path_factory.mktemp("history")
    defs = build_definitions(_settings(home))
    instance = DagsterInstance.ephemeral()
    ingest_days(defs, instance, HISTORY_FIRST_WEEK, FIRST_WEEK - timedelta(days=1))
    run_weeks(defs, instance, HISTORY_FIRST_WEEK, FIRST_WEEK - timedelta(days=7),
              selection=without_delivery(defs))
    return home / "warehouse.duckdb"


def _home_with_history(tmp_path_factory: pytest.TempPathFactory, name: str, history: Path) -> Path:
    home = tmp_path_factory.mktemp(name)
    for source in (history, history.with_name(history.name + ".wal")):  # a WAL only if unflushed
        if source.exists():
            shutil.copy2(source, home / source.name)
    return home


@pytest.fixture(scope="module")
def week_by_week(tmp_path_factory: pytest.TempPathFactory, history: Path) -> Built:
    """As the schedules do it: each week's days, then that week's partition, one week at a time."""
    home = _home_with_history(tmp_path_factory, "week_by_week", history)
    defs = build_definitions(_settings(home))
    instance = DagsterInstance.ephemeral()
    selection = without_delivery(defs)
    for week in WEEKS:
        ingest_days(defs, instance, week, week + timedelta(days=6))
        run_weeks(defs, instance, week, week, selection=selection)
    return Built(home, instance)


@pytest.fixture(scope="module")
def single_run_backfill(tmp_path_factory: pytest.TempPathFactory, history: Path) -> Built:
    """As `kpi-pipeline backfill` does it: one ingest over every day, one run over the range."""
    home = _home_with_history(tmp_path_factory, "single_run", history)
    defs = build_definitions(_settings(home))
    instance = DagsterInstance.ephemeral()
    ingest_days(defs, instance, FIRST_WEEK, LAST_WEEK + timedelta(days=6))
    run_weeks(defs, instance, FIRST_WEEK, LAST_WEEK, selection=without_delivery(defs))
    return Built(home, instance)


def test_a_single_run_backfill_gives_the_same_tables_as_week_by_week_runs(
    week_by_week: Built, single_run_backfill: Built
) -> None:
    by_week = _table_contents(week_by_week.home / "warehouse.duckdb")
    backfilled = _table_contents(single_run_backfill.home / "warehouse.duckdb")

    assert sorted(backfilled) == sorted(by_week)
    for table in ("raw.ga4_daily", "raw.crm_daily", "mart.metrics_daily", "mart.metrics_weekly",
                  "mart.aarrr_weekly", "mart.kpi_progress", "mart.funnel_plan"):
        assert by_week[table], f"{table} is empty: the comparison would prove nothing"
    for table in by_week:
        assert backfilled[table] == by_week[table], f"{table} differs"


def test_the_compared_weeks_have_kpis_measured_against_their_pace(week_by_week: Built) -> None:
    """Guards the comparison above: with baselines in the history, pacing and forecasts ran."""
    con = duckdb.connect(str(week_by_week.home / "warehouse.duckdb"), read_only=True)
    try:
        paced = con.execute(
            "SELECT week_start, count(*) FROM mart.kpi_progress WHERE week_start >= ? "
            "AND expected IS NOT NULL AND status IN ('on_track', 'at_risk', 'off_track') "
            "GROUP BY ALL ORDER BY ALL", [FIRST_WEEK]
        ).fetchall()
    finally:
        con.close()
    assert [week for week, _ in paced] == WEEKS
    assert all(count >= 3 for _, count in paced)


def test_every_week_of_the_range_has_its_own_rows(single_run_backfill: Built) -> None:
    con = duckdb.connect(str(single_run_backfill.home / "warehouse.duckdb"), read_only=True)
    try:
        weeks_with_rows = {
            table: {w for (w,) in con.execute(
                f"SELECT DISTINCT week_start FROM {table} WHERE week_start >= ?", [FIRST_WEEK]
            ).fetchall()}
            for table in ("mart.metrics_weekly", "mart.aarrr_weekly", "mart.kpi_progress",
                          "mart.funnel_plan")
        }
    finally:
        con.close()
    for table, weeks in weeks_with_rows.items():
        assert weeks == set(WEEKS), table


def test_a_range_backfill_is_one_run_of_the_weekly_job(single_run_backfill: Built) -> None:
    runs = single_run_backfill.instance.get_runs()
    weekly = [run for run in runs if run.job_name == "weekly_pipeline"]
    ingest = [run for run in runs if run.job_name == "daily_ingest"]

    assert len(weekly) == 1
    assert len(ingest) == 1
    assert weekly[0].tags["dagster/asset_partition_range_start"] == FIRST_WEEK.isoformat()
    assert weekly[0].tags["dagster/asset_partition_range_end"] == LAST_WEEK.isoformat()
    assert ingest[0].tags["dagster/asset_partition_range_start"] == FIRST_WEEK.isoformat()
    # raw ingest is partitioned by ISO week too (docs/design-notes.md)
    assert ingest[0].tags["dagster/asset_partition_range_end"] == LAST_WEEK.isoformat()


def test_the_one_backfill_run_marks_every_partition_of_the_range_materialized(
    single_run_backfill: Built,
) -> None:
    instance = single_run_backfill.instance
    weeks = {week.isoformat() for week in WEEKS}

    for name in ("metrics_weekly", "kpi_progress", "funnel_plan"):
        assert instance.get_materialized_partitions(AssetKey(["mart", name])) == weeks, name
    for name in ("ga4_daily", "ga4_by_dimension", "crm_daily"):
        assert instance.get_materialized_partitions(AssetKey(["raw", name])) == weeks, name


def test_week_by_week_is_one_run_per_week_and_job(week_by_week: Built) -> None:
    runs = week_by_week.instance.get_runs()
    weekly = sorted(run.tags["dagster/partition"] for run in runs
                    if run.job_name == "weekly_pipeline")

    assert weekly == [week.isoformat() for week in WEEKS]
    assert sum(run.job_name == "daily_ingest" for run in runs) == len(WEEKS)
