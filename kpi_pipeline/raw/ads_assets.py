"""``raw.ga4_ads_daily``: Google Ads and Search Console metrics per day, from each site's GA4
property when it is linked (the demo generates them), partitioned like ``raw.ga4_daily``."""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from dagster import AssetExecutionContext, MaterializeResult

from kpi_pipeline.config.sites import SiteConfig, SitesResource
from kpi_pipeline.orchestration.resources import WarehouseResource
from kpi_pipeline.orchestration.site_runs import fetch_then_write
from kpi_pipeline.raw.ads_load import FetchedAds, fetch_ads_days, write_ads_days
from kpi_pipeline.raw.assets import _days_to_load, daily_ingest_asset, daily_table_metadata
from kpi_pipeline.sources.resources import WebSourcesResource


@daily_ingest_asset(
    "ga4_ads_daily", {"duckdb", "ga4"},
    "Google Ads (advertiserAdClicks, advertiserAdImpressions, advertiserAdCost) and Search "
    "Console (organicGoogleSearchClicks, organicGoogleSearchImpressions) per day, requested "
    "only when the property's metadata lists them (NULL otherwise). DDL: sql/raw/ga4_ads_daily.sql.",
)
def ga4_ads_daily(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource,
    web_sources: WebSourcesResource,
) -> MaterializeResult:
    date_from, date_to = _days_to_load(context, warehouse)

    def fetch(site: SiteConfig) -> FetchedAds:  # in a worker thread when sites run side by side
        return fetch_ads_days(web_sources.open(site), date_from, date_to,
                              lookback_days=warehouse.lookback_days)

    with warehouse.connection() as con:

        def write(site: SiteConfig, fetched: FetchedAds) -> int:
            rows = write_ads_days(con, fetched, run_id=context.run.run_id)
            context.log.info(f"{site.id}: {rows} ads and search rows")
            return rows

        extra = fetch_then_write(context, sites, fetch, write,
                                 max_concurrent=web_sources.fetch_concurrency(sites.selected)).metadata()
        return MaterializeResult(
            metadata=daily_table_metadata(con, "ga4_ads_daily", (date_from, date_to), extra))
