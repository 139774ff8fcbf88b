"""Asset metadata the Dagster UI shows for a warehouse table: rows, schema, a preview."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
from dagster import MetadataValue, TableColumn, TableSchema

from kpi_pipeline.warehouse.duck import checked_table

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
    """Row count of the slice just written, the table's documented columns and a Markdown head."""
    schema, name = checked_table(table).split(".")
    columns = con.execute(
        "SELECT column_name, data_type, coalesce(comment, '') FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, name],
    ).fetchall()
    rows = con.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0]  # noqa: S608 (identifiers from code)
    total = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (identifiers from code)
    order = f" ORDER BY {order_by}" if order_by else ""
    head = con.execute(
        f"SELECT * FROM {table} WHERE {where}{order} LIMIT {PREVIEW_ROWS}", params  # noqa: S608 (identifiers from code)
    ).df()
    metadata: dict[str, Any] = {
        "dagster/row_count": MetadataValue.int(int(rows)),
        "table_rows_total": MetadataValue.int(int(total)),
        "dagster/column_schema": TableSchema(
            columns=[TableColumn(n, t, description=c or None) for n, t, c in columns]
        ),
        "preview": MetadataValue.md(head.to_markdown(index=False) if len(head) else "_no rows_"),
        "table": MetadataValue.text(table),
    }
    if sql_file:
        metadata["sql_file"] = MetadataValue.path(sql_file)
    return metadata
