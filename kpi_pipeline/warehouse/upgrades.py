"""Upgrades of warehouses built by an earlier version, run by :func:`ensure_schema` before the DDL.

A column that is only added is upgraded in its own ``sql/`` file (``ALTER TABLE … ADD COLUMN IF
NOT EXISTS``). A change that renames or splits columns cannot be written that way, so it lives
here: each upgrade says how to recognise an old table (a column only it has) and rebuilds the
table in one transaction, its rows carried over. Raw tables are never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import duckdb

from kpi_pipeline.warehouse.duck import in_transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableUpgrade:
    """Rebuild ``table`` when it still has ``old_column``; ``copy_sql`` fills the new table from
    ``{old}`` (the old table, renamed) and ``create`` runs the table's current DDL."""

    table: str
    old_column: str
    copy_sql: str
    why: str


# mart.aarrr_weekly had wow_change / yoy_change: a relative change for most units and a
# difference in points for rates, in one column. They are split by the metric's unit (the
# catalogue already in the warehouse, the same join as the model).
_AARRR_SPLIT_CHANGES = TableUpgrade(
    table="mart.aarrr_weekly",
    old_column="wow_change",
    copy_sql="""
INSERT INTO mart.aarrr_weekly BY NAME
SELECT o.site_id, o.week_start, o.iso_week, o.phase, o.phase_order, o.metric_id, o.value,
       o.prev_week_value, o.last_year_value,
       CASE WHEN u.is_rate THEN NULL ELSE o.wow_change END AS wow_change_pct,
       CASE WHEN u.is_rate THEN o.wow_change END AS wow_change_pt,
       CASE WHEN u.is_rate THEN NULL ELSE o.yoy_change END AS yoy_change_pct,
       CASE WHEN u.is_rate THEN o.yoy_change END AS yoy_change_pt,
       o.provisional_days
FROM {old} AS o
CROSS JOIN LATERAL (
    SELECT coalesce(bool_or(c.unit = 'rate'), FALSE) AS is_rate
    FROM mart.metric_catalog AS c
    WHERE c.metric_id = o.metric_id AND (c.site_id IS NULL OR c.site_id = o.site_id)
) AS u
""",
    why="wow_change / yoy_change split into *_pct (relative change) and *_pt (rates, points)",
)

UPGRADES: tuple[TableUpgrade, ...] = (_AARRR_SPLIT_CHANGES,)


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    schema, name = table.split(".")
    return con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? AND column_name = ?",
        [schema, name, column],
    ).fetchone()[0] > 0


def _rebuild(con: duckdb.DuckDBPyConnection, upgrade: TableUpgrade,
             create: Callable[[str], None]) -> None:
    schema, name = upgrade.table.split(".")
    con.execute(f"ALTER TABLE {upgrade.table} RENAME TO _{name}_before_upgrade")
    create(upgrade.table)
    con.execute(upgrade.copy_sql.format(old=f"{schema}._{name}_before_upgrade"))
    con.execute(f"DROP TABLE {schema}._{name}_before_upgrade")


def upgrade_tables(con: duckdb.DuckDBPyConnection, create: Callable[[str], None]) -> list[str]:
    """Apply every upgrade whose old table is present; ``create(table)`` runs its current DDL.

    Returns the tables upgraded. Each rebuild is one transaction: on failure the old table stays.
    """
    done = []
    for upgrade in UPGRADES:
        if not _has_column(con, upgrade.table, upgrade.old_column):
            continue
        in_transaction(con, partial(_rebuild, con, upgrade, create))
        log.info("upgraded %s: %s", upgrade.table, upgrade.why)
        done.append(upgrade.table)
    return done
