"""Resources that hand the raw assets a source: the demo generator or GA4; the CRM CSV or demo CRM.

Which one runs is configuration (``KPI_SOURCE``, ``CRM_CSV``), so the assets never change.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from dagster import ConfigurableResource

from kpi_pipeline.sources.base import CRM_DAILY_COLUMNS, WebAnalyticsSource


class DemoSourceResource(ConfigurableResource):
    """The built-in demo generator: realistic GA4-shaped data, deterministic per day."""

    site_id: str = "demo"
    seed: int = 2027

    def open_source(self) -> WebAnalyticsSource:
        from kpi_pipeline.sources.demo import DemoSource

        return DemoSource(site_id=self.site_id, seed=self.seed)


class CrmResource(ConfigurableResource):
    """Offline funnel numbers: from ``CRM_CSV`` if set, else the demo generator (demo source only)."""

    site_id: str = "demo"
    csv_path: str | None = None
    use_demo: bool = True
    seed: int = 2027

    @property
    def kind(self) -> str:
        return "crm_csv" if self.csv_path else ("demo" if self.use_demo else "none")

    def days(self, date_from: date, date_to: date) -> pd.DataFrame:
        if self.csv_path:
            from kpi_pipeline.sources.crm import read_crm_csv

            frame = read_crm_csv(Path(self.csv_path), self.site_id)
            dates = pd.to_datetime(frame["date"]).dt.date
            return frame[(dates >= date_from) & (dates <= date_to)].reset_index(drop=True)
        if self.use_demo:
            from kpi_pipeline.sources.demo import DemoSource

            return DemoSource(site_id=self.site_id, seed=self.seed).crm_days(date_from, date_to)
        return pd.DataFrame(columns=list(CRM_DAILY_COLUMNS))
