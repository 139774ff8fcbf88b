"""Write what a :class:`WebAnalyticsSource` returns into the raw tables, and log it in ``meta.runs``.

For a range of days (widened by the look-back window) each raw table's rows of that site and
range are deleted and the source's pages inserted in one transaction (``replace_rows``): a
re-run is idempotent, and a failure part-way (a quota running out on page 7) leaves the
previous rows of that table in place. Pages are inserted as they arrive, so memory holds one.
Every table written gets one ``meta.runs`` row with the source's requests, quota tokens and
data-quality flags.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from kpi_pipeline.calendar import reload_from
from kpi_pipeline.raw.corrections import (
    CHANGED_DAYS_TABLE,
    DailyTable,
    describe_changes,
    outside_condition,
    plan_reload,
)
from kpi_pipeline.sources.base import (
    CRM_DAILY_COLUMNS,
    GA4_BY_DIMENSION_COLUMNS,
    GA4_DAILY_COLUMNS,
    GA4_WEEKLY_USERS_COLUMNS,
    DailyLoad,
    LoadInfo,
    WebAnalyticsSource,
)
from kpi_pipeline.warehouse import replace_rows
from kpi_pipeline.warehouse.duck import Replacement, checked_table, replace_tables

DAILY_TABLE = "raw.ga4_daily"
BY_DIMENSION_TABLE = "raw.ga4_by_dimension"
WEEKLY_USERS_TABLE = "raw.ga4_weekly_users"
CRM_TABLE = "raw.crm_daily"
_DAY_RANGE = "site_id = ? AND date BETWEEN ? AND ?"
_WEEKS = "site_id = ? AND week_start IN (SELECT unnest(?::DATE[]))"
_NOT_KEPT = " AND date NOT IN (SELECT unnest(?::DATE[]))"


@dataclass
class WebLoadSummary:
    """What one web-analytics ingest wrote: rows per table, days covered, ``meta.runs`` ids."""

    site_id: str
    date_from: date
    date_to: date
    info: LoadInfo
    ga4_daily_rows: int = 0
    ga4_by_dimension_rows: int = 0
    load_ids: list[str] = field(default_factory=list)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class FetchedDays:
    """A site's source rows for a range of days, read but not yet written.

    ``load.ga4_by_dimension`` is still a lazy page iterator unless ``materialized()`` read it
    (to fetch in a worker thread while another site is being written)."""

    site_id: str
    date_from: date
    date_to: date
    load: DailyLoad
    started: datetime
    totals_requests: int = 0  # requests (and quota tokens) of the totals, before the breakdowns
    totals_tokens: int | None = None

    def materialized(self) -> FetchedDays:
        self.load.ga4_by_dimension = iter(list(self.load.ga4_by_dimension))
        return self


def fetch_web_days(
    source: WebAnalyticsSource, date_from: date, date_to: date, *, lookback_days: int = 0
) -> FetchedDays:
    """Ask the source for the days ``date_from - lookback_days`` .. ``date_to`` (no DuckDB here)."""
    start = reload_from(date_from, lookback_days)
    started = _utcnow()
    load = source.load_days(start, date_to)
    return FetchedDays(source.site_id, start, date_to, load, started,
                       load.info.requests, load.info.quota_tokens_used)


def load_web_days(
    con: duckdb.DuckDBPyConnection,
    source: WebAnalyticsSource,
    date_from: date,
    date_to: date,
    *,
    lookback_days: int = 0,
    run_id: str | None = None,
) -> WebLoadSummary:
    """Replace ``raw.ga4_daily`` and ``raw.ga4_by_dimension`` for the site's days
    ``date_from - lookback_days`` .. ``date_to`` with what the source reports now."""
    fetched = fetch_web_days(source, date_from, date_to, lookback_days=lookback_days)
    return write_web_days(con, fetched, run_id=run_id)


def write_web_days(
    con: duckdb.DuckDBPyConnection, fetched: FetchedDays, *, run_id: str | None = None
) -> WebLoadSummary:
    """Replace the site's rows of the fetched range in one transaction; log it in ``meta.runs``."""
    site_id, start, date_to, load = fetched.site_id, fetched.date_from, fetched.date_to, fetched.load
    started = fetched.started
    info = load.info
    summary = WebLoadSummary(site_id=site_id, date_from=start, date_to=date_to, info=info)
    loaded_at = _utcnow()
    check = _PageCheck(site_id, "date", start, date_to)
    where = [site_id, start, date_to]

    # the totals are fetched already; the breakdown pages are fetched while they are inserted
    requests_before, tokens_before = fetched.totals_requests, fetched.totals_tokens
    # totals and breakdowns replace together: never new totals beside old (or no) breakdowns
    daily = check(_stamped(load.ga4_daily, GA4_DAILY_COLUMNS, loaded_at))
    pages = (check(_stamped(p, GA4_BY_DIMENSION_COLUMNS, loaded_at)) for p in load.ga4_by_dimension)
    summary.ga4_daily_rows, summary.ga4_by_dimension_rows = replace_tables(con, [
        Replacement(DAILY_TABLE, daily, _DAY_RANGE, where),
        Replacement(BY_DIMENSION_TABLE, pages, _DAY_RANGE, where),
    ])
    per_table = (
        (DAILY_TABLE, summary.ga4_daily_rows, requests_before, tokens_before),
        (BY_DIMENSION_TABLE, summary.ga4_by_dimension_rows, info.requests - requests_before,
         _minus(info.quota_tokens_used, tokens_before)),
    )
    for table, rows, requests, tokens in per_table:
        summary.load_ids.append(_record(
            con, site_id=site_id, asset=table, date_from=start, date_to=date_to, rows=rows,
            info=info, requests=requests, tokens=tokens, started=started, run_id=run_id,
        ))
    return summary


