"""The DuckDB warehouse: connecting, creating tables from ``sql/``, replacing partitions."""

from kpi_pipeline.warehouse.duck import connect, replace_rows
from kpi_pipeline.warehouse.sql_files import SQL_DIR, ensure_schema, model_sql

__all__ = ["SQL_DIR", "connect", "ensure_schema", "model_sql", "replace_rows"]
