"""DuckDB connections and the one write primitive every asset uses: replace rows atomically."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd

from kpi_pipeline.config.warehouse_location import WarehouseLocation
from kpi_pipeline.errors import PipelineFailure, UserError

log = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = 600.0
LOCK_POLL_SECONDS = 0.5


class WarehouseFileError(UserError):
    """The warehouse path is not a DuckDB database (a wrong KPI_HOME, an overwritten file)."""


class WarehouseBusy(PipelineFailure):
    """Another process kept the warehouse locked for longer than we wait."""


_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def checked_table(name: str) -> str:
    """A ``schema.table`` name safe to place in SQL text (names come from code, never data)."""
    if not _TABLE_NAME.match(name):
        raise ValueError(f"not a warehouse table name: {name!r}")
    return name


def _is_lock_error(exc: duckdb.Error) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


T = TypeVar("T")


def waiting_for_lock(
    open_file: Callable[[], T],
    path: Path,
    *,
    wait_seconds: float = LOCK_WAIT_SECONDS,
    logger: logging.Logger | Any | None = None,
) -> T:
    """Call ``open_file``; while another process holds ``path``'s DuckDB lock, wait with a log line.

    DuckDB allows one read-write process per file. Dagster's ``warehouse`` pool keeps our own
    runs apart; this wait covers anyone else (a CLI call, an analyst who opened the live file).
    """
    logger = logger or log
    deadline = time.monotonic() + wait_seconds
    announced = False
    while True:
        try:
            return open_file()
        except duckdb.IOException as exc:
            if not _is_lock_error(exc) or time.monotonic() >= deadline:
                raise
            if not announced:
                logger.info(
                    f"warehouse {path} is locked by another process; waiting up to "
                    f"{wait_seconds:.0f}s for it to finish"
                )
                announced = True
            time.sleep(LOCK_POLL_SECONDS)


def connect(
    where: str | Path | WarehouseLocation,
    *,
    read_only: bool = False,
    wait_seconds: float = LOCK_WAIT_SECONDS,
    logger: logging.Logger | Any | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse: a DuckDB file (waiting, with a log line, while another process holds
    its lock) or the lake / MotherDuck database ``KPI_WAREHOUSE`` names."""
    if isinstance(where, WarehouseLocation):
        if where.is_lake:
            from kpi_pipeline.warehouse.lake import open_lake

            return open_lake(where, read_only=read_only)
        if where.kind == "motherduck":
            raise WarehouseFileError(
                f"{where.label()}: MotherDuck needs DuckDB's motherduck extension and a network "
                "connection, neither of which this installation has; leave KPI_WAREHOUSE unset "
                "(the DuckDB file) or use ducklake:postgres:<conninfo> (docs/ops.md)")
        assert where.path is not None
        where = where.path
    path = Path(where)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return waiting_for_lock(lambda: duckdb.connect(str(path), read_only=read_only), path,
                                wait_seconds=wait_seconds, logger=logger)
    except duckdb.IOException as exc:
        if _is_lock_error(exc):
            raise WarehouseBusy(f"{path}: still locked by another process after "
                                f"{wait_seconds:.0f}s: {exc}") from None
        raise WarehouseFileError(f"{path}: cannot open the warehouse ({exc}); check KPI_HOME, "
                                 "or move the file away and rebuild with `kpi-pipeline run`") from None


@dataclass(frozen=True)
class Replacement:
    """Rows that replace the rows of ``table`` matching ``where`` (bound ``params``)."""

    table: str
    rows: pd.DataFrame | Iterable[pd.DataFrame]
    where: str
    params: Sequence[Any] | Mapping[str, Any] = ()


CONFLICT_RETRIES = 5
CONFLICT_WAIT_SECONDS = 0.2


def _is_conflict(exc: duckdb.Error) -> bool:
    """DuckLake refused our commit: another process changed the same rows first (its snapshot
    retries, ``ducklake_max_retry_count``, cover only clashing snapshot ids)."""
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open (a failed COMMIT has already ended it)."""
    try:
        con.execute("ROLLBACK")
    except duckdb.TransactionException as exc:
        if "no transaction is active" not in str(exc):
            raise


def in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], T], *,
                   logger: logging.Logger | Any | None = None) -> T:
    """``work()`` between BEGIN and COMMIT; rolled back on any failure. A DuckLake commit
    conflict (two processes replacing the same rows at once) runs ``work`` again on the new
    snapshot, up to :data:`CONFLICT_RETRIES` times: last writer wins, nothing doubles."""
    for attempt in range(CONFLICT_RETRIES + 1):
        con.execute("BEGIN TRANSACTION")
        try:
            result = work()
            con.execute("COMMIT")
            return result
        except duckdb.Error as exc:
            _rollback(con)
            if not _is_conflict(exc) or attempt == CONFLICT_RETRIES:
                raise
            (logger or log).info(f"warehouse commit conflict with another writer; retrying "
                                 f"({attempt + 1}/{CONFLICT_RETRIES})")
            time.sleep(CONFLICT_WAIT_SECONDS * (attempt + 1))
        except BaseException:
            _rollback(con)
            raise
    raise AssertionError("unreachable")


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con``'s current database is a DuckLake (a conflict can make us retry)."""
    row = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return row is not None and row[0] == "ducklake"


class _Replayable:
    """Pages of an iterable, kept as they are read so a retried transaction can insert them
    again (only on DuckLake: on the file a page is dropped once inserted)."""

    def __init__(self, pages: Iterable[pd.DataFrame]) -> None:
        self._source = iter(pages)
        self._seen: list[pd.DataFrame] = []

    def __iter__(self) -> Iterator[pd.DataFrame]:
        yield from self._seen
        for page in self._source:
            self._seen.append(page)
            yield page


def replace_tables(con: duckdb.DuckDBPyConnection, replacements: Sequence[Replacement]) -> list[int]:
    """Apply every replacement in ONE transaction; return the rows written per table.

    Rows are one frame or an iterable of frames (pages from an API: each is inserted in bulk as
    it arrives, so memory holds one page at a time on the file). Table names and ``where``
    come from our code, never from data; values are bound as parameters; columns are matched
    by name. Any failure, including one raised while producing a page, rolls back everything:
    the previous rows stay and a half-written partition (or totals without their breakdowns)
    never shows. On DuckLake a commit conflict replays the transaction (:func:`in_transaction`).
    """
    lake = is_lake(con)
    pages_of = [
        [item.rows] if isinstance(item.rows, pd.DataFrame)
        else _Replayable(item.rows) if lake else item.rows
        for item in replacements
    ]

    def write() -> list[int]:
        written = []
        for item, pages in zip(replacements, pages_of, strict=True):
            table = checked_table(item.table)
            con.execute(f"DELETE FROM {table} WHERE {item.where}", item.params)  # noqa: S608 (identifiers from code)
            count = 0
            for page in pages:
                if not len(page):
                    continue
                con.register("_replace_rows", page)
                try:
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _replace_rows")  # noqa: S608 (identifiers from code)
                finally:
                    con.unregister("_replace_rows")
                count += len(page)
            written.append(count)
        return written

    return in_transaction(con, write)


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: pd.DataFrame | Iterable[pd.DataFrame],
    where: str,
    params: Sequence[Any] | Mapping[str, Any] = (),
) -> int:
    """Delete the rows of ``table`` matching ``where`` and insert ``rows``, atomically."""
    return replace_tables(con, [Replacement(table, rows, where, params)])[0]
