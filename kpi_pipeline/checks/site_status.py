"""One status check per site (``site_<id>_fresh``), so each site shows its own pass or fail in
the Dagster UI instead of a ``failed_sites`` metadata line.

A site's check fails when its newest load of the checked days failed (``meta.runs.status =
'failed'``: the site kept its previous rows, the other sites were built) or when its loads do not
reach the newest day the run's weeks need (stale). The checks are bundled per asset (one step)
and built from the configured sites when Dagster loads the code location; they never block, so
the other sites' marts and reports are still built.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from kpi_pipeline.calendar import iso_week_label, week_starts_between
from kpi_pipeline.checks.assets import partitioned_check_spec, read_warehouse
from kpi_pipeline.checks.rules import check_sql
from kpi_pipeline.config.sites import check_name
from kpi_pipeline.orchestration.asset_defaults import WAREHOUSE_POOL
from kpi_pipeline.orchestration.partitions import INGEST, WEEKLY, PartitionCalendar
from kpi_pipeline.orchestration.resources import WarehouseResource

GA4_DAILY = "raw.ga4_daily"
GA4_WEEKLY_USERS = "raw.ga4_weekly_users"


@dataclass(frozen=True)
class Guard:
    """Where a bundle of site checks sits and which raw loads it reads."""

    asset: AssetKey
    partitions: str  # the partition kind (partitions.WEEKLY / INGEST) the calendar resolves
    tables: tuple[str, ...]  # a failed newest load of any of these fails the site
    what: str  # shown in the check description


GUARDS: tuple[Guard, ...] = (
    # the daily_ingest job: where a site's GA4 fetch fails
    Guard(AssetKey(["raw", "ga4_daily"]), INGEST, (GA4_DAILY,),
          "its newest load of raw.ga4_daily for the run's days"),
    # the weekly_pipeline job: the numbers the site's KPI progress and report stand on
    Guard(AssetKey(["mart", "kpi_progress"]), WEEKLY, (GA4_DAILY, GA4_WEEKLY_USERS),
          "the raw.ga4_daily and raw.ga4_weekly_users loads its KPI progress of the week uses"),
)


@dataclass(frozen=True)
class SiteStatus:
    """One site's verdict over the checked days, with what ops need to act on it."""

    site_id: str
    passed: bool
    severity: AssetCheckSeverity
    reason: str
    facts: dict[str, Any]


def _loads(con: duckdb.DuckDBPyConnection, site_ids: Sequence[str], tables: Sequence[str],
           days: tuple[date, date]) -> list[dict[str, Any]]:
    con.execute("SET VARIABLE site_ids = ?::VARCHAR[]", [list(site_ids)])
    con.execute("SET VARIABLE tables = ?::VARCHAR[]", [list(tables)])
    con.execute("SET VARIABLE date_from = ?::DATE", [days[0]])
    con.execute("SET VARIABLE date_to = ?::DATE", [days[1]])
    cursor = con.execute(check_sql("site_status"))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "never"


