"""Site runs launched together through the daemon's run queue, on DuckLake: `dg dev` (webserver,
daemon, code server) with the shipped instance config plus ``concurrency: runs:
max_concurrent_runs``, the warehouse a DuckLake on a real PostgreSQL catalog.

Two ``weekly_pipeline`` runs tagged with different sites are launched at once; the daemon
launches both, the runs size the ``warehouse`` pool for the lake themselves (no CLI ever ran on
this instance), and their warehouse steps run at the same time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance
from helpers.dagster_dev import (
    LAUNCH_RUN,
    STARTUP_SECONDS,
    DagsterDev,
    dev_environment,
    log_tail,
    running_dagster_dev,
)
from helpers.paths import REPO_ROOT
from helpers.postgres import PostgresServer, running_postgres
from helpers.step_times import overlapping_runs, step_spans

from kpi_pipeline.orchestration.asset_defaults import WAREHOUSE_POOL

pytestmark = pytest.mark.slow

PARTITION = "2026-11-16"
SITES = ("shop", "corp")
STATUS = 'query($runId: ID!) { runOrError(runId: $runId) { ... on Run { status } } }'


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres("launched_lake") as server:
        yield server


@pytest.fixture(scope="module")
def dagster_home_and_server(postgres: PostgresServer,
                            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DagsterDev]]:
    tmp = tmp_path_factory.mktemp("launched_lake")
    postgres.create_database("lake")
    config = tmp / "dagster.yaml"  # the shipped config, with the run queue's size (ops.md)
    shipped = (REPO_ROOT / "kpi_pipeline" / "dagster.yaml").read_text()
    assert "max_concurrent_runs: 1\n" in shipped  # one run at a time for the file, by default
    config.write_text(shipped.replace("max_concurrent_runs: 1\n", "max_concurrent_runs: 4\n", 1))
    sites = tmp / "kpi_sites.yaml"
    sites.write_text("sites:\n" + "".join(f"  - {{id: {s}, source: demo}}\n" for s in SITES))
    s = postgres
    env = dev_environment(
        tmp / "dagster_home", config, KPI_HOME=str(tmp / "kpi_home"), KPI_SITES=str(sites),
        KPI_WAREHOUSE=f"ducklake:postgres:dbname=lake host={s.host} port={s.port} user={s.user} "
                      f"password={s.password}",
        KPI_LAKE_DATA_PATH=str(tmp / "lake"))
    with running_dagster_dev(env, tmp) as server:
        yield tmp / "dagster_home", server


def test_two_site_runs_launched_through_the_queue_overlap_on_ducklake(
    dagster_home_and_server: tuple[Path, DagsterDev],
) -> None:
    dagster_home, server = dagster_home_and_server
    run_ids = []
    for site in SITES:
        tags = [{"key": "kpi/site", "value": site}, {"key": "dagster/partition", "value": PARTITION}]
        launched = server.graphql(LAUNCH_RUN, {"tags": tags})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_ids.append(launched["run"]["runId"])

    deadline = time.monotonic() + 6 * STARTUP_SECONDS
    statuses: dict[str, str] = {}
    while time.monotonic() < deadline:
        statuses = {r: server.graphql(STATUS, {"runId": r})["runOrError"]["status"] for r in run_ids}
        if all(s in ("SUCCESS", "FAILURE", "CANCELED") for s in statuses.values()):
            break
        time.sleep(2)
    assert list(statuses.values()) == ["SUCCESS", "SUCCESS"], f"{statuses}\n{log_tail(server.log)}"

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        limits = {p.name: p.limit for p in instance.event_log_storage.get_pool_limits()}
        assert [instance.get_run_by_id(r).tags["kpi/site"] for r in run_ids] == list(SITES)
    assert limits[WAREHOUSE_POOL] == 4  # sized by the launched runs for the lake
    steps = [span for span in step_spans(dagster_home, run_ids=run_ids)
             if span.step_key != "delivery__report_email"]  # the e-mail is not in the pool
    assert overlapping_runs(steps) == {frozenset(run_ids)}, "the runs never wrote the lake at once"
