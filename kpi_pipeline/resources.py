"""Dagster resources: the warehouse, and how they are all built from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import duckdb
from dagster import ConfigurableResource, get_dagster_logger

from kpi_pipeline.marts.catalog_table import write_metric_catalog
from kpi_pipeline.raw.window import provisional_since
from kpi_pipeline.warehouse import connect, ensure_schema

if TYPE_CHECKING:
    from kpi_pipeline.settings import Settings


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse under ``KPI_HOME``; every writer goes through ``connection()``."""

    kpi_home: str = ".kpi"
    timezone: str = "Asia/Tokyo"
    lookback_days: int = 3

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
            _prepare_once(con, self.path)
            yield con
        finally:
            con.close()

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.timezone)).date()

    def provisional_from(self) -> date:
        """First day still provisional: GA4 keeps changing the last ``lookback_days`` days."""
        return provisional_since(self.today(), self.lookback_days)


# Warehouse files this process has already prepared, by (path, inode): a recreated file is new.
_PREPARED: set[tuple[str, int]] = set()


def _prepare_once(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Create the tables and write the catalogue (it is code; SQL models join it) once per file
    and process: repeating it on every step cost ~80 ms per step (bench/dagster_overhead)."""
    key = (str(path.resolve()), path.stat().st_ino)
    if key in _PREPARED:
        return
    ensure_schema(con)
    write_metric_catalog(con)
    _PREPARED.add(key)


def _sites_resource(settings: Settings) -> ConfigurableResource:
    """All configured sites, or only ``--site``'s (with the others kept for folder layout)."""
    from kpi_pipeline.sites import SitesResource, configured_sites, select_site

    configured = configured_sites(settings)
    if settings.kpi_only_site is None:
        return SitesResource(sites=configured)
    return SitesResource(sites=select_site(configured, settings.kpi_only_site), all_sites=configured)


def build_resources(settings: Settings) -> dict[str, ConfigurableResource]:
    """Resources for the configured sites and sources; secrets stay in the environment."""
    from kpi_pipeline.delivery.resources import DeliveryResource
    from kpi_pipeline.sources.ga4.resources import GA4Resource
    from kpi_pipeline.sources.resources import CrmResource, WebSourcesResource

    return {
        "delivery": DeliveryResource.from_settings(settings),
        "warehouse": WarehouseResource(
            kpi_home=str(settings.kpi_home),
            timezone=settings.kpi_timezone,
            lookback_days=settings.lookback_days,
        ),
        "sites": _sites_resource(settings),
        "web_sources": WebSourcesResource(ga4=GA4Resource.from_settings(settings)),
        "crm": CrmResource(),
    }
