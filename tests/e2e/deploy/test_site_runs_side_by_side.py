"""Site runs started together, as cron jobs per site or a scheduler start them: four
``kpi-pipeline run --week W --site sN`` on a fresh KPI_HOME, on the DuckDB file and on a
DuckLake (a real PostgreSQL catalog, tests/helpers/postgres.py).

Every command succeeds (opening the CLI's Dagster instance is safe when several start at
once); on the file one command's run goes at a time (the others wait for their turn asleep),
on the lake the runs' steps overlap (``KPI_LAKE_WRITERS``); and the lake ends with exactly the rows that the same
site runs, one at a time on the file, write.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance
from helpers.cli import KPI_PIPELINE, run_cli, user_environment
from helpers.postgres import PostgresServer, running_postgres
from helpers.step_times import StepSpan, overlapping_runs, step_spans

from kpi_pipeline.config.warehouse_location import parse_location, scrub
from kpi_pipeline.orchestration.asset_defaults import WAREHOUSE_POOL
from kpi_pipeline.warehouse import connect

pytestmark = pytest.mark.slow

WEEK = "2026-W47"
SITES = ("s1", "s2", "s3", "s4")
TABLES = ["raw.ga4_daily", "raw.ga4_by_dimension", "raw.ga4_weekly_users", "raw.crm_daily",
          "raw.ga4_ads_daily", "mart.metrics_daily", "mart.metrics_weekly", "mart.aarrr_weekly",
          "mart.kpi_progress", "mart.funnel_plan", "mart.goal_drivers", "mart.metric_anomalies",
          "mart.measure_effects", "mart.metric_catalog"]
# steps of weekly_pipeline outside the warehouse pool (the e-mail writes no table)
NOT_IN_POOL = {"delivery__report_email"}


def _sites_file(folder: Path) -> Path:
    path = folder / "kpi_sites.yaml"
    path.write_text("sites:\n" + "".join(f"  - {{id: {s}, source: demo}}\n" for s in SITES),
                    encoding="utf-8")
    return path


@dataclass(frozen=True)
class Started:
    """Four site runs started at once on one KPI_HOME."""

    home: Path
    results: dict[str, subprocess.CompletedProcess[str]]


def _start_together(home: Path, cwd: Path, env: dict[str, str]) -> Started:
    """``kpi-pipeline run --week WEEK --site sN`` for every site, started at the same moment
    from the console script (each process imports and opens the instance itself, as cron's do)."""
    environ = user_environment(KPI_HOME=str(home), COLUMNS="250", **env)
    processes = {site: subprocess.Popen(
        [str(KPI_PIPELINE), "--debug", "run", "--week", WEEK, "--site", site], cwd=cwd,
        env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for site in SITES}
    results = {}
    for site, process in processes.items():
        out, err = process.communicate(timeout=900)
        results[site] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return Started(home, results)


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    return {table: con.execute(
        f"SELECT * EXCLUDE (loaded_at) FROM {table} ORDER BY ALL" if table.startswith("raw.")
        else f"SELECT * FROM {table} ORDER BY ALL").fetchall() for table in TABLES}


def _pool_steps(home: Path) -> list[StepSpan]:
    """The home's weekly runs' steps in the warehouse pool."""
    return [span for span in step_spans(home / "dagster", job="weekly_pipeline")
            if span.step_key not in NOT_IN_POOL]


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres("side_by_side") as server:
        yield server


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("side_by_side")


@pytest.fixture(scope="module")
def one_at_a_time(folder: Path) -> dict[str, list[tuple]]:
    """The four site runs one after the other on the DuckDB file: the rows to expect."""
    home, sites = folder / "one_at_a_time", _sites_file(folder)
    for site in SITES:
        result = run_cli("run", "--week", WEEK, "--site", site, home=home, cwd=folder,
                         KPI_SITES=str(sites), timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
    with connect(home / "warehouse.duckdb", read_only=True) as con:
        return _tables(con)


@pytest.fixture(scope="module")
def on_the_file(folder: Path) -> Started:
    return _start_together(folder / "file_home", folder, {"KPI_SITES": str(_sites_file(folder))})


@dataclass(frozen=True)
class OnTheLake:
    started: Started
    env: dict[str, str]


@pytest.fixture(scope="module")
def on_the_lake(folder: Path, postgres: PostgresServer) -> OnTheLake:
    postgres.create_database("lake_side_by_side")
    s = postgres
    env = {"KPI_SITES": str(_sites_file(folder)),
           "KPI_WAREHOUSE": f"ducklake:postgres:dbname=lake_side_by_side host={s.host} "
                            f"port={s.port} user={s.user} password={s.password}",
           "KPI_LAKE_DATA_PATH": str(folder / "lake")}
    return OnTheLake(_start_together(folder / "lake_home", folder, env), env)


def _assert_all_succeeded(started: Started) -> None:
    for site, result in started.results.items():
        assert result.returncode == 0, f"{site}:\n{scrub(result.stderr[-4000:])}"
        assert "this is a bug" not in result.stderr
    reports = started.home / "reports"
    assert all((reports / site / WEEK / "report.html").exists() for site in SITES)
    assert (reports / "index.html").exists()


def test_four_site_runs_started_at_once_on_a_fresh_file_home_all_succeed_one_writer_at_a_time(
    on_the_file: Started, one_at_a_time: dict[str, list[tuple]],
) -> None:
    _assert_all_succeeded(on_the_file)
    with connect(on_the_file.home / "warehouse.duckdb", read_only=True) as con:
        assert _tables(con) == one_at_a_time
    steps = _pool_steps(on_the_file.home)
    assert len({span.run_id for span in steps}) == len(SITES)
    assert overlapping_runs(steps) == set()  # the DuckDB file: one writing step at a time
    # each command waited for its turn asleep before its run started (no run sat blocked on
    # the pool, spinning in Dagster's wait): whole runs, e-mail included, one after the other
    assert overlapping_runs(step_spans(on_the_file.home / "dagster", job="weekly_pipeline")) == set()
    assert any("waiting for another run to finish with the warehouse" in r.stderr
               for r in on_the_file.results.values())
    with DagsterInstance.from_config(str(on_the_file.home / "dagster")) as instance:
        limits = {p.name: p.limit for p in instance.event_log_storage.get_pool_limits()}
    assert limits[WAREHOUSE_POOL] == 1


def test_four_site_runs_started_at_once_on_a_fresh_ducklake_all_succeed_side_by_side(
    on_the_lake: OnTheLake, one_at_a_time: dict[str, list[tuple]],
) -> None:
    _assert_all_succeeded(on_the_lake.started)
    env = on_the_lake.env
    location = parse_location(env["KPI_WAREHOUSE"], Path("."), env["KPI_LAKE_DATA_PATH"])
    with connect(location, read_only=True) as con:
        on_lake = _tables(con)
    assert all(one_at_a_time[t] for t in ("raw.ga4_daily", "mart.kpi_progress"))
    for table in TABLES:  # exactly the rows of the same runs one at a time on the file
        assert on_lake[table] == one_at_a_time[table], table
    steps = _pool_steps(on_the_lake.started.home)
    assert len({span.run_id for span in steps}) == len(SITES)
    assert overlapping_runs(steps), "no two site runs wrote the lake at the same time"
    with DagsterInstance.from_config(str(on_the_lake.started.home / "dagster")) as instance:
        limits = {p.name: p.limit for p in instance.event_log_storage.get_pool_limits()}
    assert limits[WAREHOUSE_POOL] == 4  # KPI_LAKE_WRITERS' default
