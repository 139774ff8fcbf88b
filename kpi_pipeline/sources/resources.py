"""Resources that hand the raw assets a source per site: demo generator or GA4; CRM CSV or demo.

Which one runs is each site's configuration (``source``, ``crm_csv``), so the assets never
change.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from dagster import ConfigurableResource

from kpi_pipeline.config.sites import SiteConfig
from kpi_pipeline.sources.base import CRM_DAILY_COLUMNS, WebAnalyticsSource
from kpi_pipeline.sources.ga4.resources import GA4Resource

DEMO_SEED = 2027


class WebSourcesResource(ConfigurableResource):
    """Opens each site's web-analytics source: the demo generator, or GA4 for its property."""

    ga4: GA4Resource
    demo_seed: int = DEMO_SEED

    def open(self, site: SiteConfig) -> WebAnalyticsSource:
        if site.source == "ga4":
            from kpi_pipeline.sources.ga4.source import GA4Source

            return GA4Source(self.ga4.client(), site.ga4_property_id or "", site_id=site.id,
                             expected_timezone=self.ga4.timezone,
                             options=self.ga4.fetch_options())
        from kpi_pipeline.sources.demo import DemoSource

        return DemoSource(site_id=site.id, seed=self.demo_seed)

    def fetch_concurrency(self, sites: list[SiteConfig]) -> int:
        """How many sites to read at once: GA4 waits on the network, so several; the demo
        generator is CPU-bound Python, where threads would only take turns."""
        return self.ga4.max_concurrent_sites if any(s.source == "ga4" for s in sites) else 1


class CrmResource(ConfigurableResource):
    """Offline funnel numbers: the site's CRM CSV if set, else demo numbers for demo sites."""

    demo_seed: int = DEMO_SEED

    @staticmethod
    def kind(site: SiteConfig) -> str:
        return "crm_csv" if site.crm_csv else ("demo" if site.source == "demo" else "none")

    @staticmethod
    def export(site: SiteConfig) -> pd.DataFrame | None:
        """Every day of the site's CRM CSV (the truth for each day it holds); None without one."""
        if not site.crm_csv:
            return None
        from kpi_pipeline.sources.crm import read_crm_csv

        return read_crm_csv(Path(site.crm_csv), site.id)

    def days(self, site: SiteConfig, date_from: date, date_to: date) -> pd.DataFrame:
        export = self.export(site)
        if export is not None:
            dates = pd.to_datetime(export["date"]).dt.date
            return export[(dates >= date_from) & (dates <= date_to)].reset_index(drop=True)
        if site.source == "demo":
            from kpi_pipeline.sources.demo import DemoSource

            return DemoSource(site_id=site.id, seed=self.demo_seed).crm_days(date_from, date_to)
        return pd.DataFrame(columns=list(CRM_DAILY_COLUMNS))
