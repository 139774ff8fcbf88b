"""The Dagster UI as ops see it: `dg dev` (what `make dagster` runs) on the repo's project, asked
over GraphQL.

A real `dg dev` (webserver + daemon + code server, from `[tool.dg]` in pyproject.toml) runs on a free loopback port with its
own DAGSTER_HOME (holding a copy of the repo's dagster.yaml) and KPI_HOME, both in tmp.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.dagster_dev import (
    BIN,
    LAUNCH_RUN,
    STARTUP_SECONDS,
    DagsterDev,
    dev_environment,
    running_dagster_dev,
)
from helpers.paths import REPO_ROOT

pytestmark = pytest.mark.slow

ROOT = REPO_ROOT

# asset key -> group shown in the UI (the brief's list; more assets may exist)
EXPECTED_GROUPS = {
    "raw/ga4_daily": "raw",
    "raw/ga4_by_dimension": "raw",
    "raw/ga4_weekly_users": "raw",
    "raw/crm_daily": "raw",
    "mart/metrics_daily": "marts",
    "mart/metrics_weekly": "marts",
    "mart/aarrr_weekly": "marts",
    "mart/kpi_progress": "kpi",
    "mart/funnel_plan": "kpi",
    "mart/goal_drivers": "kpi",
    "mart/metric_anomalies": "kpi",
    "analyst/published_snapshot": "analyst",
}
WAREHOUSE_WRITERS = set(EXPECTED_GROUPS)

ASSETS_QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    description
    isPartitioned
    pools
    backfillPolicy { policyType }
  }
}
"""

REPOSITORY_QUERY = """
{
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes {
        location { name }
        jobs { name }
        schedules { name cronSchedule executionTimezone scheduleState { status } }
      }
    }
  }
}
"""

INSTANCE_QUERY = ("{ instance { poolConfig { defaultPoolLimit poolGranularity } "
                  "runQueueConfig { maxConcurrentRuns isOpConcurrencyAware } } }")


def _env(tmp: Path) -> dict[str, str]:
    sites = tmp / "kpi_sites.yaml"  # two sites: each has its own status checks in the UI
    sites.write_text("sites:\n  - {id: shop, source: demo}\n  - {id: corp, source: demo}\n",
                     encoding="utf-8")
    return dev_environment(tmp / "dagster_home", ROOT / "kpi_pipeline" / "dagster.yaml",
                           KPI_HOME=str(tmp / "kpi_home"), KPI_SITES=str(sites))


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterDev]:
    tmp = tmp_path_factory.mktemp("dagster_dev")
    with running_dagster_dev(_env(tmp), tmp) as server:
        yield server


