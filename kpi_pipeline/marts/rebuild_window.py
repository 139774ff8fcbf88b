"""The days a weekly step rebuilds for a site: the run's days, widened to the stored days a load
changed since the step last rebuilt them (``meta.changed_days``).

A corrected CRM export or custom CSV reloads days of earlier weeks (``raw/corrections.py``). The
marts are derived, never patched, so every weekly table must rebuild from the earliest changed
day on, and up to the newest week it has built (a running total or a later week's baseline reads
the changed day too). Which changes a table has caught up with is kept per table and site in
``meta.changes_applied``: a step that fails leaves it as it was, so the next run rebuilds the
days again; a run narrowed to one site (``--site``) moves only that site on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import duckdb

from kpi_pipeline.calendar import monday
from kpi_pipeline.warehouse.duck import checked_table, in_transaction

_PENDING_SQL = """
SELECT min(date), max(changed_at)
FROM meta.changed_days
WHERE site_id = ? AND changed_at > coalesce(
    (SELECT max(applied_through) FROM meta.changes_applied WHERE asset = ? AND site_id = ?),
    TIMESTAMP '-infinity')
"""


@dataclass(frozen=True)
class SiteWindow:
    """Days ``date_from``..``date_to`` a step rebuilds for a site; ``through`` is the newest change
    they include (None: no change pending, the run's own days)."""

    date_from: date
    date_to: date
    through: datetime | None = None
    first_changed: date | None = None


def site_window(con: duckdb.DuckDBPyConnection, table: str, key_column: str, site_id: str,
                days: tuple[date, date]) -> SiteWindow:
    """The run's ``days`` for ``table`` (keyed by ``key_column``: ``date`` or ``week_start``),
    widened for the site's changed days that ``table`` has not rebuilt yet."""
    first, through = con.execute(_PENDING_SQL, [site_id, table, site_id]).fetchone()
    if first is None:
        return SiteWindow(*days)
    newest = con.execute(
        f"SELECT max({key_column}) FROM {checked_table(table)} WHERE site_id = ?",  # noqa: S608 (identifiers from code)
        [site_id]).fetchone()[0]
    built_to = newest + timedelta(days=6) if newest is not None and key_column == "week_start" else newest
    date_to = max(d for d in (days[1], built_to) if d is not None)
    return SiteWindow(min(days[0], monday(first)), date_to, through, first)


def mark_applied(con: duckdb.DuckDBPyConnection, table: str, site_id: str, window: SiteWindow) -> None:
    """Record that ``table`` has rebuilt the site's changes up to ``window.through`` (after its
    rows are written: a crash in between only rebuilds the same days again next run)."""
    if window.through is None:
        return
    now = datetime.now(UTC).replace(tzinfo=None)

    def write() -> None:
        con.execute("DELETE FROM meta.changes_applied WHERE asset = ? AND site_id = ?", [table, site_id])
        con.execute("INSERT INTO meta.changes_applied VALUES (?, ?, ?, ?)",
                    [table, site_id, window.through, now])

    in_transaction(con, write)


def widened(window: SiteWindow) -> str:
    """What a step's log line adds when changed days widened its window."""
    if window.first_changed is None:
        return ""
    return f" (widened: stored days changed from {window.first_changed} on)"
