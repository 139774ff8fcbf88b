"""`kpi-pipeline run / backfill / query` as a user types them: the installed console script.

Each call runs in a tmp working directory (no stray .env or kpi_targets.yaml) with its own
KPI_HOME, on the demo source and the bundled example targets.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance
from fixtures.report.smtp import HOST, RecordingHandler, accept_login, smtp_server
from helpers.cli import run_cli
from helpers.kpi_home import RanWeek, copy_home
from helpers.paths import REPO_ROOT

pytestmark = pytest.mark.slow

ROOT = REPO_ROOT
WEEK = "2026-W47"
WEEK_START = date(2026, 11, 16)


@dataclass
class Ran:
    home: Path  # this module's copy, which its tests query, report from and change
    result: subprocess.CompletedProcess[str]  # what `run` printed, in the home it ran on
    ran_in: Path  # the KPI_HOME `run` wrote (the session's, copied from; never changed)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def ran_week(ran_week_template: RanWeek, tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """`run --week WEEK` on an empty KPI_HOME (the session's run of that week), copied: the
    tests below send, re-render and query in this module's own home."""
    assert ran_week_template.result.args[1:] == ["run", "--week", WEEK]
    home = copy_home(ran_week_template.home, tmp_path_factory.mktemp("run_home") / "home")
    return Ran(home, ran_week_template.result, ran_week_template.home)


def test_run_for_a_week_exits_0_and_prints_where_the_warehouse_and_report_are(ran_week: Ran) -> None:
    result = ran_week.result
    home = ran_week.ran_in.resolve()

    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert f"warehouse: {home / 'warehouse.duckdb'}" in lines
    assert f"analyst copy: {home / 'published.duckdb'}" in lines
    assert f"report: {home / 'reports' / WEEK / 'report.html'}" in lines
    assert (home / "reports" / WEEK / "report.html").exists()


def test_run_for_a_week_fills_that_week_and_rebuilds_the_provisional_end_of_the_week_before(
    ran_week: Ran,
) -> None:
    con = duckdb.connect(str(ran_week.home / "warehouse.duckdb"), read_only=True)
    try:
        weeks = dict(con.execute(
            "SELECT week_start, count(*) FROM mart.metrics_weekly GROUP BY ALL"
        ).fetchall())
        sessions = con.execute(
            "SELECT value FROM mart.metrics_weekly WHERE week_start = ? AND metric_id = 'sessions'",
            [WEEK_START],
        ).fetchone()
    finally:
        con.close()
    # the week before is rebuilt from its re-read look-back days (Fri-Sun) and nothing else
    assert sorted(weeks) == [WEEK_START - timedelta(days=7), WEEK_START]
    assert weeks[WEEK_START] >= 10  # one row per catalogue metric with data
    assert sessions is not None and sessions[0] > 0


def test_query_after_a_run_prints_the_rows(ran_week: Ran, tmp_path: Path) -> None:
    result = run_cli(
        "query",
        "SELECT week_start, metric_id, value FROM mart.metrics_weekly "
        "WHERE metric_id IN ('sessions', 'page_views') AND iso_week = '2026-W47' ORDER BY metric_id",
        home=ran_week.home, cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    cells = [[c.strip() for c in line.strip("│").split("│")]
             for line in result.stdout.splitlines() if line.startswith("│")]
    # DuckDB's own box: names, then types, then the rows, then the row count
    assert cells[0] == ["week_start", "metric_id", "value"]
    assert cells[1] == ["date", "varchar", "double"]
    assert [row[:2] for row in cells[2:4]] == [["2026-11-16", "page_views"], ["2026-11-16", "sessions"]]
    assert "Empty DataFrame" not in result.stdout


SESSIONS_SQL = ("SELECT iso_week, metric_id, value, NULL::INTEGER AS nothing FROM mart.metrics_weekly "
                "WHERE metric_id = 'sessions' AND iso_week IN ('2026-W46', '2026-W47') ORDER BY iso_week")


def test_query_prints_csv_json_and_markdown_for_pipes(ran_week: Ran, tmp_path: Path) -> None:
    con = duckdb.connect(str(ran_week.home / "published.duckdb"), read_only=True)
    try:
        expected = con.execute(SESSIONS_SQL).fetchall()
    finally:
        con.close()
    outputs = {fmt: run_cli("query", "--format", fmt, SESSIONS_SQL, home=ran_week.home, cwd=tmp_path)
               for fmt in ("csv", "json", "markdown")}
    assert all(r.returncode == 0 for r in outputs.values()), {f: r.stderr for f, r in outputs.items()}

    rows = list(csv.reader(io.StringIO(outputs["csv"].stdout)))
    assert rows[0] == ["iso_week", "metric_id", "value", "nothing"]
    assert [(w, m, float(v), n) for w, m, v, n in rows[1:]] == [(w, m, v, "") for w, m, v, _ in expected]

    records = json.loads(outputs["json"].stdout)
    assert records == [{"iso_week": w, "metric_id": m, "value": v, "nothing": None}
                       for w, m, v, _ in expected]

    table = outputs["markdown"].stdout.splitlines()
    assert table[:2] == ["| iso_week | metric_id | value | nothing |", "| --- | --- | --- | --- |"]
    assert table[2] == f"| {expected[0][0]} | sessions | {expected[0][2]} |  |"


def test_query_rejects_an_unknown_format_with_the_choices(ran_week: Ran, tmp_path: Path) -> None:
    result = run_cli("query", "--format", "xml", "SELECT 1", home=ran_week.home, cwd=tmp_path)
    assert result.returncode == 2
    assert "'xml' is not one of 'box', 'csv', 'json', 'markdown'" in _one_line(result.stderr)


def test_query_cannot_change_the_analyst_copy(ran_week: Ran, tmp_path: Path) -> None:
    result = run_cli("query", "DROP TABLE mart.metrics_weekly", home=ran_week.home, cwd=tmp_path)
    after = run_cli("query", "SELECT count(*) AS n FROM mart.metrics_weekly",
                    home=ran_week.home, cwd=tmp_path)

    assert result.returncode == 2
    assert "read-only" in _one_line(result.stderr)
    assert "Traceback" not in result.stderr
    assert after.returncode == 0
    name, kind, count = (line.strip("│ ") for line in after.stdout.splitlines() if line.startswith("│"))
    assert (name, kind) == ("n", "int64") and int(count) > 0


def test_query_with_bad_sql_exits_2_with_the_database_error(ran_week: Ran, tmp_path: Path) -> None:
    result = run_cli("query", "SELECT * FROM mart.no_such_table", home=ran_week.home, cwd=tmp_path)

    assert result.returncode == 2
    assert "no_such_table" in _one_line(result.stderr)
    assert "Traceback" not in result.stderr


def test_query_before_any_run_exits_2_and_says_how_to_get_data(tmp_path: Path) -> None:
    home = tmp_path / "empty_home"
    result = run_cli("query", "SELECT 1", home=home, cwd=tmp_path)
    message = _one_line(result.stderr)

    assert result.returncode == 2
    assert str(home / "published.duckdb") in message
    assert "kpi-pipeline demo" in message or "kpi-pipeline run" in message
    assert "Traceback" not in result.stderr
    assert not (home / "published.duckdb").exists()


def test_run_with_an_impossible_week_exits_2_naming_the_expected_form(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run_cli("run", "--week", "2026-W99", home=home, cwd=tmp_path)
    message = _one_line(result.stderr)

    assert result.returncode == 2
    assert "2026-W99" in message
    assert re.search(r"ISO week like \d{4}-W\d{2}\b", message), message
    assert "Traceback" not in result.stderr
    assert not (home / "warehouse.duckdb").exists()


def test_run_with_a_broken_targets_file_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    targets = tmp_path / "kpi_targets.yaml"
    targets.write_text(
        "timezone: Asia/Tokyo\n"
        "kgis:\n"
        "  - id: orders_x2\n"
        "    name: 受注を2倍に\n"
        "    metric: order_count\n"  # line 5: no such metric
        "    period: {start: 2026-10-01, end: 2026-12-31}\n"
        "    target: {value: 100}\n",
        encoding="utf-8",
    )
    home = tmp_path / "home"
    result = run_cli("run", "--week", WEEK, home=home, cwd=tmp_path, KPI_TARGETS=str(targets))
    message = _one_line(result.stderr)

    assert result.returncode == 2
    assert f"{targets}:5" in message
    assert "order_count" in message
    assert "Traceback" not in result.stderr
    assert not (home / "warehouse.duckdb").exists()


def test_backfill_of_three_weeks_exits_0_with_a_progress_bar_and_one_weekly_run(
    tmp_path: Path,
) -> None:
    home, dagster_home = tmp_path / "home", tmp_path / "dagster_home"
    dagster_home.mkdir()
    shutil.copy(ROOT / "kpi_pipeline" / "dagster.yaml", dagster_home / "dagster.yaml")

    result = run_cli("backfill", "--from", "2026-W45", "--to", WEEK, home=home, cwd=tmp_path,
                     DAGSTER_HOME=str(dagster_home))

    assert result.returncode == 0, result.stderr[-3000:]
    assert "3/3 weeks" in result.stderr  # the progress bar's last state
    assert f"backfilled 3 weeks into {home / 'warehouse.duckdb'}" in _one_line(result.stderr)
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        weeks = [w for (w,) in con.execute(
            "SELECT DISTINCT week_start FROM mart.metrics_weekly ORDER BY 1").fetchall()]
    finally:
        con.close()
    # W45..W47, plus the end of W44 that the look-back re-read (rebuilt, never left stale)
    assert weeks == [WEEK_START - timedelta(days=d) for d in (21, 14, 7, 0)]
    # what ops see in the Dagster UI: the whole range as one run per job
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        jobs = sorted(run.job_name for run in instance.get_runs())
        # one planned event per asset for the range, yet every week shows materialized
        built = instance.get_materialized_partitions(AssetKey(["mart", "metrics_weekly"]))
    assert jobs == ["daily_ingest", "metric_catalog", "weekly_pipeline"]
    assert built == {(WEEK_START - timedelta(days=d)).isoformat() for d in (14, 7, 0)}


def test_runs_of_the_cli_show_in_the_ui_instance_under_kpi_home(ran_week: Ran) -> None:
    # no DAGSTER_HOME: the CLI records into $KPI_HOME/dagster, the instance `make dagster` opens
    from dagster import AssetCheckKey, AssetKey

    instance_dir = ran_week.home / "dagster"
    assert (instance_dir / "dagster.yaml").exists()
    with DagsterInstance.from_config(str(instance_dir)) as instance:
        jobs = sorted(run.job_name for run in instance.get_runs())
        assert jobs == ["daily_ingest", "metric_catalog", "weekly_pipeline"]
        assert instance.get_latest_materialization_event(AssetKey(["mart", "metric_catalog"]))
        progress = instance.get_latest_materialization_event(AssetKey(["mart", "kpi_progress"]))
        assert progress is not None
        assert progress.asset_materialization.partition == WEEK_START.isoformat()
        assert progress.asset_materialization.metadata["dagster/row_count"].value > 0
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [AssetCheckKey(AssetKey(["mart", "metrics_weekly"]), "weekly_sums_match_daily")])
        assert check, "the week's check results are in the instance too"


# --- `query` reaches the published copy and nothing else (SECURITY.md) -----------------------


def test_query_cannot_overwrite_the_live_warehouse_with_copy(ran_week: Ran, tmp_path: Path) -> None:
    warehouse = ran_week.home / "warehouse.duckdb"
    before = warehouse.read_bytes()
    result = run_cli("query", f"COPY (SELECT 'x' AS x) TO '{warehouse}' (FORMAT csv)",
                     home=ran_week.home, cwd=tmp_path)

    assert result.returncode == 2
    assert "COPY is not allowed" in _one_line(result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert warehouse.read_bytes() == before
    con = duckdb.connect(str(warehouse), read_only=True)  # still a valid DuckDB file
    con.close()


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('.env')",
    "SELECT * FROM glob('/etc/*')",
])
def test_query_cannot_read_files(ran_week: Ran, tmp_path: Path, sql: str) -> None:
    (tmp_path / ".env").write_text("SMTP_PASSWORD=hunter2-secret\n", encoding="utf-8")
    result = run_cli("query", sql, home=ran_week.home, cwd=tmp_path)

    assert result.returncode == 2
    assert "disabled by configuration" in _one_line(result.stderr)
    assert "hunter2-secret" not in result.stdout + result.stderr
    assert "root:" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("sql", "kind"), [
    ("ATTACH '{home}/warehouse.duckdb' AS wh", "ATTACH"),
    ("EXPORT DATABASE '{home}/dump'", "EXPORT"),
    ("INSTALL httpfs", "LOAD"),  # DuckDB parses INSTALL as a LOAD statement
    ("LOAD parquet", "LOAD"),
    ("SET enable_external_access = true", "SET"),
    ("PRAGMA enable_profiling", "PRAGMA"),
    ("CREATE TABLE mart.mine AS SELECT 1", "CREATE"),
])
def test_query_refuses_anything_but_reads_with_one_line(ran_week: Ran, tmp_path: Path, sql: str,
                                                         kind: str) -> None:
    result = run_cli("query", sql.format(home=ran_week.home), home=ran_week.home, cwd=tmp_path)

    assert result.returncode == 2
    assert result.stderr.startswith("query refused:"), result.stderr
    assert f"{kind} is not allowed" in _one_line(result.stderr)
    assert "Traceback" not in result.stderr
    assert not (ran_week.home / "dump").exists()