@dataclass
class FetchedWeeks:
    """A site's weekly user counts, read but not yet written."""

    site_id: str
    weeks: list[date]
    frame: pd.DataFrame
    info: LoadInfo
    started: datetime


def fetch_web_weekly_users(source: WebAnalyticsSource, week_starts: Sequence[date]) -> FetchedWeeks:
    """Ask the source for the given ISO weeks (Mondays); nothing is asked for no weeks."""
    weeks = sorted(set(week_starts))
    started = _utcnow()
    if not weeks:
        return FetchedWeeks(source.site_id, weeks, pd.DataFrame(), LoadInfo(source="none"), started)
    frame, info = source.load_weekly_users(weeks)
    return FetchedWeeks(source.site_id, weeks, frame, info, started)


def load_web_weekly_users(
    con: duckdb.DuckDBPyConnection,
    source: WebAnalyticsSource,
    week_starts: Sequence[date],
    *,
    run_id: str | None = None,
) -> int:
    """Replace ``raw.ga4_weekly_users`` for the site's given ISO weeks (Mondays); rows written."""
    return write_web_weekly_users(con, fetch_web_weekly_users(source, week_starts), run_id=run_id)


def write_web_weekly_users(
    con: duckdb.DuckDBPyConnection, fetched: FetchedWeeks, *, run_id: str | None = None
) -> int:
    """Replace the site's rows of the fetched weeks in one transaction; rows written."""
    site_id, weeks, info = fetched.site_id, fetched.weeks, fetched.info
    if not weeks:
        return 0
    frame = _stamped(fetched.frame, GA4_WEEKLY_USERS_COLUMNS, _utcnow())
    _WeekCheck(site_id, weeks)(frame)
    rows = replace_rows(con, WEEKLY_USERS_TABLE, frame, _WEEKS, [site_id, weeks])
    _record(
        con, site_id=site_id, asset=WEEKLY_USERS_TABLE, date_from=weeks[0],
        date_to=weeks[-1] + timedelta(days=6), rows=rows, info=info,
        requests=info.requests, tokens=info.quota_tokens_used, started=fetched.started, run_id=run_id,
    )
    return rows


# a day the export lacks keeps its stored row: a header-only or stale export must not erase it
CRM_RELOAD = DailyTable(CRM_TABLE, tuple(CRM_DAILY_COLUMNS), tuple(CRM_DAILY_COLUMNS[2:]),
                        keep_missing=True)