def site_statuses(con: duckdb.DuckDBPyConnection, site_ids: Sequence[str], tables: Sequence[str],
                  date_from: date, date_to: date, today: date) -> list[SiteStatus]:
    """Each site's status for the days ``date_from``..``date_to`` (up to yesterday): failed if
    the newest load of any of ``tables`` failed, stale if its ``raw.ga4_daily`` loads stop
    before the newest day needed, else passed."""
    needed_to = min(date_to, today - timedelta(days=1))
    weeks = ", ".join(iso_week_label(m) for m in week_starts_between(date_from, date_to))
    if needed_to < date_from:
        return [SiteStatus(s, True, AssetCheckSeverity.WARN,
                           f"{s}: {weeks} has no complete day yet; nothing to check",
                           {"weeks": weeks}) for s in site_ids]
    rows = _loads(con, site_ids, tables, (date_from, needed_to))
    statuses = []
    for site_id in site_ids:
        mine = {r["asset"]: r for r in rows if r["site_id"] == site_id}
        daily = mine.get(GA4_DAILY, {})
        facts: dict[str, Any] = {
            "weeks": weeks, "days_needed": f"{date_from}..{needed_to}",
            "loaded_up_to": str(daily.get("loaded_to") or "nothing"),
            "newest_load_at": _when(daily.get("finished_at")),
            "newest_load_run_id": daily.get("run_id") or "",
        }
        failed = [r for r in mine.values() if r["status"] == "failed"]
        if failed:
            newest = max(failed, key=lambda r: r["finished_at"])
            facts.update(failed_table=newest["asset"], failed_days=f"{newest['tried_from']}.."
                         f"{newest['tried_to']}", error=newest["error"] or "",
                         newest_load_at=_when(newest["finished_at"]),
                         newest_load_run_id=newest["run_id"] or "")
            statuses.append(SiteStatus(site_id, False, AssetCheckSeverity.ERROR, (
                f"{site_id}: the newest load of {newest['asset']} for {weeks} failed at "
                f"{_when(newest['finished_at'])} (days {facts['failed_days']}): {newest['error']}. "
                "Its previous rows are kept; fix the cause and re-run daily_ingest (and the "
                f"week) with the run tag kpi/site={site_id}."), facts))
        elif not daily.get("loaded_to") or daily["loaded_to"] < needed_to:
            statuses.append(SiteStatus(site_id, False, AssetCheckSeverity.WARN, (
                f"{site_id}: {GA4_DAILY} for {weeks} is loaded up to {facts['loaded_up_to']}, "
                f"the run needs {needed_to} (stale). Run daily_ingest for those weeks with the "
                f"run tag kpi/site={site_id}."), facts))
        else:
            statuses.append(SiteStatus(site_id, True, AssetCheckSeverity.ERROR, (
                f"{site_id}: {GA4_DAILY} for {weeks} loaded up to {daily['loaded_to']} at "
                f"{facts['newest_load_at']}."), facts))
    return statuses


def _result(guard: Guard, status: SiteStatus) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=guard.asset,
        check_name=check_name(status.site_id, "fresh"),
        passed=status.passed,
        severity=status.severity,
        description=status.reason,
        metadata={"site": MetadataValue.text(status.site_id),
                  **{k: MetadataValue.text(str(v)) for k, v in status.facts.items()}},
    )


def build_site_checks(guard: Guard, site_ids: Sequence[str],
                      calendar: PartitionCalendar) -> AssetChecksDefinition:
    """One step evaluating ``site_<id>_fresh`` on ``guard.asset`` for every configured site
    (a run tagged ``kpi/site`` still reports every site: reading is not touching)."""
    by_name = {check_name(site_id, "fresh"): site_id for site_id in site_ids}
    specs = [partitioned_check_spec(
        name, guard.asset, calendar.by_tag(guard.partitions), blocking=False,
        description=(f"Site {site_id}: fails when {guard.what} failed (meta.runs.status) or "
                     "stops before the newest day the run's weeks need (stale); the metadata "
                     "says which weeks, which load and why."),
    ) for name, site_id in by_name.items()]

    @multi_asset_check(
        name=f"{'__'.join(guard.asset.path)}_site_status",
        specs=specs,
        description=f"Per-site status of {guard.asset.to_user_string()} for the run's weeks.",
        can_subset=True,
        pool=WAREHOUSE_POOL,
    )
    def _site_checks(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[AssetCheckResult]:
        span = context.partition_time_window
        wanted = [by_name[key.name] for key in context.selected_asset_check_keys
                  if key.asset_key == guard.asset]
        with read_warehouse(warehouse) as con:
            statuses = site_statuses(con, wanted, guard.tables, span.start.date(),
                                     (span.end - timedelta(days=1)).date(), warehouse.today())
        for status in statuses:
            if not status.passed:
                context.log.warning(status.reason)
            yield _result(guard, status)

    return _site_checks


def site_status_checks(calendar: PartitionCalendar,
                       site_ids: Sequence[str]) -> list[AssetChecksDefinition]:
    """The per-site status bundles for the configured sites on the ``calendar``'s partitions
    (built by the definitions loader)."""
    return [build_site_checks(guard, site_ids, calendar) for guard in GUARDS]
