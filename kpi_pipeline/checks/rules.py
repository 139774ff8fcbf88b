"""Data-quality rules as plain functions: a DuckDB connection and a window in, violations out.

Each rule runs one query from ``sql/checks`` (an analyst can run the same file in the duckdb CLI
after ``SET VARIABLE site_ids = ['demo']; SET VARIABLE date_from = DATE '2026-11-16'; ...``) or,
for duplicate keys, one query per table generated from :data:`TABLE_KEYS`. Every query returns
``site_id``, ``iso_week``, ``item`` (the offending day, metric, key or table), ``problem`` (what is
wrong, in words) and the values involved. Nothing here imports Dagster: ``kpi_pipeline.checks.assets``
wraps the rules as asset checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb

from kpi_pipeline.calendar import iso_week_label, week_starts_between
from kpi_pipeline.config.package_data import sql_dir

CHECKS_SQL_DIR = sql_dir() / "checks"

# Primary key and partition column of every table the rules guard against duplicates.
TABLE_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "raw.ga4_daily": (("site_id", "date"), "date"),
    "raw.ga4_by_dimension": (("site_id", "date", "dimension", "dimension_value"), "date"),
    "raw.crm_daily": (("site_id", "date"), "date"),
    "raw.ga4_ads_daily": (("site_id", "date"), "date"),
    "raw.custom_daily": (("site_id", "metric_id", "date"), "date"),
    "raw.ga4_weekly_users": (("site_id", "week_start"), "week_start"),
    "mart.metrics_daily": (("site_id", "date", "metric_id"), "date"),
    "mart.metrics_weekly": (("site_id", "week_start", "metric_id"), "week_start"),
    "mart.aarrr_weekly": (("site_id", "week_start", "metric_id"), "week_start"),
}


@dataclass(frozen=True)
class Window:
    """What a check looks at: the sites, the days ``date_from``..``date_to`` (whole ISO weeks)."""

    sites: tuple[str, ...]
    date_from: date
    date_to: date
    today: date  # in the reporting time zone; yesterday is the newest day that can be complete

    def __post_init__(self) -> None:
        if isinstance(self.sites, str):  # one site given as a plain id
            object.__setattr__(self, "sites", (self.sites,))
        else:
            object.__setattr__(self, "sites", tuple(self.sites))

    @property
    def contains_yesterday(self) -> bool:
        """Whether yesterday (the newest day that can be complete) is one of the window's days."""
        return self.date_from <= self.today - timedelta(days=1) <= self.date_to

    @property
    def weeks(self) -> list[str]:
        """ISO week labels covered, e.g. ``['2026-W46', '2026-W47']``."""
        return [iso_week_label(monday) for monday in week_starts_between(self.date_from, self.date_to)]


@dataclass(frozen=True)
class Violation:
    """One offending row: its site and ISO week, what it is, what is wrong, its values."""

    site_id: str
    iso_week: str
    item: str
    problem: str
    values: dict[str, Any] = field(default_factory=dict)

    def describe(self, with_site: bool = False) -> str:
        where = f"{self.site_id} {self.iso_week}" if with_site else self.iso_week
        return f"{where} {self.item}: {self.problem}"

    def __str__(self) -> str:
        return self.describe(with_site=True)


def _set_variables(con: duckdb.DuckDBPyConnection, window: Window) -> None:
    """The variables every check query reads (bound as parameters, never spliced)."""
    con.execute("SET VARIABLE site_ids = ?::VARCHAR[]", [list(window.sites)])
    con.execute("SET VARIABLE date_from = ?::DATE", [window.date_from])
    con.execute("SET VARIABLE date_to = ?::DATE", [window.date_to])
    con.execute("SET VARIABLE today = ?::DATE", [window.today])


def _violations(con: duckdb.DuckDBPyConnection, sql: str) -> list[Violation]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    found = []
    for row in cursor.fetchall():
        record = dict(zip(names, row, strict=True))
        found.append(Violation(
            site_id=record.pop("site_id"),
            iso_week=record.pop("iso_week"),
            item=record.pop("item"),
            problem=record.pop("problem"),
            values=record,
        ))
    return found


def check_sql(name: str) -> str:
    """The query of ``sql/checks/<name>.sql``."""
    return (CHECKS_SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _file_rule(name: str) -> Callable[[duckdb.DuckDBPyConnection, Window], list[Violation]]:
    def run(con: duckdb.DuckDBPyConnection, window: Window) -> list[Violation]:
        _set_variables(con, window)
        return _violations(con, check_sql(name))

    run.__name__ = name
    run.__doc__ = f"Violations found by sql/checks/{name}.sql."
    return run


missing_days = _file_rule("missing_days")


def missing_raw_days(con: duckdb.DuckDBPyConnection, window: Window) -> list[Violation]:
    """Days up to yesterday with no row in raw.ga4_daily (an outage or a failed daily load)."""
    return [v for v in missing_days(con, window) if v.values["missing_from"] == "raw.ga4_daily"]


def unbuilt_days(con: duckdb.DuckDBPyConnection, window: Window) -> list[Violation]:
    """Days loaded into raw.ga4_daily that have no rows in mart.metrics_daily."""
    return [v for v in missing_days(con, window) if v.values["missing_from"] == "mart.metrics_daily"]

goal_missing_days = _file_rule("goal_missing_days")
goal_missing_days.__doc__ = ("Days of a running goal's period (up to the week's end) with no row in "
                             "the raw table its metric is read from, one row per goal and table.")
session_counts = _file_rule("session_counts")
daily_rates_out_of_range = _file_rule("rates_daily")
weekly_rates_out_of_range = _file_rule("rates_weekly")
weekly_sums_differ = _file_rule("weekly_vs_daily")
funnel_widens = _file_rule("funnel_order")
_freshness = _file_rule("freshness")


def stale_raw_tables(con: duckdb.DuckDBPyConnection, window: Window) -> list[Violation]:
    """Raw daily tables not loaded up to yesterday, labelled with the checked week containing
    yesterday. Nothing when the window does not contain yesterday: checking an older week (a
    backfill) says nothing about today's loads."""
    if not window.contains_yesterday:
        return []
    return _freshness(con, window)


def duplicate_keys_sql(table: str) -> str:
    """Rows of ``table`` in the window that share a primary key (identifiers from TABLE_KEYS)."""
    keys, grain = TABLE_KEYS[table]
    key_text = " || ', ' || ".join(f"{k}::VARCHAR" for k in keys)
    return (
        f"SELECT site_id, strftime({grain}, '%G-W%V') AS iso_week, "  # noqa: S608 (identifiers from code)
        f"'{table} (' || {key_text} || ')' AS item, "
        f"count(*) || ' rows share this key' AS problem, count(*) AS copies "
        f"FROM {table} WHERE list_contains(getvariable('site_ids'), site_id) "
        f"AND {grain} BETWEEN getvariable('date_from') AND getvariable('date_to') "
        f"GROUP BY {', '.join(keys)} HAVING count(*) > 1 ORDER BY site_id, {grain}"
    )


def duplicate_keys(
    con: duckdb.DuckDBPyConnection, window: Window, tables: Sequence[str]
) -> list[Violation]:
    """Keys that occur more than once in any of ``tables`` within the window."""
    _set_variables(con, window)
    found: list[Violation] = []
    for table in tables:
        found.extend(_violations(con, duplicate_keys_sql(table)))
    return found
