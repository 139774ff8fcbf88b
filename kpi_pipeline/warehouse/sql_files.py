"""Plain ``.sql`` files in ``sql/``: table definitions (DDL + COMMENT ON) and model queries.

A file in ``sql/raw`` or ``sql/mart`` defines one table. A model file additionally holds, after
a line starting with ``-- @model``, the SELECT that builds the table's rows for the window
``getvariable('date_from')`` .. ``getvariable('date_to')``. An analyst can run the same file in
the duckdb CLI after ``SET VARIABLE date_from = DATE '2027-04-26'; SET VARIABLE date_to = ...``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import duckdb

from kpi_pipeline.package_data import sql_dir
from kpi_pipeline.warehouse.upgrades import upgrade_tables

SQL_DIR = sql_dir()
MODEL_MARKER = "-- @model"
# Order matters only for readability; tables do not reference each other with foreign keys.
SCHEMA_LAYERS = ("raw", "meta", "mart")


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


def _create_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    schema, name = table.split(".")
    ddl, _ = _read(table_file(schema, name))
    con.execute(ddl)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every schema and table (idempotent: CREATE ... IF NOT EXISTS, COMMENT ON), after
    upgrading tables an earlier version built with other columns (``warehouse/upgrades.py``)."""
    con.execute((SQL_DIR / "schema" / "schemas.sql").read_text(encoding="utf-8"))
    upgrade_tables(con, lambda table: _create_table(con, table))
    for layer in SCHEMA_LAYERS:
        for path in sorted((SQL_DIR / layer).glob("*.sql")):
            ddl, _ = _read(path)
            if ddl.strip():
                con.execute(ddl)
