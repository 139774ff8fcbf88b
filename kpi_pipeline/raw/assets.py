"""Raw ingest assets: each site's source rows, replaced per day (or ISO week for user counts).

Partitioned by ISO week (the current one included); a run loads its weeks' days up to
yesterday and re-reads the look-back days before them, replacing them in one transaction.

Every asset loops over the configured sites. With several sites, one site's failing source
(GA4 down, quota exhausted) does not stop the others: its previous rows stay in place, the
failure is logged and listed in the metadata, and the asset only fails if every site failed.
GA4 sites are read in parallel (``GA4_MAX_CONCURRENT_SITES``) while their rows are written one
site at a time on the asset's one connection.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from collections.abc import Callable, Iterator
from datetime import date

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)
from duckdb import DuckDBPyConnection

from kpi_pipeline.config.sites import SiteConfig, SitesResource
from kpi_pipeline.orchestration.asset_defaults import WAREHOUSE_POOL, weekly_asset
from kpi_pipeline.orchestration.partitions import (
    INGEST,
    PARTITIONS_TAG,
    single_run,
    week_starts_between,
)
from kpi_pipeline.orchestration.resources import WarehouseResource
from kpi_pipeline.orchestration.run_window import ingest_days_of, rebuild_days
from kpi_pipeline.orchestration.site_runs import fetch_then_write, for_each_site
from kpi_pipeline.raw.corrections import changed_days_markdown
from kpi_pipeline.raw.load import (
    BY_DIMENSION_TABLE,
    CRM_RELOAD,
    CRM_TABLE,
    DAILY_TABLE,
    WEEKLY_USERS_TABLE,
    FetchedDays,
    FetchedWeeks,
    ReloadSummary,
    fetch_web_days,
    fetch_web_weekly_users,
    record_failed_load,
    reload_days,
    write_web_days,
    write_web_weekly_users,
)
from kpi_pipeline.sources.resources import CrmResource, WebSourcesResource
from kpi_pipeline.warehouse.metadata import table_metadata

GROUP = "raw"
INGEST_TAGS = {PARTITIONS_TAG: INGEST}  # the definitions loader attaches the ingest partitions
_DAYS = "date BETWEEN ? AND ?"


def daily_ingest_asset(name: str, kinds: set[str], description: str) -> Callable:
    """``raw.<name>``: a table of days loaded on the ingest partitions (ISO weeks), as one run
    for a range, one writer at a time: what every raw daily table shares."""
    return asset(key=["raw", name], group_name=GROUP, kinds=kinds, tags=INGEST_TAGS,
                 backfill_policy=single_run, pool=WAREHOUSE_POOL, description=description)


def daily_table_metadata(con: DuckDBPyConnection, name: str, days: tuple[date, date],
                         extra: dict[str, object]) -> dict[str, object]:
    """The materialization metadata of ``raw.<name>`` for the days loaded, plus ``extra``."""
    return {**table_metadata(con, f"raw.{name}", where=_DAYS, params=list(days),
                             sql_file=f"sql/raw/{name}.sql", order_by="date DESC"), **extra}


def failure_recorder(con: DuckDBPyConnection, context: AssetExecutionContext, tables: tuple[str, ...],
                     days: tuple[date, date], source: Callable[[SiteConfig], str] = lambda s: s.source,
                     ) -> Callable[[SiteConfig, str], None]:
    """What a raw asset does with a site that failed: a ``failed`` row in ``meta.runs`` per table,
    which the site's status check in the Dagster UI reads."""
    def record(site: SiteConfig, error: str) -> None:
        record_failed_load(con, site_id=site.id, source=source(site), tables=tables,
                           date_from=days[0], date_to=days[1], error=error,
                           run_id=context.run.run_id)
    return record


def _days_to_load(context: AssetExecutionContext, warehouse: WarehouseResource) -> tuple[date, date]:
    days = ingest_days_of(context, warehouse.today())
    if days is None:
        raise Failure(description="this week has no complete day yet: run it from Tuesday on")
    return days


