"""Run a SQL model from ``sql/mart`` for one site and window, replacing that window atomically.

The SQL files are the single source of the transformations (an analyst can run them in the
duckdb CLI); Python only sets the window variables and wraps DELETE + INSERT in a transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb

from kpi_pipeline.catalog import DEFAULT_KEY_PATHS, DEFAULT_SHARE_EVENTS
from kpi_pipeline.warehouse.duck import in_transaction
from kpi_pipeline.warehouse.sql_files import model_sql


@dataclass(frozen=True)
class MartModel:
    """A mart table built by a model query, replaced per site over a range of its key column."""

    table: str
    key_column: str  # "date" for daily marts, "week_start" for weekly ones

    @property
    def qualified(self) -> str:
        return f"mart.{self.table}"

    @property
    def sql_path(self) -> str:
        return f"sql/mart/{self.table}.sql"


METRICS_DAILY = MartModel("metrics_daily", "date")
METRICS_WEEKLY = MartModel("metrics_weekly", "week_start")
AARRR_WEEKLY = MartModel("aarrr_weekly", "week_start")


def set_window(
    con: duckdb.DuckDBPyConnection,
    *,
    site_id: str,
    date_from: date,
    date_to: date,
    provisional_from: date | None = None,
    key_paths: Sequence[str] = DEFAULT_KEY_PATHS,
    share_events: Sequence[str] = DEFAULT_SHARE_EVENTS,
) -> None:
    """Set the variables every model reads (values are bound, never spliced into SQL)."""
    con.execute("SET VARIABLE site_id = ?::VARCHAR", [site_id])
    con.execute("SET VARIABLE date_from = ?::DATE", [date_from])
    con.execute("SET VARIABLE date_to = ?::DATE", [date_to])
    con.execute("SET VARIABLE provisional_from = ?::DATE", [provisional_from or date.max])
    con.execute("SET VARIABLE key_paths = ?::VARCHAR[]", [list(key_paths)])
    con.execute("SET VARIABLE share_events = ?::VARCHAR[]", [list(share_events)])


def build_model(
    con: duckdb.DuckDBPyConnection,
    model: MartModel,
    *,
    site_id: str,
    date_from: date,
    date_to: date,
    provisional_from: date | None = None,
    key_paths: Sequence[str] = DEFAULT_KEY_PATHS,
    share_events: Sequence[str] = DEFAULT_SHARE_EVENTS,
) -> int:
    """Replace ``model``'s rows for ``site_id`` with key in [date_from, date_to]; return rows written."""
    set_window(
        con,
        site_id=site_id,
        date_from=date_from,
        date_to=date_to,
        provisional_from=provisional_from,
        key_paths=key_paths,
        share_events=share_events,
    )
    query = model_sql("mart", model.table)
    key = model.key_column
    def write() -> int:
        con.execute(
            f"DELETE FROM {model.qualified} WHERE site_id = ? AND {key} BETWEEN ? AND ?",  # noqa: S608 (identifiers from code)
            [site_id, date_from, date_to],
        )
        con.execute(f"INSERT INTO {model.qualified} BY NAME SELECT * FROM ({query})")  # noqa: S608 (identifiers from code)
        return con.execute(
            f"SELECT count(*) FROM {model.qualified} WHERE site_id = ? AND {key} BETWEEN ? AND ?",  # noqa: S608 (identifiers from code)
            [site_id, date_from, date_to],
        ).fetchone()[0]

    return in_transaction(con, write)
