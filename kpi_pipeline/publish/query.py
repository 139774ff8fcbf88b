"""Analysts' SQL on the published copy, and nothing else (``kpi-pipeline query``).

Opening a DuckDB file ``read_only`` stops writes to *that file* only: SQL can still read any
file on disk (``read_text('.env')``), write one (``COPY … TO``), attach the live warehouse (and
hold its lock) or install extensions. So the connection is opened with external access off and
the configuration locked before a single statement of the user's runs, and statements other
than reads are refused up front with a message that names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from kpi_pipeline.publish.query_output import json_text, renderer, rows_as_json

# What a locked connection may run: plain reads (SELECT, FROM …, SHOW, DESCRIBE, SUMMARIZE and
# PRAGMA show_tables all parse as SELECT) and their plans.
ALLOWED = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)

LOCKED_CONFIG = {
    "enable_external_access": False,  # no file, network or ATTACH beyond the opened database
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,  # the SQL cannot SET any of this back
}


class QueryError(ValueError):
    """The SQL failed on the copy (a typo, an unknown table) or the copy cannot be opened."""


class QueryRefused(QueryError):
    """The SQL is not a read of the analyst copy: nothing of it was run."""


@dataclass(frozen=True)
class QueryResult:
    """One statement of the SQL and its result, already written as text."""

    statement: str
    text: str
    rows: list[dict[str, Any]] | None = None  # JSON output: the rows, for several statements


def open_locked(path: Path) -> duckdb.DuckDBPyConnection:
    """``path`` read-only, with no way out to the file system, the network or extensions."""
    try:
        return duckdb.connect(str(path), read_only=True, config=LOCKED_CONFIG)
    except duckdb.Error as exc:
        raise QueryError(f"cannot open {path} as a DuckDB database: {exc}") from None


def run_read_only(path: Path, sql: str, output: str = "box",
                  width: int | None = None) -> list[QueryResult]:
    """Each statement of ``sql`` run on the copy at ``path``, in order, its result written as
    ``output`` (:data:`~kpi_pipeline.publish.query_output.OUTPUT_FORMATS`); raises
    :class:`QueryRefused` before running anything if one statement is not a read, and
    :class:`QueryError` when DuckDB rejects one (the reads before it have run, harmlessly)."""
    render = renderer(output, width)
    con = open_locked(path)
    try:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as exc:
            raise QueryError(_one_line(str(exc))) from None
        if not statements:
            raise QueryRefused("no SQL statement given")
        for statement in statements:
            if statement.type not in ALLOWED:
                kind = statement.type.name
                raise QueryRefused(
                    f"{kind} is not allowed: `query` is read-only on the published analyst copy "
                    f"(SELECT, FROM, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN); refused: "
                    f"{_one_line(statement.query)[:80]}"
                )
        results = []
        for statement in statements:
            try:
                relation = con.sql(statement.query)
                rows = rows_as_json(relation) if output == "json" else None
                text = json_text(rows) if rows is not None else render(relation)
            except duckdb.Error as exc:
                raise QueryError(_one_line(str(exc))) from None
            results.append(QueryResult(_one_line(statement.query), text, rows))
        return results
    finally:
        con.close()


def _one_line(text: str) -> str:
    return " ".join(text.split())