@multi_asset(
    specs=[
        AssetSpec(
            ["raw", "ga4_daily"],
            description=(
                "Site totals per day from the web-analytics source (GA4 Data API or the demo "
                "generator): sessions, engaged sessions, views, engagement seconds, events, key "
                "events, converted sessions, users. DDL: sql/raw/ga4_daily.sql."
            ),
            kinds={"duckdb", "ga4"},
            group_name=GROUP,
            tags=INGEST_TAGS,
        ),
        AssetSpec(
            ["raw", "ga4_by_dimension"],
            description=(
                "Daily metrics by channel group, landing page, page path, event name and campaign "
                "(long form, untrusted text values). DDL: sql/raw/ga4_by_dimension.sql."
            ),
            kinds={"duckdb", "ga4"},
            group_name=GROUP,
            tags=INGEST_TAGS,
        ),
    ],
    backfill_policy=single_run,
    pool=WAREHOUSE_POOL,
)
def ga4_daily_and_breakdowns(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    sites: SitesResource,
    web_sources: WebSourcesResource,
) -> Iterator[MaterializeResult]:
    """One load per site and run: a single day, the look-back window, or a backfill range."""
    date_from, date_to = _days_to_load(context, warehouse)
    parallel = web_sources.fetch_concurrency(sites.selected)

    def fetch(site: SiteConfig) -> FetchedDays:
        fetched = fetch_web_days(web_sources.open(site), date_from, date_to,
                                 lookback_days=warehouse.lookback_days)
        # read every page in the worker thread when sites are fetched side by side
        return fetched.materialized() if parallel > 1 else fetched

    with warehouse.connection() as con:

        def write(site: SiteConfig, fetched: FetchedDays):
            summary = write_web_days(con, fetched, run_id=context.run.run_id)
            context.log.info(
                f"{site.id}: {summary.ga4_daily_rows} daily and {summary.ga4_by_dimension_rows} "
                f"breakdown rows for {summary.date_from}..{date_to} ({summary.info.source})"
            )
            for warning in summary.info.warnings:
                context.log.warning(f"{site.id}: {warning}")
            return summary

        failed = failure_recorder(con, context, (DAILY_TABLE, BY_DIMENSION_TABLE), (date_from, date_to))
        results = fetch_then_write(context, sites, fetch, write, max_concurrent=parallel,
                                   on_failure=failed)
        extra = results.metadata()
        flags = {
            "sources": MetadataValue.json({s: r.info.source for s, r in results.items()}),
            "sampled": any(r.info.sampled for r in results.values()),
            "thresholded": any(r.info.thresholded for r in results.values()),
            "api_requests": sum(r.info.requests for r in results.values()),
        }
        for table in ("ga4_daily", "ga4_by_dimension"):
            yield MaterializeResult(
                asset_key=["raw", table],
                metadata={**table_metadata(con, f"raw.{table}", where=_DAYS,
                                           params=[date_from, date_to],
                                           sql_file=f"sql/raw/{table}.sql", order_by="date DESC"),
                          **flags, **extra},
            )


@weekly_asset(
    key=["raw", "ga4_weekly_users"],
    group=GROUP,
    kinds={"duckdb", "ga4"},
    description=(
        "Total, new and returning users per ISO week, read from the source at week grain (users "
        "are not additive across days). DDL: sql/raw/ga4_weekly_users.sql."
    ),
)
def ga4_weekly_users(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    sites: SitesResource,
    web_sources: WebSourcesResource,
) -> MaterializeResult:
    date_from, date_to = rebuild_days(context, warehouse.lookback_days)
    weeks = week_starts_between(date_from, date_to)

    def fetch(site: SiteConfig) -> FetchedWeeks:
        return fetch_web_weekly_users(web_sources.open(site), weeks)

    with warehouse.connection() as con:

        def write(site: SiteConfig, fetched: FetchedWeeks) -> int:
            rows = write_web_weekly_users(con, fetched, run_id=context.run.run_id)
            context.log.info(f"{site.id}: {rows} weekly user rows")
            return rows

        failed = failure_recorder(con, context, (WEEKLY_USERS_TABLE,), (date_from, date_to))
        extra = fetch_then_write(context, sites, fetch, write, on_failure=failed,
                                 max_concurrent=web_sources.fetch_concurrency(sites.selected)).metadata()
        return MaterializeResult(metadata={
            **table_metadata(con, "raw.ga4_weekly_users", where="week_start BETWEEN ? AND ?",
                             params=[date_from, date_to], sql_file="sql/raw/ga4_weekly_users.sql",
                             order_by="week_start DESC"),
            **extra,
        })


@daily_ingest_asset(
    "crm_daily", {"duckdb", "csv"},
    "Offline sales funnel per day (leads, appointments, deals, orders, revenue) from each "
    "site's CRM CSV (CRM_CSV) or the demo generator. The whole CSV is compared with the stored "
    "days: a day it revises or fills in is reloaded too (meta.changed_days, the metadata's "
    "changed_days). DDL: sql/raw/crm_daily.sql.",
)
def crm_daily(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource,
    crm: CrmResource,
) -> MaterializeResult:
    date_from, date_to = _days_to_load(context, warehouse)
    with warehouse.connection() as con:
        changes = ChangedDays()

        def load(site: SiteConfig) -> int:
            export = crm.export(site)  # the whole CSV: the truth for every day it holds
            frame = export if export is not None else crm.days(site, date_from, date_to)
            summary = reload_days(con, CRM_RELOAD, frame, site.id, date_from, date_to,
                                  source=crm.kind(site), run_id=context.run.run_id,
                                  warn=context.log.warning, whole_export=export is not None)
            context.log.info(f"{site.id}: {summary.rows} CRM rows ({crm.kind(site)})")
            return changes.add(summary)

        failed = failure_recorder(con, context, (CRM_TABLE,), (date_from, date_to), crm.kind)
        extra = for_each_site(context, sites, load, on_failure=failed).metadata()
        return MaterializeResult(
            metadata=daily_table_metadata(con, "crm_daily", (date_from, date_to),
                                          {**extra, **changes.metadata()}))


class ChangedDays:
    """The stored days a step's loads changed, for its metadata (every site)."""

    def __init__(self) -> None:
        self.found: list[pd.DataFrame] = []

    def add(self, summary: ReloadSummary) -> int:
        """Keep a site's changes; its rows written."""
        self.found.append(summary.changes)
        return summary.rows

    def metadata(self) -> dict[str, object]:
        days = sum(int(c[["site_id", "date"]].drop_duplicates().shape[0]) for c in self.found)
        return {"changed_days": MetadataValue.md(changed_days_markdown(self.found)),
                "changed_days_count": MetadataValue.int(days)}
