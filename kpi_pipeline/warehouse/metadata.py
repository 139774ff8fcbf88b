"""Asset metadata the Dagster UI shows for a warehouse table.

The documented columns (``COMMENT ON`` in ``sql/``) are known before anything runs, so they are
definition metadata (:func:`declared_column_schemas`); a materialization carries what the run
wrote: rows and a preview. A single-run backfill stores its metadata once per partition, so
every byte left out of it is saved hundreds of times.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import duckdb
from dagster import MetadataValue, TableColumn, TableSchema

from kpi_pipeline.warehouse.duck import checked_table
from kpi_pipeline.warehouse.sql_files import ensure_schema

PREVIEW_ROWS = 10


def table_metadata(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    where: str = "TRUE",
    params: Sequence[Any] = (),
    sql_file: str | None = None,
    order_by: str | None = None,
) -> dict[str, Any]:
    """Row count of the slice just written, the table's total and a Markdown head."""
    checked_table(table)
    rows = con.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]  # noqa: S608 (identifiers from code)
    total = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (identifiers from code)
    order = f" ORDER BY {order_by}" if order_by else ""
    head = con.execute(
        f"SELECT * FROM {table} WHERE {where}{order} LIMIT {PREVIEW_ROWS}", params  # noqa: S608 (identifiers from code)
    ).df()
    metadata: dict[str, Any] = {
        "dagster/row_count": MetadataValue.int(int(rows)),
        "table_rows_total": MetadataValue.int(int(total)),
        "preview": MetadataValue.md(head.to_markdown(index=False) if len(head) else "_no rows_"),
        "table": MetadataValue.text(table),
    }
    if sql_file:
        metadata["sql_file"] = MetadataValue.path(sql_file)
    return metadata


@cache
def declared_column_schemas() -> dict[str, TableSchema]:
    """``schema.table`` -> its columns, types and ``COMMENT ON`` texts, from the DDL in ``sql/``
    (run on an in-memory database: no warehouse needed to load the definitions)."""
    con = duckdb.connect(":memory:")
    try:
        ensure_schema(con)
        rows = con.execute(
            "SELECT schema_name || '.' || table_name, column_name, data_type, coalesce(comment, '') "
            "FROM duckdb_columns() WHERE database_name = current_database() "
            "ORDER BY schema_name, table_name, column_index"
        ).fetchall()
    finally:
        con.close()
    columns: dict[str, list[TableColumn]] = {}
    for table, name, data_type, comment in rows:
        columns.setdefault(table, []).append(TableColumn(name, data_type, description=comment or None))
    return {table: TableSchema(columns=cols) for table, cols in columns.items()}
