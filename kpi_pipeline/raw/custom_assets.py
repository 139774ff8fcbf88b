"""``raw.custom_daily``: each site's custom CSV metrics (``metrics: … csv:`` in its targets file).

Partitioned like the CRM export (ISO weeks up to yesterday); one load per site and run. A site whose targets file or CSV is broken keeps its previous rows.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from dagster import AssetExecutionContext, MaterializeResult, asset

from kpi_pipeline.asset_defaults import WAREHOUSE_POOL
from kpi_pipeline.partitions import ingest_partitions, single_run
from kpi_pipeline.raw.assets import _days_to_load
from kpi_pipeline.raw.custom_load import load_custom_days, read_csv_metrics
from kpi_pipeline.resources import WarehouseResource
from kpi_pipeline.site_runs import for_each_site
from kpi_pipeline.sites import SiteConfig, SitesResource
from kpi_pipeline.targets.for_site import site_targets
from kpi_pipeline.warehouse.metadata import table_metadata


@asset(
    key=["raw", "custom_daily"],
    group_name="raw",
    kinds={"duckdb", "csv"},
    partitions_def=ingest_partitions,
    backfill_policy=single_run,
    pool=WAREHOUSE_POOL,
    description=(
        "Custom metrics kept in spreadsheets (followers, ad spend, …): one value per site, metric "
        "and day from the CSVs named under metrics: in each site's targets file. "
        "DDL: sql/raw/custom_daily.sql."
    ),
)
def custom_daily(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource,
) -> MaterializeResult:
    date_from, date_to = _days_to_load(context, warehouse)
    with warehouse.connection() as con:

        def load(site: SiteConfig) -> int:
            metrics = site_targets(site).csv_metrics
            frame = read_csv_metrics(metrics, site.id, date_from, date_to)
            rows = load_custom_days(con, frame, site.id, date_from, date_to, run_id=context.run.run_id)
            context.log.info(f"{site.id}: {rows} custom metric rows from {len(metrics)} CSV(s)")
            return rows

        extra = for_each_site(context, sites, load).metadata()
        return MaterializeResult(metadata={
            **table_metadata(con, "raw.custom_daily", where="date BETWEEN ? AND ?",
                             params=[date_from, date_to], sql_file="sql/raw/custom_daily.sql",
                             order_by="date DESC"),
            **extra,
        })