@dataclass
class ReloadSummary:
    """What one reload of a daily table wrote: rows and the changed days."""

    rows: int
    changes: pd.DataFrame  # corrections.CHANGE_COLUMNS


def load_crm_days(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    site_id: str,
    date_from: date,
    date_to: date,
    *,
    source: str,
    run_id: str | None = None,
    warn: Callable[[str], None] | None = None,
    whole_export: bool = False,
) -> int:
    """Replace ``raw.crm_daily`` for the site's days ``date_from``..``date_to``; rows written.

    A day the warehouse has but the export lacks keeps its stored row (a header-only or stale
    export must not erase the funnel): only the days in the export are replaced, and ``warn``
    (and ``meta.runs.warnings``) say which days were kept. A day is cleared by exporting it
    with zeros. With ``whole_export`` (a CRM CSV), ``frame`` is the whole file and every other
    stored day it changes is reloaded too (:func:`reload_days`).
    """
    return reload_days(con, CRM_RELOAD, frame, site_id, date_from, date_to, source=source,
                       run_id=run_id, warn=warn, whole_export=whole_export).rows


def reload_days(
    con: duckdb.DuckDBPyConnection,
    table: DailyTable,
    frame: pd.DataFrame,
    site_id: str,
    date_from: date,
    date_to: date,
    *,
    source: str,
    run_id: str | None = None,
    warn: Callable[[str], None] | None = None,
    whole_export: bool = False,
) -> ReloadSummary:
    """Write the run's days of ``frame`` and, with ``whole_export``, every stored day it changes
    (:func:`~kpi_pipeline.raw.corrections.plan_reload`), in ONE transaction with the changes in
    ``meta.changed_days``; log the load in ``meta.runs``."""
    started = _utcnow()
    stamped = _stamped(frame, table.columns, started)
    if whole_export:
        if len(stamped) and not (stamped["site_id"] == site_id).all():
            raise ValueError(f"source returned rows of another site than {site_id!r}")
    else:
        _PageCheck(site_id, "date", date_from, date_to)(stamped)
    stored = con.execute(
        f"SELECT {', '.join(table.key + list(table.values))} FROM {checked_table(table.name)} "  # noqa: S608 (identifiers from code)
        "WHERE site_id = ?", [site_id]).df()
    plan = plan_reload(table, stamped, stored, site_id, date_from, date_to,
                       whole_export=whole_export)
    where, params = "(date BETWEEN ? AND ?", [date_from, date_to]
    info = LoadInfo(source=source)
    if plan.kept:
        where, params = where + _NOT_KEPT, [*params, plan.kept]
        info.warnings.append(_kept_message(site_id, plan.kept))
    where += ")"
    if len(plan.outside):
        condition, extra = outside_condition(table, plan.outside)
        where, params = f"{where} OR {condition}", [*params, *extra]
    load_id = str(uuid.uuid4())
    changes = plan.changes.assign(load_id=load_id, run_id=run_id, changed_at=started)
    if len(changes):
        info.warnings.append(f"{site_id}: {changes['date'].nunique()} stored day(s) of {table.name} "
                             f"changed and were reloaded: {describe_changes(plan.changes)}")
    written, _ = replace_tables(con, [
        Replacement(table.name, plan.rows, f"site_id = ? AND ({where})", [site_id, *params]),
        Replacement(CHANGED_DAYS_TABLE, changes, "load_id = ?", [load_id]),
    ])
    if warn is not None:  # said once it is so
        for message in info.warnings:
            warn(message)
    _record(
        con, site_id=site_id, asset=table.name, date_from=date_from, date_to=date_to,
        rows=written, info=info, requests=0, tokens=None, started=started, run_id=run_id,
        load_id=load_id,
    )
    return ReloadSummary(written, plan.changes)


def _kept_message(site_id: str, kept: list[date]) -> str:
    shown = ", ".join(d.isoformat() for d in kept[:7]) + (f" and {len(kept) - 7} more" if len(kept) > 7 else "")
    return (f"{site_id}: the CRM export has no rows for {len(kept)} day(s) the warehouse already "
            f"has ({shown}); kept the stored rows. Export those days (with 0 to clear them) "
            "to replace them.")