def test_query_runs_nothing_when_one_statement_of_several_is_refused(ran_week: Ran, tmp_path: Path) -> None:
    result = run_cli("query", "SELECT 41 + 1 AS answer; SET threads = 1",
                     home=ran_week.home, cwd=tmp_path)

    assert result.returncode == 2
    assert "SET is not allowed" in _one_line(result.stderr)
    assert "42" not in result.stdout


def test_query_prints_each_result_of_several_selects(ran_week: Ran, tmp_path: Path) -> None:
    result = run_cli(
        "query", "SELECT 41 + 1 AS answer; SELECT count(*) AS kgis FROM mart.kpi_progress WHERE kind = 'kgi'",
        home=ran_week.home, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    first, second = result.stdout.strip().split("\n\n")
    values = lambda block: [line.strip("│ ") for line in block.splitlines() if line.startswith("│")]  # noqa: E731
    assert first.splitlines()[0] == "-- SELECT 41 + 1 AS answer"
    assert values(first) == ["answer", "int32", "42"]
    assert second.splitlines()[0].startswith("-- SELECT count(*) AS kgis")
    assert values(second)[:2] == ["kgis", "int64"] and int(values(second)[2]) > 0


# --- `report --send` through the CLI, against a real SMTP server that asks for a login --------


def _send_env(port: int, password: str) -> dict[str, str]:
    return {"SMTP_HOST": HOST, "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
            "SMTP_USERNAME": "kpi", "SMTP_PASSWORD": password,
            "REPORT_FROM": "KPI <kpi@example.jp>", "REPORT_TO": "team@example.jp"}


def test_report_send_logs_in_with_smtp_password_and_delivers(ran_week: Ran, tmp_path: Path) -> None:
    handler = RecordingHandler()
    with smtp_server(handler, authenticator=accept_login("kpi", "s3cret-pw")) as port:
        result = run_cli("report", "--week", WEEK, "--send", "--force", home=ran_week.home,
                         cwd=tmp_path, **_send_env(port, "s3cret-pw"))

    assert result.returncode == 0, result.stderr[-3000:]
    (got,) = handler.received
    assert got.rcpt_tos == ["team@example.jp"]
    assert WEEK in str(got.message["Subject"])
    assert "sent" in result.stdout and "team@example.jp" in result.stdout
    assert "s3cret-pw" not in result.stdout + result.stderr


def test_report_send_with_a_wrong_password_exits_1_without_showing_it(ran_week: Ran, tmp_path: Path) -> None:
    handler = RecordingHandler()
    with smtp_server(handler, authenticator=accept_login("kpi", "right-pw")) as port:
        # HTML only: the refused login is the point here, not what the mail would attach
        result = run_cli("report", "--week", WEEK, "--send", "--force", "--format", "html",
                         home=ran_week.home, cwd=tmp_path, **_send_env(port, "wrong-pw-123"))

    assert result.returncode == 1
    message = _one_line(result.stderr)
    assert "rejected the login" in message and "SMTP_PASSWORD" in message
    assert "wrong-pw-123" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert handler.received == []


def test_report_on_a_warehouse_of_an_older_version_says_to_run_once(ran_week: Ran, tmp_path: Path) -> None:
    home = tmp_path / "old_home"
    home.mkdir()
    shutil.copy(ran_week.home / "warehouse.duckdb", home / "warehouse.duckdb")
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    con.execute("ALTER TABLE mart.kpi_progress DROP COLUMN goal_kind")  # as before issue 11
    con.close()
    result = run_cli("report", "--week", WEEK, home=home, cwd=tmp_path)

    assert result.returncode == 2
    message = _one_line(result.stderr)
    assert "built by an older kpi-pipeline" in message
    assert f"kpi-pipeline run --week {WEEK}" in message
    assert "Traceback" not in result.stderr


# the columns of mart.aarrr_weekly before the change columns were split by kind (issue 12)
_OLD_AARRR = """
CREATE TABLE mart.aarrr_weekly (
    site_id VARCHAR NOT NULL, week_start DATE NOT NULL, iso_week VARCHAR NOT NULL,
    phase VARCHAR NOT NULL, phase_order INTEGER NOT NULL, metric_id VARCHAR NOT NULL,
    value DOUBLE, prev_week_value DOUBLE, last_year_value DOUBLE,
    wow_change DOUBLE, yoy_change DOUBLE, provisional_days INTEGER NOT NULL,
    PRIMARY KEY (site_id, week_start, metric_id));
INSERT INTO mart.aarrr_weekly
SELECT site_id, week_start, iso_week, phase, phase_order, metric_id, value, prev_week_value,
       last_year_value, coalesce(wow_change_pt, wow_change_pct), coalesce(yoy_change_pt, yoy_change_pct),
       provisional_days
FROM (SELECT * FROM new_layout UNION ALL
      SELECT * REPLACE (week_start - INTERVAL 364 DAY AS week_start, '2025-W47' AS iso_week)
      FROM new_layout);
"""
_CHANGES = ("SELECT week_start, metric_id, wow_change_pct, wow_change_pt, yoy_change_pct, "
            "yoy_change_pt FROM mart.aarrr_weekly ORDER BY ALL")
_RAW_COUNTS = ("SELECT (SELECT count(*) FROM raw.ga4_daily), (SELECT count(*) FROM raw.ga4_by_dimension), "
               "(SELECT count(*) FROM raw.crm_daily)")


def test_run_upgrades_a_warehouse_with_the_old_change_columns_and_keeps_every_row(
    ran_week: Ran, tmp_path: Path,
) -> None:
    home = tmp_path / "old_home"
    home.mkdir()
    shutil.copy(ran_week.home / "warehouse.duckdb", home / "warehouse.duckdb")
    con = duckdb.connect(str(home / "warehouse.duckdb"))
    con.execute("CREATE TEMP TABLE new_layout AS SELECT * FROM mart.aarrr_weekly")
    expected = con.execute(_CHANGES.replace("mart.aarrr_weekly", "new_layout")).fetchall()
    con.execute("DROP TABLE mart.aarrr_weekly")
    con.execute(_OLD_AARRR)  # as a warehouse of the previous version holds it, plus a week a year back
    raw_before = con.execute(_RAW_COUNTS).fetchone()
    con.close()

    result = run_cli("run", "--week", WEEK, home=home, cwd=tmp_path)

    assert result.returncode == 0, result.stderr[-3000:]
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        columns = [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'aarrr_weekly' "
            "AND schema_name = 'mart' AND database_name = current_database()").fetchall()]
        got = con.execute(_CHANGES).fetchall()
        carried = con.execute(
            "SELECT c.unit = 'rate', count(*) FILTER (wow_change_pct IS NOT NULL), "
            "count(*) FILTER (wow_change_pt IS NOT NULL) FROM mart.aarrr_weekly AS a "
            "JOIN mart.metric_catalog AS c USING (metric_id) WHERE a.week_start < ? GROUP BY ALL "
            "ORDER BY ALL", [WEEK_START - timedelta(days=300)]).fetchall()
        raw_after = con.execute(_RAW_COUNTS).fetchone()
    finally:
        con.close()
    assert "wow_change" not in columns and "yoy_change" not in columns
    assert columns[9:13] == ["wow_change_pct", "wow_change_pt", "yoy_change_pct", "yoy_change_pt"]
    # the week the run rebuilt equals a fresh build; the week a year back is carried over, split
    assert [r for r in got if r[0] == WEEK_START] == [r for r in expected if r[0] == WEEK_START]
    assert carried[0][0] is False and carried[0][1] > 0 and carried[0][2] == 0
    assert carried[1][0] is True and carried[1][1] == 0 and carried[1][2] > 0
    assert raw_after == raw_before and raw_before[0] > 0
