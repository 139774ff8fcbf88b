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
from contextlib import closing
from itertools import combinations
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance
from helpers.dagster_dev import (
    STARTUP_SECONDS,
    DagsterDev,
    dev_environment,
    log_tail,
    running_dagster_dev,
)
from helpers.paths import REPO_ROOT
from helpers.postgres import PostgresServer, running_postgres

from kpi_pipeline.orchestration.asset_defaults import WAREHOUSE_POOL

pytestmark = pytest.mark.slow

PARTITION = "2026-11-16"
SITES = ("shop", "corp")
LAUNCH = """
mutation($tags: [ExecutionTag!]) {
  launchRun(executionParams: {
    selector: {repositoryLocationName: "kpi_pipeline", repositoryName: "__repository__",
               jobName: "weekly_pipeline"},
    executionMetadata: {tags: $tags}
  }) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""
STATUS = 'query($runId: ID!) { runOrError(runId: $runId) { ... on Run { status } } }'


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres("launched_lake") as server:
        yield server


@pytest.fixture(scope="module")
def dagster_home_and_server(postgres: PostgresServer,
                            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, DagsterDev]]:
    tmp = tmp_path_factory.mktemp("launched_lake")
    with closing(postgres.connect("postgres")) as con:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute('CREATE DATABASE "lake"')
    config = tmp / "dagster.yaml"  # the shipped config, with the run queue's size (ops.md)
    config.write_text((REPO_ROOT / "kpi_pipeline" / "dagster.yaml").read_text().replace(
        "concurrency:\n", "concurrency:\n  runs:\n    max_concurrent_runs: 4\n", 1))
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


def _pool_steps(dagster_home: Path, run_ids: list[str]) -> list[tuple[str, float, float]]:
    """(run id, start, end) of the runs' steps in the warehouse pool (all but the e-mail)."""
    steps = []
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        for run_id in run_ids:
            started: dict[str, float] = {}
            for entry in instance.all_logs(run_id):
                event = entry.dagster_event
                if event is None or entry.step_key in (None, "delivery__report_email"):
                    continue
                if event.event_type == DagsterEventType.STEP_START:
                    started[entry.step_key] = entry.timestamp
                elif event.event_type == DagsterEventType.STEP_SUCCESS:
                    steps.append((run_id, started[entry.step_key], entry.timestamp))
    return steps


def test_two_site_runs_launched_through_the_queue_overlap_on_ducklake(
    dagster_home_and_server: tuple[Path, DagsterDev],
) -> None:
    dagster_home, server = dagster_home_and_server
    run_ids = []
    for site in SITES:
        tags = [{"key": "kpi/site", "value": site}, {"key": "dagster/partition", "value": PARTITION}]
        launched = server.graphql(LAUNCH, {"tags": tags})["launchRun"]
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
    steps = _pool_steps(dagster_home, run_ids)
    overlapping = [(a, b) for a, b in combinations(steps, 2)
                   if a[0] != b[0] and a[1] < b[2] and b[1] < a[2]]
    assert overlapping, "the two runs never wrote the lake at the same time"
