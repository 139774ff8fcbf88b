"""The ``COMMENT ON`` documentation of the published tables, in forms Parquet readers can see.

A Parquet file has no place for DuckDB's comments, so each file carries them as key-value
metadata (``table_description``, and ``column_descriptions`` as a JSON object), and
``schema.json`` beside the files lists every table with its columns, types and descriptions.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import duckdb

SCHEMA_FILE = "schema.json"
# key-value metadata keys of every published Parquet file
TABLE_KEY = "table_name"
DESCRIPTION_KEY = "table_description"
COLUMNS_KEY = "column_descriptions"


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class TableDoc:
    table: str
    description: str
    columns: tuple[ColumnDoc, ...]

    @property
    def file(self) -> str:
        return f"{self.table}.parquet"

    def key_values(self) -> dict[str, str]:
        """The Parquet key-value metadata of this table's file."""
        return {
            TABLE_KEY: self.table,
            DESCRIPTION_KEY: self.description,
            COLUMNS_KEY: json.dumps({c.name: c.description for c in self.columns}, ensure_ascii=False),
        }


def table_docs(con: duckdb.DuckDBPyConnection, tables: list[str]) -> list[TableDoc]:
    """Descriptions and column types of ``tables`` (``schema.table``) in the current database."""
    docs = []
    for table in tables:
        schema, name = table.split(".")
        (description,) = con.execute(
            "SELECT coalesce(comment, '') FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ?", [schema, name]).fetchone()
        columns = con.execute(
            "SELECT column_name, data_type, coalesce(comment, '') FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = ? AND table_name = ? "
            "ORDER BY column_index", [schema, name]).fetchall()
        docs.append(TableDoc(table, description, tuple(ColumnDoc(*c) for c in columns)))
    return docs


def schema_json(docs: list[TableDoc]) -> str:
    """``schema.json``: every published table, its file, description and columns."""
    tables = {
        d.table: {"file": d.file, "description": d.description,
                  "columns": [asdict(c) for c in d.columns]}
        for d in docs
    }
    return json.dumps({"tables": tables}, ensure_ascii=False, indent=2) + "\n"
