"""deploy/postgres/dagster.yaml: a Dagster instance whose runs, events and schedules live in a
real PostgreSQL server, configured from DAGSTER_PG_* variables, as a deployment runs it."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, date, timedelta
from pathlib import Path

import dagster._daemon  # noqa: F401  (imported first: dagster._scheduler needs it loaded)
import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.scheduler.instigation import InstigatorStatus, TickStatus
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._scheduler.scheduler import launch_scheduled_runs
from dagster_postgres import (
    PostgresEventLogStorage,
    PostgresRunStorage,
    PostgresScheduleStorage,
)
from helpers.paths import REPO_ROOT
from helpers.postgres import PostgresServer, running_postgres

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.definitions import build_definitions
from kpi_pipeline.orchestration.runner import ingest_days

pytestmark = pytest.mark.slow

REPO = REPO_ROOT
DEPLOY_CONFIG = REPO / "deploy" / "postgres" / "dagster.yaml"
DAY = date(2026, 11, 20)
RAW_ASSETS = {AssetKey(["raw", "ga4_daily"]), AssetKey(["raw", "ga4_by_dimension"]),
              AssetKey(["raw", "crm_daily"]), AssetKey(["raw", "custom_daily"]),
              AssetKey(["raw", "ga4_ads_daily"])}


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres(db_name="dagster") as server:
        yield server


@pytest.fixture
def dagster_home(postgres: PostgresServer, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> Path:
    """DAGSTER_HOME holding only the shipped deploy config; the server comes from the env."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY_CONFIG, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, value in postgres.dagster_env().items():
        monkeypatch.setenv(name, value)
    return home


def test_dagster_home_with_the_deploy_config_is_a_postgres_instance(dagster_home: Path) -> None:
    with DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        # the same one-writer rule as the repository's dagster.yaml
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        # a crashed run's warehouse slot is given back by the daemon's monitoring loop
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0
        assert not instance.telemetry_enabled


def test_a_run_of_our_ingest_job_is_read_back_from_a_new_instance_and_from_postgres(
    dagster_home: Path, postgres: PostgresServer, tmp_path: Path
) -> None:
    defs = build_definitions(Settings.from_env({"KPI_HOME": str(tmp_path / "kpi")}))
    with DagsterInstance.get() as instance:
        run_id = ingest_days(defs, instance, DAY, DAY).run_id

    # a different process (webserver, daemon) sees the same run: a new instance object
    with DagsterInstance.get() as reader:
        run = reader.get_run_by_id(run_id)
        assert run is not None
        assert run.job_name == "daily_ingest"
        assert run.status == DagsterRunStatus.SUCCESS
        records = reader.get_records_for_run(
            run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
        materialized = {r.event_log_entry.dagster_event.asset_key for r in records}
        assert materialized == RAW_ASSETS
        latest = reader.get_latest_materialization_event(AssetKey(["raw", "ga4_daily"]))
        assert latest is not None and latest.run_id == run_id

    assert postgres.query("SELECT count(*), min(status) FROM runs WHERE run_id = %s",
                          (run_id,)) == [(1, "SUCCESS")]
    events = dict(postgres.query(
        "SELECT dagster_event_type, count(*) FROM event_logs WHERE run_id = %s GROUP BY 1",
        (run_id,)))
    assert events["PIPELINE_SUCCESS"] == 1
    assert events["ASSET_MATERIALIZATION"] == len(RAW_ASSETS)
    # the warehouse pool (one DuckDB writer) is held in PostgreSQL, shared by every process
    assert postgres.query(
        'SELECT "limit" FROM concurrency_limits WHERE concurrency_key = %s', ("warehouse",)
    ) == [(1,)]


def test_the_daily_schedule_ticks_into_postgres_and_queues_the_week_of_yesterday(
    dagster_home: Path, postgres: PostgresServer
) -> None:
    """What dagster-daemon does each iteration: evaluate running schedules, record the tick,
    submit the run to the queue (the daemon's run-queue loop launches it later)."""
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="kpi_pipeline.definitions", attribute="defs",
                             working_directory=str(REPO)),
        location_name="kpi_pipeline",
    )
    with DagsterInstance.get() as instance, WorkspaceProcessContext(
        instance, InProcessWorkspaceLoadTarget(origin)
    ) as workspace:
        location = workspace.create_request_context().get_code_location("kpi_pipeline")
        repository = next(iter(location.get_repositories().values()))
        schedule = repository.get_schedule("daily_ingest_schedule")
        assert schedule.cron_schedule == "0 5 * * *"
        instance.start_schedule(schedule)  # what "switch on" in the UI does

        next_tick = next(schedule.execution_time_iterator(time.time()))
        after_tick = next_tick.astimezone(UTC) + timedelta(minutes=1)
        list(launch_scheduled_runs(workspace, logging.getLogger("scheduler"), after_tick, {}))

    with DagsterInstance.get() as reader:
        ticks = reader.get_ticks(schedule.get_remote_origin_id(), schedule.selector_id)
        assert [t.status for t in ticks] == [TickStatus.SUCCESS]
        (run_id,) = ticks[0].run_ids
        run = reader.get_run_by_id(run_id)
        assert run is not None
        assert run.status == DagsterRunStatus.QUEUED
        yesterday = next_tick.date() - timedelta(days=1)
        # raw ingest is partitioned by ISO week: the week holding yesterday (its Monday's date)
        week = (yesterday - timedelta(days=yesterday.weekday())).isoformat()
        assert run.tags["dagster/partition"] == week
        assert run.tags["dagster/schedule_name"] == "daily_ingest_schedule"

    assert postgres.query(
        "SELECT status, type, timestamp FROM job_ticks WHERE selector_id = %s",
        (schedule.selector_id,),
    ) == [("SUCCESS", "SCHEDULE", next_tick.astimezone(UTC).replace(tzinfo=None))]
    assert postgres.query(
        "SELECT status FROM instigators WHERE selector_id = %s", (schedule.selector_id,)
    ) == [(InstigatorStatus.RUNNING.value,)]
    assert postgres.query(
        "SELECT pipeline_name, partition, status FROM runs WHERE run_id = %s", (run_id,)
    ) == [("daily_ingest", week, "QUEUED")]
