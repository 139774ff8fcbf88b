"""The CLI's SQLite event log records what the stock one records, and the UI reads it as before.

The same three-week range run of the SQL marts (with their asset checks) on copies of the
session's demo warehouse: once on a stock SQLite instance (the repo's dagster.yaml, as `dagster
dev` opens it), once on the instance the CLI opens (`runner.instance_for_cli`: one open
connection per file, syncs at checkpoints, per-partition events in one transaction), and once
in a CLI process killed with SIGKILL right after its run, its instance never closed. Every
instance is then read back the way the UI reads it, with the stock classes: per-partition
materializations, the asset's latest event, tag names, the run's events by kind, the index's
rows and every check execution row must be the same (tag values, run ids and storage ids
differ between any two runs).

No-work Dagster jobs on the CLI's instance show the rest of the contract: runs from two threads
at once are recorded whole, and the UI's watcher of a run's file (how it streams a running run)
sees a CLI run's events while the CLI still has the file open.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetKey,
    BackfillPolicy,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    JobDefinition,
    WeeklyPartitionsDefinition,
    asset,
    define_asset_job,
    multi_asset_check,
)
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster._serdes import deserialize_value
from helpers.demo_warehouse import copy_demo
from helpers.paths import REPO_ROOT
from helpers.processes import running, wait_for_line

from kpi_pipeline.checks.assets import partitioned_check_spec
from kpi_pipeline.config.settings import Settings, apply_dagster_env_defaults
from kpi_pipeline.definitions import build_definitions
from kpi_pipeline.orchestration.event_log import OPEN_RUN_FILES, BatchingSqliteEventLogStorage
from kpi_pipeline.orchestration.jobs import METRICS_DAILY, METRICS_WEEKLY
from kpi_pipeline.orchestration.runner import instance_for_cli, run_weeks

ROOT = REPO_ROOT
FIRST_WEEK, LAST_WEEK = date(2026, 10, 19), date(2026, 11, 2)
WEEKS = {(FIRST_WEEK + timedelta(weeks=i)).isoformat() for i in range(3)}
AARRR_WEEKLY = AssetKey(["mart", "aarrr_weekly"])
MARTS = [METRICS_DAILY, METRICS_WEEKLY, AARRR_WEEKLY]


def _kind(event: EventLogEntry) -> str:
    return event.dagster_event_type.value if event.dagster_event_type else "message"


def _index_rows(instance: DagsterInstance) -> dict[str, list[tuple]]:
    """The index file's event and check rows, less what names a run or a storage id."""
    storage = instance.event_log_storage
    assert type(storage) is SqliteEventLogStorage
    with storage.index_connection() as conn:
        events = conn.exec_driver_sql(
            "SELECT dagster_event_type, asset_key, partition FROM event_logs").fetchall()
        checks = conn.exec_driver_sql(
            "SELECT asset_key, check_name, partition, execution_status, evaluation_event "
            "FROM asset_check_executions").fetchall()
    return {
        "events": sorted(tuple(map(str, row)) for row in events),
        # the serialized event must read back, as the UI's check history reads it
        "checks": sorted((*map(str, row[:4]), deserialize_value(row[4], EventLogEntry)
                          .get_dagster_event().event_type_value) for row in checks),
    }


def _seen_by_the_ui(instance_dir: Path) -> dict[str, object]:
    """What the UI's stock instance reads back: per asset, per run and in the index."""
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
        seen["runs"] = sorted(
            sorted(Counter(_kind(e) for e in instance.all_logs(run.run_id)).items())
            for run in instance.get_runs())
        seen["index"] = _index_rows(instance)
    return seen


def _instance_dir(home: Path, demo_template: Path) -> Path:
    copy_demo(demo_template, home)
    (home / "dagster").mkdir()
    shutil.copy(ROOT / "kpi_pipeline" / "dagster.yaml", home / "dagster" / "dagster.yaml")
    return home / "dagster"


