"""The CLI's batching SQLite event log records what the stock one records.

The same three-week range run of the SQL marts (with their asset checks) on two copies of the
session's demo warehouse: once on a stock SQLite instance (the repo's dagster.yaml, as `dagster
dev` opens it), once on the instance the CLI opens (`runner.instance_for_cli`, which writes each
asset's per-partition events in one transaction). Both instances are then read back the way the
UI reads them, with the stock classes: per-partition materializations, the asset's latest event,
tag names and check results must be the same (tag values point at each run's own storage ids
and data versions, which differ between any two runs).
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance
from helpers.demo_warehouse import copy_demo

from kpi_pipeline.definitions import build_definitions
from kpi_pipeline.event_log import BatchingSqliteEventLogStorage
from kpi_pipeline.jobs import METRICS_DAILY, METRICS_WEEKLY
from kpi_pipeline.runner import instance_for_cli, run_weeks
from kpi_pipeline.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
FIRST_WEEK, LAST_WEEK = date(2026, 10, 19), date(2026, 11, 2)
WEEKS = {(FIRST_WEEK + timedelta(weeks=i)).isoformat() for i in range(3)}
AARRR_WEEKLY = AssetKey(["mart", "aarrr_weekly"])
MARTS = [METRICS_DAILY, METRICS_WEEKLY, AARRR_WEEKLY]


def _seen_by_the_ui(instance_dir: Path) -> dict[str, object]:
    """What the UI's stock instance reads back: per asset and per check."""
    seen: dict[str, object] = {}
    with DagsterInstance.from_config(str(instance_dir)) as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        for key in MARTS:
            name = key.to_user_string()
            records = instance.fetch_materializations(key, limit=1000).records
            latest = instance.get_latest_materialization_event(key)
            seen[name] = {
                "partitions": sorted(instance.get_materialized_partitions(key)),
                "events": sorted(r.asset_materialization.partition for r in records),
                "latest": (latest.asset_materialization.partition,
                           latest.asset_materialization.metadata["dagster/row_count"].value),
                # which tags each event carries (their values name run-specific storage ids)
                "tags": sorted(tuple(sorted(r.asset_materialization.tags)) for r in records),
            }
        checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [AssetCheckKey(METRICS_WEEKLY, "weekly_sums_match_daily")])
        seen["checks"] = sorted(str(r.status) for r in checks.values())
    return seen


def _run_range(home: Path, instance: DagsterInstance) -> None:
    defs = build_definitions(Settings.from_env({"KPI_HOME": str(home)}))
    run_weeks(defs, instance, FIRST_WEEK, LAST_WEEK, selection=MARTS)


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> tuple[Path, Path]:
    stock, batching = tmp_path_factory.mktemp("stock"), tmp_path_factory.mktemp("batching")
    for home in (stock, batching):
        copy_demo(demo_template, home)
        (home / "dagster").mkdir()
        shutil.copy(ROOT / "kpi_pipeline" / "dagster.yaml", home / "dagster" / "dagster.yaml")
    with DagsterInstance.from_config(str(stock / "dagster")) as instance:
        _run_range(stock, instance)
    with instance_for_cli(Settings.from_env({"KPI_HOME": str(batching)})) as instance:
        assert isinstance(instance.event_log_storage, BatchingSqliteEventLogStorage)
        _run_range(batching, instance)
    return stock, batching


def test_the_ui_sees_every_partition_of_a_range_run_written_in_batches(
        homes: tuple[Path, Path]) -> None:
    batched = _seen_by_the_ui(homes[1] / "dagster")

    for key in MARTS:
        assert batched[key.to_user_string()]["partitions"] == sorted(WEEKS)
        assert batched[key.to_user_string()]["events"] == sorted(WEEKS)
    assert batched["checks"], "the range run's check results are recorded"


def test_batched_events_read_back_as_the_stock_event_log_writes_them(
        homes: tuple[Path, Path]) -> None:
    assert _seen_by_the_ui(homes[1] / "dagster") == _seen_by_the_ui(homes[0] / "dagster")
