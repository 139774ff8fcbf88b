"""Plain ``.sql`` files in ``sql/``: table definitions (DDL + COMMENT ON) and model queries.

A file in ``sql/raw`` or ``sql/mart`` defines one table. A model file additionally holds, after
a line starting with ``-- @model``, the SELECT that builds the table's rows for the window
``getvariable('date_from')`` .. ``getvariable('date_to')``. An analyst can run the same file in
the duckdb CLI after ``SET VARIABLE date_from = DATE '2027-04-26'; SET VARIABLE date_to = ...``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import duckdb

from kpi_pipeline.config.package_data import sql_dir
from kpi_pipeline.warehouse.duck import in_transaction
from kpi_pipeline.warehouse.upgrades import upgrade_tables

SQL_DIR = sql_dir()
MODEL_MARKER = "-- @model"
# Order matters only for readability; tables do not reference each other with foreign keys.
SCHEMA_LAYERS = ("raw", "meta", "mart")
# DuckLake refuses PRIMARY KEY/UNIQUE ("not supported in DuckLake"): there the tables are created
# without them and the unique_keys asset checks guard the keys (as for the raw tables already).
# It also takes only literals as defaults, and FALSE/TRUE are not literals to it: 'false' is.
_BOOLEAN_DEFAULT = re.compile(r"\bDEFAULT\s+(FALSE|TRUE)\b", re.IGNORECASE)
_TABLE_KEY = re.compile(r",\s*PRIMARY KEY\s*\([^)]*\)", re.IGNORECASE)
_COLUMN_KEY = re.compile(r"\s+(PRIMARY KEY|UNIQUE)\b(?=\s*[,\n)])", re.IGNORECASE)


def lake_ddl(ddl: str) -> str:
    """``ddl`` as DuckLake takes it: no PRIMARY KEY / UNIQUE, boolean defaults as literals."""
    ddl = _COLUMN_KEY.sub("", _TABLE_KEY.sub("", ddl))
    return _BOOLEAN_DEFAULT.sub(lambda m: f"DEFAULT '{m.group(1).lower()}'", ddl)


@cache
def _read(path: Path) -> tuple[str, str | None]:
    text = path.read_text(encoding="utf-8")
    ddl, sep, model = text.partition(MODEL_MARKER)
    if not sep:
        return ddl, None
    # drop the rest of the marker line (its comment) and keep the query
    return ddl, model.split("\n", 1)[1] if "\n" in model else ""


def table_file(schema: str, table: str) -> Path:
    return SQL_DIR / schema / f"{table}.sql"


def model_sql(schema: str, table: str) -> str:
    """The model query of ``schema.table`` (raises if the file has no ``-- @model`` part)."""
    path = table_file(schema, table)
    _, model = _read(path)
    if model is None:
        raise ValueError(f"{path} has no '{MODEL_MARKER}' section")
    return model.strip().rstrip(";")


def _create_table(con: duckdb.DuckDBPyConnection, table: str, adapt: Callable[[str], str]) -> None:
    schema, name = table.split(".")
    ddl, _ = _read(table_file(schema, name))
    con.execute(adapt(ddl))


def ensure_schema(con: duckdb.DuckDBPyConnection, *, lake: bool = False) -> None:
    """Create every schema and table (idempotent: CREATE ... IF NOT EXISTS, COMMENT ON), after
    upgrading tables an earlier version built with other columns (``warehouse/upgrades.py``,
    each upgrade its own transaction); on a DuckLake (``lake``) without key constraints."""
    adapt: Callable[[str], str] = lake_ddl if lake else (lambda ddl: ddl)
    upgrade_tables(con, lambda table: _create_table(con, table, adapt))
    if lake:
        # one transaction: each statement on its own is a catalog commit (~20 s for all of them)
        in_transaction(con, lambda: _create_all(con, adapt))
    else:
        _create_all(con, adapt)


def _create_all(con: duckdb.DuckDBPyConnection, adapt: Callable[[str], str]) -> None:
    con.execute((SQL_DIR / "schema" / "schemas.sql").read_text(encoding="utf-8"))
    for layer in SCHEMA_LAYERS:
        for path in sorted((SQL_DIR / layer).glob("*.sql")):
            ddl, _ = _read(path)
            if ddl.strip():
                con.execute(adapt(ddl))
