"""Asset jobs: daily ingest (run every day on the ISO week of yesterday), the weekly pipeline
(ISO-week partitions) and the metric catalogue."""

from __future__ import annotations

from dagster import AssetKey, AssetSelection, define_asset_job

# partitions come from the selected assets (daily raw ingest, ISO-week marts on)
METRIC_CATALOG = AssetKey(["mart", "metric_catalog"])
# what a later layer depends on, named by key (importing another layer's asset objects would tie
# the layers together in Python as well as in the asset graph)
METRICS_DAILY = AssetKey(["mart", "metrics_daily"])
METRICS_WEEKLY = AssetKey(["mart", "metrics_weekly"])
KPI_PROGRESS = AssetKey(["mart", "kpi_progress"])
RAW_DAILY_KEYS = [AssetKey(["raw", "ga4_daily"]), AssetKey(["raw", "ga4_by_dimension"]),
                  AssetKey(["raw", "crm_daily"]), AssetKey(["raw", "custom_daily"]),
                  AssetKey(["raw", "ga4_ads_daily"])]

daily_ingest_job = define_asset_job(
    "daily_ingest",
    selection=AssetSelection.assets(*RAW_DAILY_KEYS),
    description="Load raw GA4 and CRM rows for the selected days (the schedule re-reads the look-back window).",
)

weekly_pipeline_job = define_asset_job(
    "weekly_pipeline",
    selection=AssetSelection.all() - AssetSelection.assets(*RAW_DAILY_KEYS)
    - AssetSelection.assets(METRIC_CATALOG),
    description="Marts, KPI progress, reverse funnel, report and e-mail for the selected ISO week(s).",
)

metric_catalog_job = define_asset_job(
    "metric_catalog",
    selection=AssetSelection.assets(METRIC_CATALOG),
    description="Write mart.metric_catalog from the code's metric catalogue (the CLI runs it once "
    "per instance; every run keeps the table current anyway).",
)
