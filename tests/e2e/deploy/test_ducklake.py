"""The warehouse on DuckLake (``KPI_WAREHOUSE=ducklake:postgres:<conninfo>``): a real PostgreSQL
catalog (tests/helpers/postgres.py) and a local data folder, through the installed CLI.

The same week is built once on the DuckDB file and once on the lake; the marts and the report
must be the same. Two writer processes commit at once; analysts attach the catalog read-only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance
from helpers.cli import run_cli
from helpers.kpi_home import RanWeek, copy_home
from helpers.postgres import PostgresServer, running_postgres
from helpers.processes import finish, running, wait_for_line

from kpi_pipeline.config.warehouse_location import WarehouseLocation, parse_location, scrub
from kpi_pipeline.warehouse import connect, ensure_schema

pytestmark = pytest.mark.slow

WEEK = "2026-W47"
MARTS = ["mart.metrics_daily", "mart.metrics_weekly", "mart.aarrr_weekly", "mart.kpi_progress",
         "mart.funnel_plan", "mart.goal_drivers", "mart.metric_anomalies", "mart.measure_effects", "mart.do_check",
         "mart.metric_catalog"]
RAW = ["raw.ga4_daily", "raw.ga4_by_dimension", "raw.ga4_weekly_users", "raw.crm_daily",
       "raw.custom_daily", "raw.ga4_ads_daily"]


@dataclass(frozen=True)
class Lake:
    server: PostgresServer
    database: str
    data_path: Path

    @property
    def conninfo(self) -> str:
        s = self.server
        return f"dbname={self.database} host={s.host} port={s.port} user={s.user} password={s.password}"

    def env(self) -> dict[str, str]:
        return {"KPI_WAREHOUSE": f"ducklake:postgres:{self.conninfo}",
                "KPI_LAKE_DATA_PATH": str(self.data_path)}

    def location(self) -> WarehouseLocation:
        return parse_location(f"ducklake:postgres:{self.conninfo}", Path("."), str(self.data_path))


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres("lake_e2e") as server:
        yield server


def _new_lake(server: PostgresServer, name: str, folder: Path) -> Lake:
    with closing(server.connect("postgres")) as con:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    return Lake(server, name, folder / "lake")


@dataclass(frozen=True)
class Built:
    file_home: Path  # a copy of the session's run of the week on the file
    file_ran_in: Path  # the KPI_HOME that run wrote (its report names that folder)
    lake_home: Path
    lake: Lake
    lake_out: str


@pytest.fixture(scope="module")
def built(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory,
          ran_week_template: RanWeek) -> Built:
    """The same week run by `kpi-pipeline run` on the file and on the lake."""
    cwd = tmp_path_factory.mktemp("cwd")
    # the file side is the session's run of the week (default settings), copied
    assert ran_week_template.result.args[1:] == ["run", "--week", WEEK]
    file_home = copy_home(ran_week_template.home, tmp_path_factory.mktemp("file") / "home")
    lake_home = tmp_path_factory.mktemp("lake_home")
    lake = _new_lake(postgres, "lake_e2e_run", lake_home)
    on_lake = run_cli("run", "--week", WEEK, home=lake_home, cwd=cwd, timeout=600, **lake.env())
    assert on_lake.returncode == 0, scrub(on_lake.stderr[-3000:])
    return Built(file_home, ran_week_template.home, lake_home, lake, on_lake.stdout + on_lake.stderr)


def _tables(con: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, list[tuple]]:
    return {
        table: con.execute(
            f"SELECT * EXCLUDE (loaded_at) FROM {table} ORDER BY ALL" if table.startswith("raw.")
            else f"SELECT * FROM {table} ORDER BY ALL").fetchall()
        for table in tables
    }


def test_a_week_on_ducklake_has_the_same_raw_tables_and_marts_as_on_the_file(built: Built) -> None:
    with connect(built.file_home / "warehouse.duckdb", read_only=True) as con:
        on_file = _tables(con, RAW + MARTS)
    with connect(built.lake.location(), read_only=True) as con:
        on_lake = _tables(con, RAW + MARTS)
        assert con.execute("SELECT current_database()").fetchone() == ("wh",)
    assert all(on_file[t] for t in ("mart.metrics_weekly", "mart.kpi_progress", "raw.ga4_daily"))
    for table in RAW + MARTS:
        assert on_lake[table] == on_file[table], table
    # the lake's tables are Parquet files in the data folder, not a DuckDB file under KPI_HOME
    assert list(built.lake.data_path.rglob("*.parquet"))
    assert not (built.lake_home / "warehouse.duckdb").exists()


def _report_text(path: Path, home: Path) -> str:
    """The report without what may differ: when it was written (the file side is the session's
    run, maybe minutes earlier, even the day before) and the KPI_HOME folder."""
    text = path.read_text(encoding="utf-8").replace(str(home.resolve()), "<home>")
    return re.sub(r"(\d{4}年\d{1,2}月\d{1,2}日 |\d{1,2} [A-Z][a-z]+ \d{4} )?\d{1,2}:\d{2} (JST|UTC)",
                  "<written>", text)


def test_the_report_built_on_ducklake_is_the_one_built_on_the_file(built: Built) -> None:
    file_html = built.file_home / "reports" / WEEK / "report.html"
    lake_html = built.lake_home / "reports" / WEEK / "report.html"
    assert _report_text(lake_html, built.lake_home) == _report_text(file_html, built.file_ran_in)
    assert (built.lake_home / "reports" / WEEK / "report.pdf").stat().st_size > 0
    assert (built.lake_home / "reports" / "index.html").exists()


def test_the_catalog_password_never_reaches_the_output_or_the_run_records(built: Built) -> None:
    password = built.lake.server.password
    assert password not in built.lake_out
    assert "password=***" in built.lake_out  # the warehouse line names the catalog, scrubbed
    for path in (built.lake_home / "dagster").rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


def test_the_publish_step_on_ducklake_records_that_analysts_attach_the_catalog(built: Built) -> None:
    assert not (built.lake_home / "published.duckdb").exists()
    assert "analyst copy:" not in built.lake_out
    with DagsterInstance.from_config(str(built.lake_home / "dagster")) as instance:
        event = instance.get_latest_materialization_event(AssetKey(["analyst", "published_snapshot"]))
    assert event is not None
    metadata = event.asset_materialization.metadata
    assert "attach the catalog read-only" in metadata["skipped"].value
    assert metadata["data_path"].value == str(built.lake.data_path)


def test_report_again_from_ducklake_rewrites_the_same_report(built: Built, tmp_path: Path) -> None:
    html = built.lake_home / "reports" / WEEK / "report.html"
    before = _report_text(html, built.lake_home)
    html.unlink()
    result = run_cli("report", "--week", WEEK, "--format", "html", home=built.lake_home,
                     cwd=tmp_path, **built.lake.env())
    assert result.returncode == 0, scrub(result.stdout + result.stderr)[-2000:]
    assert _report_text(html, built.lake_home) == before


def test_query_on_ducklake_says_how_to_attach_the_catalog_without_showing_the_password(
    built: Built, tmp_path: Path,
) -> None:
    result = run_cli("query", "SELECT count(*) FROM mart.kpi_progress", home=built.lake_home,
                     cwd=tmp_path, **built.lake.env())
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2, out
    assert "ATTACH 'ducklake:postgres:" in out and "READ_ONLY" in out
    assert "password=***" in out
    assert built.lake.server.password not in out


@pytest.mark.parametrize("command", [("targets", "check"), ("funnel",)], ids=["targets_check", "funnel"])
def test_targets_check_and_funnel_read_ducklake_as_they_read_the_analyst_copy(
    built: Built, tmp_path: Path, command: tuple[str, ...],
) -> None:
    on_lake = run_cli(*command, home=built.lake_home, cwd=tmp_path, **built.lake.env())
    on_file = run_cli(*command, home=built.file_home, cwd=tmp_path)
    assert on_lake.returncode == 0, scrub(on_lake.stdout + on_lake.stderr)[-2000:]
    assert on_file.returncode == 0, on_file.stderr[-2000:]
    assert on_lake.stdout == on_file.stdout


# --- two writers, one analyst --------------------------------------------------------------


@pytest.mark.parametrize("sites", [("site_a", "site_b"), ("site_a", "site_a")],
                         ids=["two_sites", "the_same_site"])
def test_two_writer_processes_on_ducklake_both_commit_and_nothing_is_lost_or_doubled(
    postgres: PostgresServer, tmp_path: Path, sites: tuple[str, str],
) -> None:
    lake = _new_lake(postgres, f"lake_writers_{'_'.join(sites)}", tmp_path)
    with connect(lake.location()) as con:
        ensure_schema(con, lake=True)
    rounds, first, last = 4, "2026-11-01", "2026-11-07"
    go = tmp_path / "go"
    with running("lake_writer", sites[0], first, last, str(rounds), str(go), env=lake.env()) as a, \
            running("lake_writer", sites[1], first, last, str(rounds), str(go), env=lake.env()) as b:
        wait_for_line(a, "ready")
        wait_for_line(b, "ready")
        go.touch()
        assert finish(a).strip() == f"done {rounds}"
        assert finish(b).strip() == f"done {rounds}"

    with connect(lake.location(), read_only=True) as con:
        days = dict(con.execute("SELECT site_id, count(*) FROM raw.ga4_daily GROUP BY 1").fetchall())
        distinct = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT site_id, date FROM raw.ga4_daily)").fetchone()[0]
        loads = dict(con.execute(
            "SELECT site_id, count(*) FROM meta.runs WHERE asset = 'raw.ga4_daily' GROUP BY 1").fetchall())
    assert days == {site: 7 for site in set(sites)}  # every day once: nothing lost, nothing doubled
    assert distinct == 7 * len(set(sites))
    assert loads == {site: rounds * sites.count(site) for site in set(sites)}  # every commit landed


def test_an_analyst_attached_read_only_sees_each_committed_snapshot_and_cannot_write(
    postgres: PostgresServer, tmp_path: Path,
) -> None:
    lake = _new_lake(postgres, "lake_analyst", tmp_path)
    writer = connect(lake.location())
    try:
        ensure_schema(writer, lake=True)
        analyst = connect(lake.location(), read_only=True)
        try:
            assert analyst.execute("SELECT count(*) FROM raw.crm_daily").fetchone() == (0,)
            writer.execute("BEGIN TRANSACTION")
            writer.execute("INSERT INTO raw.crm_daily VALUES "
                           "('a', DATE '2026-11-02', 9, 5, 3, 1, 5000, now())")
            # not committed yet: the analyst still reads the last committed snapshot
            assert analyst.execute("SELECT count(*) FROM raw.crm_daily").fetchone() == (0,)
            writer.execute("COMMIT")
            assert analyst.execute("SELECT site_id, orders FROM raw.crm_daily").fetchall() == [("a", 1)]
            with pytest.raises(duckdb.Error, match="read-only"):
                analyst.execute("DELETE FROM raw.crm_daily")
        finally:
            analyst.close()
    finally:
        writer.close()


# --- settings ------------------------------------------------------------------------------


def test_a_lake_without_a_data_path_is_refused_naming_kpi_lake_data_path(tmp_path: Path) -> None:
    result = run_cli("run", "--week", WEEK, home=tmp_path, cwd=tmp_path,
                     KPI_WAREHOUSE="ducklake:postgres:dbname=kpi host=db password=s3cr3t-pw")
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "KPI_LAKE_DATA_PATH" in out and "KPI_WAREHOUSE" in out
    assert "s3cr3t-pw" not in out


def test_an_unknown_warehouse_value_is_refused_without_echoing_a_password(tmp_path: Path) -> None:
    result = run_cli("run", "--week", WEEK, home=tmp_path, cwd=tmp_path,
                     KPI_WAREHOUSE="postgres:host=db password=s3cr3t-pw")
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert re.search(r"KPI_WAREHOUSE: .* is not a warehouse", out)
    assert "s3cr3t-pw" not in out


def test_motherduck_is_refused_clearly_where_its_extension_is_not_installed(tmp_path: Path) -> None:
    result = run_cli("run", "--week", WEEK, home=tmp_path, cwd=tmp_path, KPI_WAREHOUSE="md:kpi")
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2, out
    assert "KPI_WAREHOUSE: MotherDuck md:kpi needs DuckDB's motherduck extension" in out
    assert not (tmp_path / "dagster").exists()  # refused before anything ran


def test_an_unreachable_catalog_fails_with_exit_2_and_no_password(tmp_path: Path) -> None:
    result = run_cli("report", "--week", WEEK, "--format", "html", home=tmp_path, cwd=tmp_path,
                     KPI_WAREHOUSE="ducklake:postgres:host=127.0.0.1 port=1 dbname=x user=u "
                                   "password=s3cr3t-pw connect_timeout=2",
                     KPI_LAKE_DATA_PATH=str(tmp_path / "lake"))
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2, out
    assert "cannot open the warehouse DuckLake" in out
    assert "s3cr3t-pw" not in out and "password=***" in out


@pytest.mark.parametrize("text", [
    "dbname=kpi password=abc host=x",
    "dbname=kpi password='a b\\' c' host=x",
    "postgresql://kpi:abc@host/db",
])
def test_scrub_removes_the_password_of_a_conninfo(text: str) -> None:
    assert "abc" not in scrub(text) and "a b" not in scrub(text)
    assert "***" in scrub(text)


def test_the_default_warehouse_is_the_file_under_kpi_home(tmp_path: Path) -> None:
    location = parse_location(None, tmp_path)
    assert location.is_file and location.path == tmp_path / "warehouse.duckdb"
