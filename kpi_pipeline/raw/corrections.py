"""A whole export against the stored days: which days a load writes, and which of them changed.

A CRM export or a custom metric's CSV is the truth for every day it holds, not only for the days
a run asks for: a corrected export that revises last week's Monday, or fills in a week that was
missing, must reach the warehouse in the next run. :func:`plan_reload` compares the whole export
with what is stored for the site and returns

* the rows to write: every export row of the run's days (as before), plus every row outside
  them that differs from its stored day, or fills a gap in the stored days (between the first
  stored day and the run's days or the last stored day; a day before the first stored one, or
  after both, is left to the run of its own week);
* the changes: one record per day and field whose stored value differs (``revised``), or that
  fills a gap (``added``). A day the run loads for the first time is not a change;
* the days kept: stored days of the run's days the export lacks (a header-only or stale
  export must not erase them), when the table keeps them (the CRM funnel).

No DuckDB here: frames in, frames out (``reload_export`` in ``raw/load.py`` writes them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

CHANGED_DAYS_TABLE = "meta.changed_days"
CHANGE_COLUMNS: tuple[str, ...] = ("site_id", "asset", "date", "field", "change", "old_value",
                                   "new_value")
REVISED, ADDED = "revised", "added"


@dataclass(frozen=True)
class DailyTable:
    """A raw table of days: its columns (``columns``, all of them in order; ``values``, those
    compared), the column naming a series (custom metrics: ``metric_id``; one series per site
    when None), and whether a day the source lacks keeps its stored row (``keep_missing``)."""

    name: str
    columns: tuple[str, ...]
    values: tuple[str, ...]
    series: str | None = None
    keep_missing: bool = False

    @property
    def key(self) -> list[str]:
        return [self.series, "date"] if self.series else ["date"]

    def field(self, row: pd.Series, column: str) -> str:
        """The name a change is recorded under: the custom metric id, or the CRM column."""
        return str(row[self.series]) if self.series else column


@dataclass
class ReloadPlan:
    """What one load writes: the rows, the keys (series, day) outside the run's days they
    replace, the changes found, and the run's days kept because the export lacks them."""

    rows: pd.DataFrame
    outside: pd.DataFrame  # key columns of the rows outside the run's days
    changes: pd.DataFrame  # CHANGE_COLUMNS
    kept: list[date]


def _days(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["date"]).dt.date if len(frame) else pd.Series([], dtype=object)


def plan_reload(
    table: DailyTable, export: pd.DataFrame, stored: pd.DataFrame, site_id: str,
    date_from: date, date_to: date, *, whole_export: bool,
) -> ReloadPlan:
    """The rows of ``export`` to write for the run's days ``date_from``..``date_to`` and, when
    ``whole_export``, the days outside them that changed (see the module docstring).

    ``stored`` holds the site's stored rows (key and value columns); ``export`` the source's rows
    (every day of the file when ``whole_export``, else only the run's days).
    """
    export = export.assign(date=_days(export).to_numpy())
    stored = stored.assign(date=_days(stored).to_numpy())
    inside = export["date"].between(date_from, date_to) if len(export) else pd.Series([], dtype=bool)
    merged = export.merge(stored[[*table.key, *table.values]], on=table.key, how="left",
                          suffixes=("", "_stored"), indicator=True)
    was_stored = (merged["_merge"] == "both").to_numpy()
    differs = np.zeros(len(merged), dtype=bool)
    for column in table.values:
        differs |= was_stored & (merged[column].astype(float) != merged[f"{column}_stored"].astype(float)).to_numpy()
    in_window = inside.to_numpy()
    outside = np.zeros(len(merged), dtype=bool)
    if whole_export and len(merged):
        gap = ~was_stored & _in_a_gap(table, merged, stored, date_from)
        outside = ~in_window & (differs | gap)
    write = in_window | outside
    changes = _changes(table, merged[write], site_id, differs[write], outside[write] & ~was_stored[write])
    kept: list[date] = []
    if table.keep_missing:
        stored_inside = stored[stored["date"].between(date_from, date_to)] if len(stored) else stored
        exported = set(map(tuple, export.loc[inside, table.key].to_numpy())) if len(export) else set()
        kept = sorted({d for key, d in zip(map(tuple, stored_inside[table.key].to_numpy()),
                                           stored_inside["date"], strict=True) if key not in exported})
    rows = export[write].reset_index(drop=True)
    return ReloadPlan(rows, merged.loc[outside, table.key].reset_index(drop=True), changes, kept)


