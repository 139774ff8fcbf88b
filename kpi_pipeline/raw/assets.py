"""Raw ingest assets: the source's rows, replaced per day (or ISO week for user counts)."""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.


from dagster import (
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    asset,
    multi_asset,
)

from kpi_pipeline.partitions import (
    daily_partitions,
    single_run,
    week_starts_between,
    weekly_partitions,
)
from kpi_pipeline.raw.load import load_crm_days, load_web_days, load_web_weekly_users
from kpi_pipeline.resources import WarehouseResource
from kpi_pipeline.sources.resources import CrmResource, DemoSourceResource
from kpi_pipeline.warehouse.metadata import table_metadata
from kpi_pipeline.windows import partition_days

GROUP = "raw"
POOL = "warehouse"


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
        ),
        AssetSpec(
            ["raw", "ga4_by_dimension"],
            description=(
                "Daily metrics by channel group, landing page, page path, event name and campaign "
                "(long form, untrusted text values). DDL: sql/raw/ga4_by_dimension.sql."
            ),
            kinds={"duckdb", "ga4"},
            group_name=GROUP,
        ),
    ],
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    pool=POOL,
)
def ga4_daily_and_breakdowns(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    web_source: DemoSourceResource,
):
    """One load per run: a single day, the look-back window, or a whole backfill range."""
    date_from, date_to = partition_days(context)
    source = web_source.open_source()
    with warehouse.connection() as con:
        summary = load_web_days(con, source, date_from, date_to,
                                lookback_days=warehouse.lookback_days, run_id=context.run.run_id)
        context.log.info(
            f"loaded {summary.ga4_daily_rows} daily and {summary.ga4_by_dimension_rows} breakdown "
            f"rows for {source.site_id} {date_from}..{date_to}"
        )
        for warning in summary.info.warnings:
            context.log.warning(warning)
        where, params = "site_id = ? AND date BETWEEN ? AND ?", [source.site_id, date_from, date_to]
        flags = {
            "source": summary.info.source,
            "sampled": summary.info.sampled,
            "thresholded": summary.info.thresholded,
            "api_requests": summary.info.requests,
        }
        yield MaterializeResult(
            asset_key=["raw", "ga4_daily"],
            metadata={**table_metadata(con, "raw.ga4_daily", where=where, params=params,
                                       sql_file="sql/raw/ga4_daily.sql", order_by="date DESC"),
                      **flags},
        )
        yield MaterializeResult(
            asset_key=["raw", "ga4_by_dimension"],
            metadata={**table_metadata(con, "raw.ga4_by_dimension", where=where, params=params,
                                       sql_file="sql/raw/ga4_by_dimension.sql",
                                       order_by="date DESC"),
                      **flags},
        )


@asset(
    key=["raw", "ga4_weekly_users"],
    group_name=GROUP,
    kinds={"duckdb", "ga4"},
    partitions_def=weekly_partitions,
    backfill_policy=single_run,
    pool=POOL,
    description=(
        "Total, new and returning users per ISO week, read from the source at week grain (users "
        "are not additive across days). DDL: sql/raw/ga4_weekly_users.sql."
    ),
)
def ga4_weekly_users(
    context: AssetExecutionContext, warehouse: WarehouseResource, web_source: DemoSourceResource
) -> MaterializeResult:
    date_from, date_to = partition_days(context)
    source = web_source.open_source()
    weeks = week_starts_between(date_from, date_to)
    with warehouse.connection() as con:
        rows = load_web_weekly_users(con, source, weeks, run_id=context.run.run_id)
        context.log.info(f"loaded {rows} weekly user rows for {source.site_id}")
        return MaterializeResult(
            metadata=table_metadata(
                con, "raw.ga4_weekly_users",
                where="site_id = ? AND week_start BETWEEN ? AND ?",
                params=[source.site_id, date_from, date_to],
                sql_file="sql/raw/ga4_weekly_users.sql", order_by="week_start DESC",
            )
        )


@asset(
    key=["raw", "crm_daily"],
    group_name=GROUP,
    kinds={"duckdb", "csv"},
    partitions_def=daily_partitions,
    backfill_policy=single_run,
    pool=POOL,
    description=(
        "Offline sales funnel per day (leads, appointments, deals, orders, revenue) from the "
        "CRM CSV (CRM_CSV) or the demo generator. DDL: sql/raw/crm_daily.sql."
    ),
)
def crm_daily(
    context: AssetExecutionContext, warehouse: WarehouseResource, crm: CrmResource
) -> MaterializeResult:
    date_from, date_to = partition_days(context)
    with warehouse.connection() as con:
        rows = load_crm_days(con, crm.days(date_from, date_to), crm.site_id, date_from, date_to,
                             source=crm.kind, run_id=context.run.run_id)
        context.log.info(f"loaded {rows} CRM rows ({crm.kind}) for {date_from}..{date_to}")
        return MaterializeResult(
            metadata=table_metadata(
                con, "raw.crm_daily", where="site_id = ? AND date BETWEEN ? AND ?",
                params=[crm.site_id, date_from, date_to], sql_file="sql/raw/crm_daily.sql",
                order_by="date DESC",
            )
        )