def _run_range(home: Path, instance: DagsterInstance) -> None:
    defs = build_definitions(Settings.from_env({"KPI_HOME": str(home)}))
    run_weeks(defs, instance, FIRST_WEEK, LAST_WEEK, selection=MARTS)


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> tuple[Path, Path]:
    stock, batching = tmp_path_factory.mktemp("stock"), tmp_path_factory.mktemp("batching")
    apply_dagster_env_defaults()  # what the CLI sets (and `make dagster`): the same events on both
    with DagsterInstance.from_config(str(_instance_dir(stock, demo_template))) as instance:
        _run_range(stock, instance)
    _instance_dir(batching, demo_template)
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
    planned = [row for row in batched["index"]["checks"]
               if row[4] == "ASSET_CHECK_EVALUATION_PLANNED"]
    assert {row[2] for row in planned} == WEEKS, "a planned check row per partition"
    assert any(row[4] == "ASSET_CHECK_EVALUATION" for row in batched["index"]["checks"])


def test_batched_events_read_back_as_the_stock_event_log_writes_them(
        homes: tuple[Path, Path]) -> None:
    assert _seen_by_the_ui(homes[1] / "dagster") == _seen_by_the_ui(homes[0] / "dagster")


def test_a_cli_process_killed_after_its_run_loses_none_of_its_events(
        homes: tuple[Path, Path], tmp_path: Path, demo_template: Path) -> None:
    home = tmp_path / "killed"
    _instance_dir(home, demo_template)
    with running("event_log_run", str(home), FIRST_WEEK.isoformat(), LAST_WEEK.isoformat()) as cli:
        wait_for_line(cli, "stored ")
        os.kill(cli.pid, signal.SIGKILL)  # no checkpoint, no close: the write-ahead logs as left
        assert cli.wait(timeout=30) == -signal.SIGKILL

    assert _seen_by_the_ui(home / "dagster") == _seen_by_the_ui(homes[0] / "dagster")


# -- no-work jobs: threads, the UI's watcher, files kept open -------------------------------------

NOOP_WEEKS = WeeklyPartitionsDefinition(start_date="2026-01-05", day_offset=1)  # ISO weeks
NOOP_FIRST, NOOP_LAST = date(2026, 1, 5), date(2026, 3, 23)  # 12 weeks
NOOP_ASSETS = 3


def _noop_job() -> JobDefinition:
    """Chained weekly assets backfilled in one run, and a step of partitioned checks."""
    keys, assets = [], []
    for i in range(NOOP_ASSETS):
        @asset(name=f"noop{i}", partitions_def=NOOP_WEEKS, deps=keys[-1:],
               backfill_policy=BackfillPolicy.single_run())
        def _asset() -> None:
            return None

        keys.append(_asset.key)
        assets.append(_asset)
    specs = [partitioned_check_spec(f"check{j}", keys[-1], NOOP_WEEKS, "no-op", blocking=False)
             for j in range(2)]

    @multi_asset_check(specs=specs)
    def _checks():
        for spec in specs:
            yield AssetCheckResult(asset_key=keys[-1], check_name=spec.name, passed=True)

    return Definitions(assets=assets, asset_checks=[_checks],
                       jobs=[define_asset_job("noop")]).resolve_job_def("noop")


NOOP_RANGE = {ASSET_PARTITION_RANGE_START_TAG: NOOP_FIRST.isoformat(),
              ASSET_PARTITION_RANGE_END_TAG: NOOP_LAST.isoformat()}


def _stored(instance_dir: Path, run_id: str) -> list[tuple[str, int]]:
    """A run's events by kind, read by the UI's stock instance."""
    with DagsterInstance.from_config(str(instance_dir)) as instance:
        return sorted(Counter(_kind(e) for e in instance.all_logs(run_id)).items())


@pytest.fixture
def cli_home(tmp_path: Path) -> Path:
    (tmp_path / "dagster").mkdir()
    shutil.copy(ROOT / "kpi_pipeline" / "dagster.yaml", tmp_path / "dagster" / "dagster.yaml")
    return tmp_path


