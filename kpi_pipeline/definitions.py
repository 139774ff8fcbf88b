"""The one code location: every asset, check, job, schedule and resource of kpi-pipeline.

Dagster (``workspace.yaml``, ``[tool.dagster]``) loads :func:`defs`, a lazy ``@definitions``
loader: importing this module reads no settings; the environment is read when Dagster asks.
"""

from __future__ import annotations

from dagster import (
    ConfigurableResource,
    Definitions,
    definitions,
    in_process_executor,
    load_assets_from_modules,
)

from kpi_pipeline.checks import all_checks, site_status_checks
from kpi_pipeline.config.settings import Settings
from kpi_pipeline.config.sites import SitesResource, configured_sites
from kpi_pipeline.delivery import assets as delivery_assets
from kpi_pipeline.delivery.alerts import build_failure_sensor
from kpi_pipeline.delivery.resources import DeliveryResource
from kpi_pipeline.kpi import assets as kpi_assets
from kpi_pipeline.kpi import measure_assets as kpi_measure_assets
from kpi_pipeline.marts import assets as mart_assets
from kpi_pipeline.orchestration import jobs
from kpi_pipeline.orchestration.asset_defaults import with_house_policy
from kpi_pipeline.orchestration.partitions import calendar_for
from kpi_pipeline.orchestration.resources import WarehouseResource
from kpi_pipeline.orchestration.schedules import build_schedules
from kpi_pipeline.publish import assets as publish_assets
from kpi_pipeline.raw import ads_assets as raw_ads_assets
from kpi_pipeline.raw import assets as raw_assets
from kpi_pipeline.raw import custom_assets as raw_custom_assets
from kpi_pipeline.sources.ga4.resources import GA4Resource
from kpi_pipeline.sources.resources import CrmResource, WebSourcesResource


def build_resources(settings: Settings) -> dict[str, ConfigurableResource]:
    """Resources for the configured sites and sources; secrets stay in the environment."""
    return {
        "delivery": DeliveryResource.from_settings(settings),
        "warehouse": WarehouseResource.from_settings(settings),
        # every configured site; a run narrows itself to one with the kpi/site tag
        "sites": SitesResource(sites=configured_sites(settings)),
        "web_sources": WebSourcesResource(ga4=GA4Resource.from_settings(settings)),
        "crm": CrmResource(),
    }


def build_definitions(settings: Settings | None = None) -> Definitions:
    """Definitions for ``settings`` (default: the environment); tests pass their own."""
    settings = settings or Settings.from_env()
    resources = build_resources(settings)
    sites: SitesResource = resources["sites"]  # type: ignore[assignment]
    calendar = calendar_for(settings)  # the partitions: KPI_START_DATE, KPI_TIMEZONE
    return Definitions(
        assets=with_house_policy(load_assets_from_modules(
            [raw_assets, raw_ads_assets, raw_custom_assets, mart_assets, kpi_assets,
             kpi_measure_assets, publish_assets, delivery_assets]
        ), calendar),
        # one status check per configured site, so each site shows its own pass/fail in the UI
        asset_checks=[*all_checks(calendar),
                      *site_status_checks(calendar, [site.id for site in sites.sites])],
        jobs=[jobs.daily_ingest_job, jobs.weekly_pipeline_job, jobs.metric_catalog_job],
        schedules=build_schedules(calendar.timezone),
        sensors=[build_failure_sensor(resources["delivery"].alerts_configured)],
        resources=resources,
        # One writer at a time (the warehouse pool) leaves nothing to run in parallel: a process
        # per step only added its start-up, imports and resource setup (bench/launched_run.py).
        executor=in_process_executor,
    )


@definitions
def defs() -> Definitions:
    """The code location for the environment's settings (Dagster calls this on load)."""
    return build_definitions()
