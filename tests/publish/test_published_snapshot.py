"""The analyst copy: analysts read published snapshots while the pipeline writes and publishes.

Two analyst processes query ``$KPI_HOME/published.duckdb`` in a loop (one keeps its connection
open, one reopens per query) while this process loads two more weeks into the warehouse and
publishes after each. Nobody waits for anybody, and every answer is a whole snapshot.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers.demo_warehouse import demo_weeks
from helpers.processes import finish, lines_until, running, wait_for_line

from kpi_pipeline.publish.snapshot import publish_snapshot
from kpi_pipeline.warehouse import connect, ensure_schema
from kpi_pipeline.warehouse.catalog_table import write_metric_catalog

pytestmark = pytest.mark.slow

FIRST_WEEK = date(2026, 11, 2)


def _load_week(warehouse: Path, week: date) -> None:
    con = connect(warehouse)
    try:
        ensure_schema(con)
        write_metric_catalog(con)
        demo_weeks(con, week, week)
    finally:
        con.close()


def _published_answer(database: Path) -> str:
    con = duckdb.connect(str(database), read_only=True)
    try:
        daily, weekly = con.execute(
            "SELECT (SELECT count(*) FROM mart.metrics_daily), "
            "(SELECT count(*) FROM mart.metrics_weekly)").fetchone()
    finally:
        con.close()
    return f"seen {daily} {weekly}"


def _seen(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("seen ")]


def _comments(database: Path, tables: list[str]) -> dict[tuple[str, str], str]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute(
            "SELECT schema_name || '.' || table_name, column_name, comment FROM duckdb_columns() "
            "WHERE database_name = current_database()").fetchall()
        rows += con.execute(
            "SELECT schema_name || '.' || table_name, '', comment FROM duckdb_tables() "
            "WHERE database_name = current_database()").fetchall()
    finally:
        con.close()
    return {(t, c): text for t, c, text in rows if t in tables}


def test_analysts_only_see_whole_snapshots_while_the_pipeline_publishes_twice(
    tmp_path: Path,
) -> None:
    home = tmp_path
    warehouse = home / "warehouse.duckdb"
    published_db = home / "published.duckdb"
    stop = home / "stop-analysts"
    _load_week(warehouse, FIRST_WEEK)
    publish_snapshot(warehouse, home)
    answers = [_published_answer(published_db)]

    with running("analyst", str(published_db), str(stop), "hold") as holder, \
            running("analyst", str(published_db), str(stop), "reopen") as reopener:
        assert wait_for_line(holder, "seen") == answers[0]
        assert wait_for_line(reopener, "seen") == answers[0]
        parquet_dirs = []
        for weeks_later in (1, 2):
            _load_week(warehouse, FIRST_WEEK + timedelta(weeks=weeks_later))
            result = publish_snapshot(warehouse, home)
            parquet_dirs.append(result.parquet_dir.resolve())
            answers.append(_published_answer(published_db))
        # the reopening analyst gets to the newest snapshot without anyone restarting anything
        reopened_seen = [answers[0], *lines_until(reopener, answers[-1])]
        stop.touch()
        held_output, reopened_output = finish(holder), finish(reopener)

    assert len(set(answers)) == 3, answers  # three different snapshots were published
    # the open session kept reading the snapshot it opened: never blocked, never half-swapped
    assert _seen(held_output) == [] and "queries" in held_output
    # every answer the other analyst got was a whole published snapshot, in publishing order
    assert _seen(reopened_output) == [], reopened_output
    assert reopened_seen == [a for a in answers if a in reopened_seen], reopened_seen

    # Parquet: every table of the newest snapshot is readable and matches the database copy
    con = duckdb.connect(str(published_db), read_only=True)
    tables = result.tables
    for table in tables:
        expected = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        parquet = home / "published" / f"{table}.parquet"
        assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{parquet}')").fetchone()[0] == expected
    con.close()
    assert {"mart.metrics_daily", "mart.metrics_weekly", "mart.metric_catalog"} <= set(tables)
    # the previous Parquet snapshot stays readable for a reader still walking it
    previous = parquet_dirs[0] / "mart.metrics_daily.parquet"
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{previous}')").fetchone()[0] > 0

    # the COMMENT ON documentation came along
    documented = _comments(warehouse, tables)
    assert documented[("mart.metrics_daily", "value")].startswith("Metric value for the day")
    assert _comments(published_db, tables) == documented
