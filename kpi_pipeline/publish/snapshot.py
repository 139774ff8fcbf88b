"""Publish ``published.duckdb`` and Parquet files atomically: write new files, then rename.

DuckDB lets one process write a file; an analyst who opened the live warehouse would block the
pipeline (and vice versa). So analysts read a copy: we write it next to the target and
``os.replace`` it into place. A reader holding the old file keeps reading the old snapshot
(POSIX keeps the unlinked inode alive); a new reader sees the new one, never a half-written file.
Parquet files live in a directory per snapshot, and ``published`` is a symlink swapped the same way;
they carry the tables' comments (``table_docs.py``: key-value metadata and ``schema.json``).
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kpi_pipeline.publish.table_docs import SCHEMA_FILE, TableDoc, schema_json, table_docs
from kpi_pipeline.warehouse.duck import checked_table, waiting_for_lock

PUBLISHED_SCHEMAS = ("mart", "meta")
KEEP_PARQUET_SNAPSHOTS = 2


@dataclass(frozen=True)
class PublishResult:
    database: Path
    parquet_dir: Path
    tables: list[str]


def _tables(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[str]:
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = 'wh' AND list_contains(?, schema_name) "
        "ORDER BY 1, 2",
        [list(schemas)],
    ).fetchall()
    return [f"{schema}.{table}" for schema, table in rows]


def publish_snapshot(warehouse_path: Path, kpi_home: Path) -> PublishResult:
    """Copy the marts (and meta) of the closed warehouse into a fresh snapshot and swap it in."""
    kpi_home.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    target = kpi_home / "published.duckdb"
    tmp_db = kpi_home / f".published-{token}.duckdb"
    parquet_root = kpi_home / "published.d"
    parquet_dir = parquet_root / token
    parquet_dir.mkdir(parents=True)
    try:
        # write the new file; read the warehouse through a read-only attachment
        con = duckdb.connect(str(tmp_db))
        try:
            attach = f"ATTACH {_literal(str(warehouse_path))} AS wh (READ_ONLY)"
            waiting_for_lock(lambda: con.execute(attach), warehouse_path)
            tables = _tables(con, PUBLISHED_SCHEMAS)
            con.execute("BEGIN TRANSACTION")  # one commit for the tables and their ~400 comments
            for schema in PUBLISHED_SCHEMAS:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for table in tables:
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM wh.{table}")  # noqa: S608 (identifiers from code)
            _copy_comments(con, tables)
            con.execute("COMMIT")
            docs = table_docs(con, tables)
            for doc in docs:
                _write_parquet(con, doc, parquet_dir)
            (parquet_dir / SCHEMA_FILE).write_text(schema_json(docs), encoding="utf-8")
            con.execute("DETACH wh")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp_db, target)
        _swap_symlink(kpi_home / "published", parquet_dir)
    except BaseException:
        tmp_db.unlink(missing_ok=True)
        shutil.rmtree(parquet_dir, ignore_errors=True)
        raise
    _prune(parquet_root, keep=parquet_dir)
    return PublishResult(database=target, parquet_dir=kpi_home / "published", tables=tables)


def _write_parquet(con: duckdb.DuckDBPyConnection, doc: TableDoc, folder: Path) -> None:
    """The table as Parquet, its comments as key-value metadata (read with pyarrow)."""
    kv = ", ".join(f"{key}: {_literal(value)}" for key, value in doc.key_values().items())
    parquet_file = _literal(str(folder / doc.file))
    con.execute(f"COPY {checked_table(doc.table)} TO {parquet_file} (FORMAT parquet, KV_METADATA {{{kv}}})")


def _copy_comments(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Carry the COMMENT ON documentation over so analysts see it in the copy too."""
    for table in tables:
        schema, name = table.split(".")
        comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE database_name = 'wh' "
            "AND schema_name = ? AND table_name = ?", [schema, name]
        ).fetchone()[0]
        if comment:
            con.execute(f"COMMENT ON TABLE {table} IS " + _literal(comment))
        for column, col_comment in con.execute(
            "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = 'wh' "
            "AND schema_name = ? AND table_name = ? AND comment IS NOT NULL",
            [schema, name],
        ).fetchall():
            con.execute(f'COMMENT ON COLUMN {table}."{column}" IS ' + _literal(col_comment))


def _literal(text: str) -> str:
    # ATTACH, COPY and COMMENT ON take no bound parameters; the text is ours (paths under
    # KPI_HOME, our documentation), quoted safely.
    return "'" + text.replace("'", "''") + "'"


def _swap_symlink(link: Path, target: Path) -> None:
    tmp_link = link.with_name(f".{link.name}-{uuid.uuid4().hex[:8]}")
    tmp_link.symlink_to(target.relative_to(link.parent))
    os.replace(tmp_link, link)


def _prune(root: Path, keep: Path) -> None:
    """Keep the newest snapshots (a reader may still be walking the previous one)."""
    snapshots = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in snapshots[:-KEEP_PARQUET_SNAPSHOTS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
