"""A writer killed with SIGKILL in the middle of a partition write leaves the old partition intact.

The writer is a real subprocess calling ``replace_rows`` with pages from a generator; it is
killed after the DELETE and a first page larger than a DuckDB row group (so uncommitted rows
have reached the database file), with the transaction still open.
"""

from __future__ import annotations

import os
import signal
from datetime import date
from pathlib import Path

import duckdb
import pytest
from helpers.partition_writer import FIRST_DAY, LAST_DAY, PAGE_ROWS, PAGES, SITE, WHERE, page
from helpers.processes import finish, running, wait_for_line

from kpi_pipeline.warehouse import connect, replace_rows

pytestmark = pytest.mark.slow

TABLE = "raw.ga4_by_dimension"
NEXT_MONDAY = date(2026, 11, 16)


def _partition(con: duckdb.DuckDBPyConnection) -> tuple[int, list[str]]:
    rows, tags = con.execute(
        f"SELECT count(*), list(DISTINCT split_part(dimension_value, '/', 1) ORDER BY 1) "
        f"FROM {TABLE} WHERE {WHERE}", [SITE, FIRST_DAY, LAST_DAY]).fetchone()
    return rows, tags


def _neighbours(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(f"SELECT site_id, date, dimension_value FROM {TABLE} "
                       f"WHERE NOT ({WHERE}) ORDER BY ALL", [SITE, FIRST_DAY, LAST_DAY]).fetchall()


def _old_state(con: duckdb.DuckDBPyConnection) -> None:
    """The partition as a previous run left it, plus rows of the next day and another site."""
    replace_rows(con, TABLE, page("old", 0, rows=700), WHERE, [SITE, FIRST_DAY, LAST_DAY])
    neighbours = page("keep", 0, rows=2).assign(date=[NEXT_MONDAY, FIRST_DAY],
                                                site_id=[SITE, "other-site"])
    replace_rows(con, TABLE, neighbours, "FALSE")


def test_a_writer_killed_mid_partition_leaves_the_old_rows_and_a_rerun_is_correct(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "warehouse.duckdb"
    _old_state(warehouse)
    neighbours = _neighbours(warehouse)
    warehouse.close()  # one writer per file: hand the lock to the subprocess

    with running("partition_writer", str(path), "new", "--stall") as writer:
        wait_for_line(writer, "started")
        os.kill(writer.pid, signal.SIGKILL)
        assert writer.wait(timeout=30) == -signal.SIGKILL

    con = connect(path, wait_seconds=30)
    assert _partition(con) == (700, ["old"])
    assert _neighbours(con) == neighbours
    con.close()

    with running("partition_writer", str(path), "new") as rerun:
        assert finish(rerun).strip() == f"done {PAGE_ROWS * PAGES}"

    con = connect(path, read_only=True)
    assert _partition(con) == (PAGE_ROWS * PAGES, ["new"])
    assert _neighbours(con) == neighbours
    con.close()


def test_a_failure_while_producing_a_page_rolls_back_in_process(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    _old_state(warehouse)

    def pages_then_quota_error():
        yield page("new", 0, rows=50)
        raise RuntimeError("quota exhausted on page 2")

    with pytest.raises(RuntimeError, match="quota exhausted"):
        replace_rows(warehouse, TABLE, pages_then_quota_error(), WHERE, [SITE, FIRST_DAY, LAST_DAY])
    assert _partition(warehouse) == (700, ["old"])
    # the same connection takes the next load
    replace_rows(warehouse, TABLE, page("new", 0, rows=10), WHERE, [SITE, FIRST_DAY, LAST_DAY])
    assert _partition(warehouse) == (10, ["new"])
