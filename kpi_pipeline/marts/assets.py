"""Mart assets: the SQL models of ``sql/mart`` per ISO week, and the metric catalogue."""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.


from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from kpi_pipeline.config.sites import SitesResource
from kpi_pipeline.marts.build import (
    AARRR_WEEKLY,
    METRICS_DAILY,
    METRICS_WEEKLY,
    MartModel,
    build_model,
)
from kpi_pipeline.marts.rebuild_window import mark_applied, site_window, widened
from kpi_pipeline.marts.site_catalog import refresh_site_metrics
from kpi_pipeline.orchestration.asset_defaults import WAREHOUSE_POOL, weekly_asset
from kpi_pipeline.orchestration.resources import WarehouseResource
from kpi_pipeline.orchestration.run_window import rebuild_days
from kpi_pipeline.warehouse.catalog_table import write_metric_catalog
from kpi_pipeline.warehouse.metadata import table_metadata

GROUP = "marts"
RAW_DAILY = [AssetKey(["raw", "ga4_daily"]), AssetKey(["raw", "ga4_by_dimension"]), AssetKey(["raw", "crm_daily"]),
             AssetKey(["raw", "custom_daily"]), AssetKey(["raw", "ga4_ads_daily"])]


@asset(
    key_prefix="mart",
    group_name=GROUP,
    kinds={"duckdb", "python"},
    pool=WAREHOUSE_POOL,
    description=(
        "Every metric with its Japanese/English name, unit, AARRR phase, direction (higher or "
        "lower is better) and aggregation. Written from kpi_pipeline/catalog.py (built-in, site_id "
        "NULL) and each site's targets file (custom metrics); reports, targets validation and "
        "SQL models read it."
    ),
)
def metric_catalog(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource,
) -> MaterializeResult:
    with warehouse.connection() as con:
        write_metric_catalog(con)
        for site in sites.selected:
            refresh_site_metrics(con, site, context.log.warning)
        return MaterializeResult(metadata=table_metadata(con, "mart.metric_catalog"))


def _build(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    sites: SitesResource,
    model: MartModel,
) -> MaterializeResult:
    """Run ``model`` for every site over the run's window (one partition or a backfill range)."""
    date_from, date_to = rebuild_days(context, warehouse.lookback_days)
    key = model.key_column
    with warehouse.connection() as con:
        for site in sites.selected:
            if model is METRICS_DAILY:  # the site's custom metrics, before they are built
                refresh_site_metrics(con, site, context.log.warning)
            window = site_window(con, model.qualified, key, site.id, (date_from, date_to))
            written = build_model(
                con,
                model,
                site_id=site.id,
                date_from=window.date_from,
                date_to=window.date_to,
                provisional_from=warehouse.provisional_from(),
                key_paths=site.key_paths,
                share_events=site.share_events,
            )
            mark_applied(con, model.qualified, site.id, window)
            context.log.info(f"{model.qualified}: {written} rows for {site.id} "
                             f"{window.date_from}..{window.date_to}{widened(window)}")
        metadata = table_metadata(
            con,
            model.qualified,
            where=f"{key} BETWEEN ? AND ?",
            params=[date_from, date_to],
            sql_file=model.sql_path,
            order_by=f"{key} DESC",
        )
        if model is not METRICS_DAILY:
            return MaterializeResult(metadata=metadata)
        provisional = con.execute(
            "SELECT count(DISTINCT date) FROM mart.metrics_daily "
            "WHERE date BETWEEN ? AND ? AND is_provisional",
            [date_from, date_to],
        ).fetchone()[0]
        return MaterializeResult(metadata={**metadata, "provisional_days": int(provisional)})


@weekly_asset(
    group=GROUP,
    kinds={"duckdb", "sql"},
    deps=[*RAW_DAILY, metric_catalog],
    description=(
        "Every catalogue metric per site and day (long form: metric_id, value, numerator, "
        "denominator). The last look-back days are flagged provisional. SQL: sql/mart/metrics_daily.sql."
    ),
)
def metrics_daily(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource
) -> MaterializeResult:
    return _build(context, warehouse, sites, METRICS_DAILY)


@weekly_asset(
    group=GROUP,
    kinds={"duckdb", "sql"},
    deps=[metrics_daily, AssetKey(["raw", "ga4_weekly_users"])],
    description=(
        "Every metric per site and ISO week: additive metrics summed, ratios recomputed from "
        "summed numerators and denominators, users read at week grain. SQL: sql/mart/metrics_weekly.sql."
    ),
)
def metrics_weekly(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource
) -> MaterializeResult:
    return _build(context, warehouse, sites, METRICS_WEEKLY)


@weekly_asset(
    group=GROUP,
    kinds={"duckdb", "sql"},
    deps=[metrics_weekly],
    description=(
        "Each metric by AARRR phase with the previous week and the same ISO week last year. "
        "SQL: sql/mart/aarrr_weekly.sql."
    ),
)
def aarrr_weekly(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource
) -> MaterializeResult:
    return _build(context, warehouse, sites, AARRR_WEEKLY)