def _in_a_gap(table: DailyTable, merged: pd.DataFrame, stored: pd.DataFrame, date_from: date) -> np.ndarray:
    """Whether each export row's day lies in a gap of its series' stored days: after the first
    stored day, and before the run's days or the last stored day."""
    if not len(stored):
        return np.zeros(len(merged), dtype=bool)
    if table.series is None:
        first = pd.Series(stored["date"].min(), index=merged.index)
        last = pd.Series(stored["date"].max(), index=merged.index)
    else:
        by_series = stored.groupby(table.series)["date"]
        first, last = merged[table.series].map(by_series.min()), merged[table.series].map(by_series.max())
    known = first.notna().to_numpy()
    days = merged["date"].to_numpy()
    first, last = first.fillna(date.max).to_numpy(), last.fillna(date.min).to_numpy()
    return known & (days >= first) & ((days < date_from) | (days <= last))


def _changes(table: DailyTable, rows: pd.DataFrame, site_id: str, revised: np.ndarray,
             added: np.ndarray) -> pd.DataFrame:
    """One record per day and field that a revised row changes, or that an added row fills."""
    records: list[tuple] = []
    for (_, row), is_revised, is_added in zip(rows.iterrows(), revised, added, strict=True):
        if not (is_revised or is_added):
            continue
        for column in table.values:
            new = float(row[column])
            old = None if is_added else float(row[f"{column}_stored"])
            if old != new:
                records.append((site_id, table.name, row["date"], table.field(row, column),
                                ADDED if is_added else REVISED, old, new))
    return pd.DataFrame.from_records(records, columns=list(CHANGE_COLUMNS)).astype(
        {"old_value": "float64", "new_value": "float64"})


def outside_condition(table: DailyTable, outside: pd.DataFrame) -> tuple[str, list[object]]:
    """SQL (and parameters) matching the stored rows of the ``outside`` keys: the days outside
    the run's days that the load replaces. Values are bound, never spliced."""
    days = [d for d in outside["date"]]
    if table.series is None:
        return "date IN (SELECT unnest(?::DATE[]))", [days]
    keys = "(SELECT unnest(?::VARCHAR[]) AS s, unnest(?::DATE[]) AS d)"
    condition = f"EXISTS (SELECT 1 FROM {keys} AS k WHERE k.s = {table.series} AND k.d = date)"  # noqa: S608 (a column name from code)
    return condition, [list(outside[table.series]), days]


def describe_changes(changes: pd.DataFrame, limit: int = 7) -> str:
    """「2026-11-09 orders 3 → 5, 2026-11-10 added」: the first ``limit`` days, for logs."""
    parts: list[str] = []
    for day, group in changes.groupby("date", sort=True):
        if group["change"].iloc[0] == ADDED:
            parts.append(f"{day} added")
        else:
            fields = ", ".join(f"{r.field} {_number(r.old_value)} → {_number(r.new_value)}"
                               for r in group.itertuples())
            parts.append(f"{day} {fields}")
    shown = parts[:limit] + ([f"and {len(parts) - limit} more day(s)"] if len(parts) > limit else [])
    return "; ".join(shown)


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else f"{int(value)}"


def changed_days_markdown(changes: Sequence[pd.DataFrame]) -> str:
    """The changes of a step (every site) as a Markdown table for the Dagster UI."""
    frame = pd.concat([c for c in changes if len(c)], ignore_index=True) if any(len(c) for c in changes) else None
    if frame is None:
        return "_no stored day changed_"
    lines = ["| site | table | date | field | change | old | new |", "|---|---|---|---|---|---|---|"]
    for r in frame.sort_values(["site_id", "date", "field"]).itertuples():
        old = "" if pd.isna(r.old_value) else _number(r.old_value)
        lines.append(f"| {r.site_id} | {r.asset} | {r.date} | {r.field} | {r.change} | {old} | "
                     f"{_number(r.new_value)} |")
    return "\n".join(lines)