def test_events_stored_from_eight_threads_at_once_are_all_recorded(cli_home: Path,
                                                                    tmp_path: Path) -> None:
    """A run's events replayed by 8 threads at once, each as its own run, the way Dagster hands
    them over: per-partition materializations as a batch per asset, everything else one by one.
    (Runs themselves are not started from threads here: Dagster reconfigures Python logging at
    each run start, which is not safe while another thread's run logs.)"""
    stock_dir = tmp_path / "stock"
    stock_dir.mkdir()
    with DagsterInstance.from_config(str(stock_dir)) as instance:
        reference = _noop_job().execute_in_process(instance=instance, tags=NOOP_RANGE).run_id
        events = list(instance.all_logs(reference))
    materialization = DagsterEventType.ASSET_MATERIALIZATION
    threads_runs = [f"0b5e7a53-0000-4000-8000-{i:012d}" for i in range(8)]
    errors: list[BaseException] = []

    with instance_for_cli(Settings.from_env({"KPI_HOME": str(cli_home)})) as instance:
        storage = instance.event_log_storage

        def replay(run_id: str) -> None:
            try:
                entries = [event._replace(run_id=run_id) for event in events]
                batches: dict[AssetKey, list[EventLogEntry]] = {}
                for entry in entries:
                    if entry.dagster_event_type == materialization:
                        batches.setdefault(entry.dagster_event.asset_key, []).append(entry)
                    else:
                        storage.store_event(entry)
                for batch in batches.values():
                    storage.store_event_batch(batch)
            except BaseException as exc:  # reported below, with the thread's traceback
                errors.append(exc)

        threads = [threading.Thread(target=replay, args=(run_id,)) for run_id in threads_runs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)

    assert not errors, errors
    expected = _stored(stock_dir, reference)
    assert dict(expected)["ASSET_MATERIALIZATION"] == NOOP_ASSETS * 12
    for run_id in threads_runs:
        assert _stored(cli_home / "dagster", run_id) == expected
    with DagsterInstance.from_config(str(cli_home / "dagster")) as instance:
        for i in range(NOOP_ASSETS):
            records = instance.fetch_materializations(AssetKey(f"noop{i}"), limit=1000).records
            assert len(records) == 8 * 12
            assert {r.run_id for r in records} == set(threads_runs)


def test_the_uis_watcher_streams_a_cli_run_while_the_cli_keeps_its_file_open(cli_home: Path) -> None:
    job, run_id = _noop_job(), "0b5e7a53-0000-4000-8000-00000000cafe"
    seen: list[str] = []

    def on_event(event: EventLogEntry, _cursor: str) -> None:
        seen.append(_kind(event))

    ui = SqliteEventLogStorage(str(cli_home / "dagster" / "history" / "runs"))
    ui.watch(run_id, None, on_event)
    try:
        with instance_for_cli(Settings.from_env({"KPI_HOME": str(cli_home)})) as instance:
            job.execute_in_process(instance=instance, tags=NOOP_RANGE, run_id=run_id)
            deadline = time.monotonic() + 30
            while "PIPELINE_SUCCESS" not in seen and time.monotonic() < deadline:
                time.sleep(0.1)
            assert run_id in instance.event_log_storage._engines, "the run's file is still open"
            assert "PIPELINE_SUCCESS" in seen
    finally:
        ui.end_watch(run_id, on_event)
        ui.dispose()
    assert seen.count("ASSET_MATERIALIZATION") == NOOP_ASSETS * 12


def test_a_run_file_closed_after_later_runs_is_reopened_and_written(cli_home: Path) -> None:
    job = _noop_job()
    with instance_for_cli(Settings.from_env({"KPI_HOME": str(cli_home)})) as instance:
        first = job.execute_in_process(instance=instance, partition_key=NOOP_FIRST.isoformat())
        for _ in range(OPEN_RUN_FILES):
            job.execute_in_process(instance=instance, partition_key=NOOP_LAST.isoformat())
        assert first.run_id not in instance.event_log_storage._engines
        instance.report_engine_event("a late event", instance.get_run_by_id(first.run_id))

    with DagsterInstance.from_config(str(cli_home / "dagster")) as instance:
        messages = [event.message for event in instance.all_logs(first.run_id)]
    assert "a late event" in messages
    assert messages.count("a late event") == 1
