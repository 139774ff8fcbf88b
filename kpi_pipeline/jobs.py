"""Asset jobs: daily ingest (day partitions) and the weekly pipeline (ISO-week partitions)."""

from __future__ import annotations

from dagster import AssetKey, AssetSelection, define_asset_job

from kpi_pipeline.partitions import daily_partitions, weekly_partitions

RAW_DAILY_KEYS = [AssetKey(["raw", "ga4_daily"]), AssetKey(["raw", "ga4_by_dimension"]),
                  AssetKey(["raw", "crm_daily"]), AssetKey(["raw", "custom_daily"]),
                  AssetKey(["raw", "ga4_ads_daily"])]

daily_ingest_job = define_asset_job(
    "daily_ingest",
    selection=AssetSelection.assets(*RAW_DAILY_KEYS),
    partitions_def=daily_partitions,
    description="Load raw GA4 and CRM rows for the selected days (the schedule re-reads the look-back window).",
)

weekly_pipeline_job = define_asset_job(
    "weekly_pipeline",
    selection=AssetSelection.all() - AssetSelection.assets(*RAW_DAILY_KEYS)
    - AssetSelection.assets(AssetKey(["mart", "metric_catalog"])),
    partitions_def=weekly_partitions,
    description="Marts, KPI progress, reverse funnel, report and e-mail for the selected ISO week(s).",
)
