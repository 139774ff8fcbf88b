"""Dagster resources for the warehouse and the targets file (typed, configured from the env)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from dagster import ConfigurableResource, get_dagster_logger

from kpi_pipeline.marts.catalog_table import write_metric_catalog
from kpi_pipeline.warehouse import connect, ensure_schema


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse under ``KPI_HOME``; every writer goes through ``connection()``."""

    kpi_home: str = ".kpi"
    site_id: str = "demo"
    timezone: str = "Asia/Tokyo"
    lookback_days: int = 3
    key_paths: list[str] = ["/contact", "/thanks", "/download"]
    share_events: list[str] = ["share"]
    lang: str = "ja"

    @property
    def path(self) -> Path:
        return Path(self.kpi_home) / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return Path(self.kpi_home) / "reports"

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(self.path, logger=get_dagster_logger())
        try:
            ensure_schema(con)
            # the catalogue is code: keep its table current so every SQL model can join it
            write_metric_catalog(con)
            yield con
        finally:
            con.close()

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.timezone)).date()

    def provisional_from(self) -> date:
        """First day still provisional: GA4 keeps changing the last ``lookback_days`` days."""
        return self.today() - timedelta(days=self.lookback_days)


class TargetsResource(ConfigurableResource):
    """The validated ``kpi_targets.yaml`` (errors name file, line and field)."""

    path: str

    def load(self):  # -> kpi_pipeline.targets.Targets
        from kpi_pipeline.targets import load_targets

        return load_targets(Path(self.path))


def build_resources(settings) -> dict[str, ConfigurableResource]:  # settings: Settings
    """Resources for the configured sources; secrets stay in the environment (EnvVar)."""
    from kpi_pipeline.sources.resources import CrmResource, DemoSourceResource

    site_id = settings.site_id
    if settings.kpi_source == "ga4":
        from kpi_pipeline.sources.ga4.resources import GA4Resource

        web_source: ConfigurableResource = GA4Resource.from_settings(settings)
    else:
        web_source = DemoSourceResource(site_id=site_id)
    from dagster import EnvVar

    from kpi_pipeline.delivery.resources import DeliveryResource

    delivery = DeliveryResource(
        lang=settings.report_lang,
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        smtp_security=settings.smtp_security,
        smtp_username=settings.smtp_username,
        # the secret stays an environment reference: never copied into run config or logs
        smtp_password=EnvVar("SMTP_PASSWORD") if settings.smtp_password else None,
        smtp_timeout=settings.smtp_timeout,
        smtp_ca_file=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
        report_from=settings.report_from,
        report_to=settings.report_to,
        report_cc=settings.report_cc,
    )
    return {
        "delivery": delivery,
        "warehouse": WarehouseResource(
            kpi_home=str(settings.kpi_home),
            site_id=site_id,
            timezone=settings.kpi_timezone,
            lookback_days=settings.lookback_days,
            lang=settings.report_lang,
        ),
        "targets": TargetsResource(path=str(settings.targets_path)),
        "web_source": web_source,
        "crm": CrmResource(
            site_id=site_id,
            csv_path=str(settings.crm_csv) if settings.crm_csv else None,
            use_demo=settings.kpi_source == "demo",
        ),
    }
