"""docs/analyst.md: every example query runs on what the demo pipeline publishes and answers.

SQL blocks run on the published analyst copy, except those whose first line says
``-- database: warehouse.duckdb`` (raw tables live only in the warehouse), which run on a
read-only connection to the warehouse, as the guide tells analysts to open it.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance
from helpers.paths import DOCS

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.definitions import build_definitions
from kpi_pipeline.orchestration.runner import ingest_days, run_weeks, without_delivery

pytestmark = pytest.mark.slow

GUIDE = DOCS / "analyst.md"
WAREHOUSE_MARK = "-- database: warehouse.duckdb"
# the example targets' fiscal year and baselines, as in test_pipeline_end_to_end.py ...
FIRST_DAY, LAST_DAY, LAST_WEEK = date(2026, 3, 30), date(2026, 11, 22), date(2026, 11, 16)
# ... plus the same ISO week a year earlier, so "vs last year" has something to compare with
LAST_YEAR_WEEK = date(2025, 11, 17)


def _blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", GUIDE.read_text(encoding="utf-8"),
                      flags=re.M | re.S)


def _title(block: str) -> str:
    first = block.strip().splitlines()[0]
    return first.removeprefix("--").strip() if first.startswith("--") else first[:40]


SQL_BLOCKS = _blocks("sql")


@pytest.fixture(scope="module")
def kpi_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("analyst_home")
    defs = build_definitions(Settings.from_env({"KPI_HOME": str(home)}))
    instance = DagsterInstance.ephemeral()
    marts_only = without_delivery(defs)  # the guide is about tables, not the rendered report
    ingest_days(defs, instance, LAST_YEAR_WEEK, LAST_YEAR_WEEK.replace(day=23))
    run_weeks(defs, instance, LAST_YEAR_WEEK, LAST_YEAR_WEEK, selection=marts_only)
    ingest_days(defs, instance, FIRST_DAY, LAST_DAY)
    run_weeks(defs, instance, FIRST_DAY, LAST_WEEK, selection=marts_only)
    return home


def test_the_guide_has_at_least_six_example_queries() -> None:
    assert len(SQL_BLOCKS) >= 6
    assert any(block.startswith(WAREHOUSE_MARK) for block in SQL_BLOCKS)


@pytest.mark.parametrize("sql", SQL_BLOCKS, ids=[_title(b) for b in SQL_BLOCKS])
def test_example_query_returns_rows(kpi_home: Path, sql: str) -> None:
    database = "warehouse.duckdb" if sql.startswith(WAREHOUSE_MARK) else "published.duckdb"
    con = duckdb.connect(str(kpi_home / database), read_only=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    assert rows, f"no rows from:\n{sql}"


def test_the_published_copy_holds_only_the_mart_and_meta_schemas(kpi_home: Path) -> None:
    con = duckdb.connect(str(kpi_home / "published.duckdb"), read_only=True)
    schemas = {s for (s,) in con.execute("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()}
    con.close()
    assert schemas == {"mart", "meta"}


def test_python_examples_run_from_the_project_directory(kpi_home: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The pandas snippets open ``.kpi/…`` relative to the project, as after `make demo`."""
    project = tmp_path / "project"
    project.mkdir()
    (project / ".kpi").symlink_to(kpi_home)
    monkeypatch.chdir(project)
    blocks = _blocks("python")
    assert blocks
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block, str(GUIDE), "exec"), namespace)  # noqa: S102 (our own docs)


def _warehouse_comments(kpi_home: Path, table: str) -> tuple[str, dict[str, tuple[str, str]]]:
    schema, name = table.split(".")
    con = duckdb.connect(str(kpi_home / "warehouse.duckdb"), read_only=True)
    try:
        (description,) = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [schema, name]).fetchone()
        columns = {c: (t, text) for c, t, text in con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() "
            "WHERE schema_name = ? AND table_name = ?", [schema, name]).fetchall()}
    finally:
        con.close()
    return description, columns


@pytest.mark.parametrize("table", ["mart.aarrr_weekly", "mart.kpi_progress", "meta.runs"])
def test_parquet_files_read_with_pandas_and_carry_the_column_comments(kpi_home: Path, table: str) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    parquet = kpi_home / "published" / f"{table}.parquet"
    description, columns = _warehouse_comments(kpi_home, table)
    frame = pd.read_parquet(parquet)
    meta = pq.read_schema(parquet).metadata
    listed = json.loads((kpi_home / "published" / "schema.json").read_text(encoding="utf-8"))
    entry = listed["tables"][table]

    assert len(frame) > 0 and set(frame.columns) == set(columns)
    assert meta[b"table_name"].decode() == table
    assert meta[b"table_description"].decode() == description != ""
    assert json.loads(meta[b"column_descriptions"]) == {c: text for c, (_, text) in columns.items()}
    assert entry["file"] == parquet.name and entry["description"] == description
    assert {c["name"]: (c["type"], c["description"]) for c in entry["columns"]} == columns
    assert [c["name"] for c in entry["columns"]] == list(frame.columns)


def test_schema_json_lists_every_published_parquet_file(kpi_home: Path) -> None:
    listed = json.loads((kpi_home / "published" / "schema.json").read_text(encoding="utf-8"))
    files = sorted(p.name for p in (kpi_home / "published").glob("*.parquet"))
    assert sorted(t["file"] for t in listed["tables"].values()) == files
    assert len(files) >= 8
