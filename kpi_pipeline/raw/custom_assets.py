"""``raw.custom_daily``: each site's custom CSV metrics (``metrics: … csv:`` in its targets file).

Partitioned like the CRM export (ISO weeks up to yesterday); one load per site and run, which
also reloads every stored day the CSVs now say differently (``meta.changed_days``). A site whose
targets file or CSV is broken keeps its previous rows.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from dagster import AssetExecutionContext, MaterializeResult

from kpi_pipeline.config.sites import SiteConfig, SitesResource
from kpi_pipeline.orchestration.resources import WarehouseResource
from kpi_pipeline.orchestration.site_runs import for_each_site
from kpi_pipeline.raw.assets import (
    ChangedDays,
    _days_to_load,
    daily_ingest_asset,
    daily_table_metadata,
)
from kpi_pipeline.raw.custom_load import load_custom_days, read_csv_metrics
from kpi_pipeline.targets import TargetsError
from kpi_pipeline.targets.for_site import site_targets


@daily_ingest_asset(
    "custom_daily", {"duckdb", "csv"},
    "Custom metrics kept in spreadsheets (followers, ad spend, …): one value per site, metric "
    "and day from the CSVs named under metrics: in each site's targets file. The whole files are "
    "compared with the stored days: a day they revise or fill in is reloaded too. "
    "DDL: sql/raw/custom_daily.sql.",
)
def custom_daily(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource,
) -> MaterializeResult:
    date_from, date_to = _days_to_load(context, warehouse)
    with warehouse.connection() as con:

        def load(site: SiteConfig) -> int:
            try:
                metrics = site_targets(site).csv_metrics
            except TargetsError as exc:  # the KPI steps report it at its lines; ingest goes on
                context.log.warning(f"{site.id}: targets file has errors, custom metrics kept as "
                                    f"they were: {exc}")
                return 0
            frame = read_csv_metrics(metrics, site.id)  # whole files: the truth for every day
            summary = load_custom_days(con, frame, site.id, date_from, date_to,
                                       run_id=context.run.run_id, whole_export=True,
                                       warn=context.log.warning)
            context.log.info(f"{site.id}: {summary.rows} custom metric rows from {len(metrics)} CSV(s)")
            return changes.add(summary)

        changes = ChangedDays()
        extra = for_each_site(context, sites, load).metadata()
        return MaterializeResult(
            metadata=daily_table_metadata(con, "custom_daily", (date_from, date_to),
                                          {**extra, **changes.metadata()}))