def _stamped(frame: pd.DataFrame, columns: Sequence[str], loaded_at: datetime) -> pd.DataFrame:
    """The page with exactly the contract's columns plus ``loaded_at``."""
    if set(frame.columns) != set(columns):
        missing = sorted(set(columns) - set(frame.columns))
        extra = sorted(set(frame.columns) - set(columns))
        raise ValueError(f"source frame does not match the raw table: missing {missing}, extra {extra}")
    stamped = frame.copy(deep=False)  # no copy of the page's columns (assign would copy them)
    stamped["loaded_at"] = np.full(len(frame), np.datetime64(loaded_at, "us"))
    return stamped


class _PageCheck:
    """Refuse rows outside the replaced partitions: they would survive the DELETE and double count."""

    def __init__(self, site_id: str, date_column: str, first: date, last: date) -> None:
        self.site_id, self.date_column = site_id, date_column
        self.first = np.datetime64(first, "D")
        self.last = np.datetime64(last, "D")

    def __call__(self, page: pd.DataFrame) -> pd.DataFrame:
        if len(page) == 0:
            return page
        sites = page["site_id"]
        if sites.iloc[0] != self.site_id or not (sites == self.site_id).all():
            raise ValueError(f"source returned rows of another site than {self.site_id!r}")
        days = page[self.date_column].to_numpy()
        if days.dtype.kind != "M":  # date objects (the demo source) rather than datetime64
            days = pd.to_datetime(days).to_numpy()
        first, last = days.min().astype("datetime64[D]"), days.max().astype("datetime64[D]")
        if first < self.first or last > self.last:
            raise ValueError(f"source returned days outside {self.first}..{self.last}")
        return page


class _WeekCheck:
    def __init__(self, site_id: str, weeks: Iterable[date]) -> None:
        self.site_id = site_id
        self.weeks = {pd.Timestamp(w) for w in weeks}

    def __call__(self, frame: pd.DataFrame) -> None:
        if len(frame) == 0:
            return
        if not (frame["site_id"] == self.site_id).all():
            raise ValueError(f"source returned rows of another site than {self.site_id!r}")
        if not set(pd.to_datetime(frame["week_start"])) <= self.weeks:
            raise ValueError("source returned weeks that were not asked for")


def _minus(after: int | None, before: int | None) -> int | None:
    if after is None:
        return None
    return after - (before or 0)


def record_failed_load(
    con: duckdb.DuckDBPyConnection,
    *,
    site_id: str,
    source: str,
    tables: tuple[str, ...],
    date_from: date,
    date_to: date,
    error: str,
    run_id: str | None,
) -> None:
    """A ``meta.runs`` row per table a site's load did not write (``status = 'failed'``): the
    per-site status checks and analysts see the attempt, its days and its error, while the
    site's previous rows stay in place."""
    now = _utcnow()
    for table in tables:
        con.execute(
            """
            INSERT INTO meta.runs (load_id, run_id, site_id, source, asset, date_from, date_to,
                                   rows_loaded, started_at, finished_at, status, error)
            VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 'failed', ?)
            """,
            [str(uuid.uuid4()), run_id, site_id, source, table, date_from, date_to, now, now,
             error],
        )


def _record(
    con: duckdb.DuckDBPyConnection,
    *,
    site_id: str,
    asset: str,
    date_from: date,
    date_to: date,
    rows: int,
    info: LoadInfo,
    requests: int,
    tokens: int | None,
    started: datetime,
    run_id: str | None,
    load_id: str | None = None,
) -> str:
    """One ``meta.runs`` row; values bound as parameters (time zone and currency come from GA4)."""
    load_id = load_id or str(uuid.uuid4())
    con.execute(
        """
        INSERT INTO meta.runs (
            load_id, run_id, site_id, source, asset, date_from, date_to, rows_loaded, requests,
            quota_tokens_used, sampled, thresholded, data_loss_from_other_row,
            property_time_zone, currency, warnings, started_at, finished_at
        ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            load_id, run_id, site_id, info.source, asset, date_from, date_to, rows, requests,
            tokens, info.sampled, info.thresholded, info.data_loss_from_other_row,
            info.property_time_zone, info.currency, list(info.warnings), started, _utcnow(),
        ],
    )
    return load_id