def test_definitions_validate_for_the_workspace(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kpi_pipeline" in result.stdout + result.stderr


def test_the_ui_lists_every_asset_with_its_group_and_description(dagster_dev: DagsterDev) -> None:
    nodes = {"/".join(n["assetKey"]["path"]): n for n in dagster_dev.graphql(ASSETS_QUERY)["assetNodes"]}

    missing = sorted(set(EXPECTED_GROUPS) - set(nodes))
    assert not missing, f"not in the UI: {missing}"
    for key, group in EXPECTED_GROUPS.items():
        assert nodes[key]["groupName"] == group, key
        assert len((nodes[key]["description"] or "").strip()) > 40, f"{key} has no real description"
    for key, node in nodes.items():
        assert node["description"], f"{key} has no description"


def test_partitioned_assets_backfill_in_a_single_run_and_writers_share_the_warehouse_pool(
    dagster_dev: DagsterDev,
) -> None:
    nodes = {"/".join(n["assetKey"]["path"]): n for n in dagster_dev.graphql(ASSETS_QUERY)["assetNodes"]}

    for key in EXPECTED_GROUPS:
        assert nodes[key]["isPartitioned"], key
        assert nodes[key]["backfillPolicy"] == {"policyType": "SINGLE_RUN"}, key
    for key in WAREHOUSE_WRITERS:
        assert nodes[key]["pools"] == ["warehouse"], key


def test_the_instance_lets_one_warehouse_writer_run_at_a_time(dagster_dev: DagsterDev) -> None:
    instance = dagster_dev.graphql(INSTANCE_QUERY)["instance"]
    config = instance["poolConfig"]

    assert config["defaultPoolLimit"] == 1
    assert config["poolGranularity"] == "op"
    # launched runs start one at a time: a second waits Queued, not spinning on the pool
    assert instance["runQueueConfig"] == {"maxConcurrentRuns": 1, "isOpConcurrencyAware": True}


def test_the_jobs_and_schedules_are_listed_and_the_schedules_start_stopped(
    dagster_dev: DagsterDev,
) -> None:
    repositories = dagster_dev.graphql(REPOSITORY_QUERY)["repositoriesOrError"]["nodes"]
    assert [repo["location"]["name"] for repo in repositories] == ["kpi_pipeline"]
    repo = repositories[0]
    schedules = {s["name"]: s for s in repo["schedules"]}

    assert {"daily_ingest", "weekly_pipeline"} <= {job["name"] for job in repo["jobs"]}
    assert set(schedules) >= {"daily_ingest_schedule", "weekly_report_schedule"}
    for name in ("daily_ingest_schedule", "weekly_report_schedule"):
        assert schedules[name]["scheduleState"]["status"] == "STOPPED", name
        assert schedules[name]["executionTimezone"] == "Asia/Tokyo", name
    assert schedules["daily_ingest_schedule"]["cronSchedule"] == "0 5 * * *"
    assert schedules["weekly_report_schedule"]["cronSchedule"] == "0 9 * * 1"


CATALOG_QUERY = """
{
  assetNodes {
    assetKey { path }
    owners { ... on TeamAssetOwner { team } }
    tags { key value }
    metadataEntries { label }
  }
}
"""


def test_dagster_dev_starts_without_a_warning_about_the_instance_config(dagster_dev: DagsterDev) -> None:
    # the shipped dagster.yaml lives in the package, not in the working directory
    assert "dagster instance configuration" not in dagster_dev.log.read_text(errors="replace")


def test_the_catalogue_shows_owners_tags_and_documented_columns_before_any_run(
    dagster_dev: DagsterDev,
) -> None:
    nodes = {"/".join(n["assetKey"]["path"]): n for n in dagster_dev.graphql(CATALOG_QUERY)["assetNodes"]}
    for key, group in EXPECTED_GROUPS.items():
        assert {"team": "kpi-data"} in nodes[key]["owners"], key
        assert {"key": "layer", "value": group} in nodes[key]["tags"], key
    for key in ("raw/ga4_daily", "mart/metrics_weekly", "mart/kpi_progress"):
        labels = {entry["label"] for entry in nodes[key]["metadataEntries"]}
        assert {"dagster/column_schema", "dagster/table_name"} <= labels, key


CHECKS_QUERY = """
{
  assetNodes {
    assetKey { path }
    assetChecksOrError { ... on AssetChecks { checks { name description } } }
  }
}
"""


def test_each_site_has_its_own_status_check_on_raw_ga4_and_kpi_progress(
    dagster_dev: DagsterDev,
) -> None:
    nodes = {"/".join(n["assetKey"]["path"]): n for n in dagster_dev.graphql(CHECKS_QUERY)["assetNodes"]}
    for key in ("raw/ga4_daily", "mart/kpi_progress"):
        checks = {c["name"]: c["description"] for c in nodes[key]["assetChecksOrError"]["checks"]}
        assert {"site_shop_fresh", "site_corp_fresh"} <= set(checks), key
        assert "Site shop" in checks["site_shop_fresh"], key


RUN_QUERY = """
query($runId: ID!) {
  runOrError(runId: $runId) {
    ... on Run {
      status
      eventConnection { events { __typename
        ... on MessageEvent { message }
        ... on ErrorEvent { error { message causes { message } } } } }
    }
  }
}
"""


def test_a_run_launched_from_the_ui_with_an_unknown_site_tag_fails_naming_the_known_sites(
    dagster_dev: DagsterDev,
) -> None:
    tags = [{"key": "kpi/site", "value": "blog"}, {"key": "dagster/partition", "value": "2026-11-16"}]
    launched = dagster_dev.graphql(LAUNCH_RUN, {"tags": tags})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        run = dagster_dev.graphql(RUN_QUERY, {"runId": run_id})["runOrError"]
        if run["status"] in ("FAILURE", "SUCCESS", "CANCELED") or time.monotonic() > deadline:
            break
        time.sleep(1)

    assert run["status"] == "FAILURE"
    said = json.dumps(run["eventConnection"]["events"])
    assert "run tag kpi/site 'blog': known sites are shop, corp" in said


BACKFILL_MUTATION = """
mutation($tags: [ExecutionTag!]) {
  launchPartitionBackfill(backfillParams: {
    assetSelection: [{path: ["mart", "kpi_progress"]}],
    partitionNames: ["2026-11-09", "2026-11-16"],
    tags: $tags
  }) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}
"""

BACKFILL_QUERY = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill { status runs(limit: 10) { runId status tags { key value } } }
  }
}
"""


@pytest.fixture(scope="module", autouse=True)
def site_tagged_backfill(dagster_dev: DagsterDev) -> str:
    """A backfill of two weeks tagged with an unknown site, launched before the module's first
    test: the daemon picks backfills up on its 30-s tick, and this module's other tests run
    while it waits (its test, the last, only looks at the outcome)."""
    launched = dagster_dev.graphql(BACKFILL_MUTATION,
                        {"tags": [{"key": "kpi/site", "value": "blog"}]})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return launched["backfillId"]


def test_a_backfill_tagged_with_a_site_is_still_one_run_and_the_run_carries_the_site(
    dagster_dev: DagsterDev, site_tagged_backfill: str,
) -> None:
    """The backfill dialog's tags reach the single run of a range (here an unknown site, so the
    run stops at once, before writing)."""
    deadline = time.monotonic() + 4 * STARTUP_SECONDS  # the daemon picks backfills up on a tick
    while True:
        backfill = dagster_dev.graphql(BACKFILL_QUERY,
                            {"id": site_tagged_backfill})["partitionBackfillOrError"]
        runs = backfill["runs"]
        if (runs and all(r["status"] in ("FAILURE", "SUCCESS", "CANCELED") for r in runs)) \
                or time.monotonic() > deadline:
            break
        time.sleep(2)

    assert len(runs) == 1, backfill  # the two weeks are one run (single-run backfill policy)
    tags = {t["key"]: t["value"] for t in runs[0]["tags"]}
    assert tags["kpi/site"] == "blog"
    assert (tags["dagster/asset_partition_range_start"],
            tags["dagster/asset_partition_range_end"]) == ("2026-11-09", "2026-11-16")
    assert runs[0]["status"] == "FAILURE"
