"""The warehouse resource every layer writes through (shared plumbing: imports no layer).

The other resources live with their layer (``sources/``, ``delivery/``, ``sites.py``);
:mod:`kpi_pipeline.definitions` builds them all from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
from dagster import ConfigurableResource, EnvVar, InitResourceContext, get_dagster_logger

from kpi_pipeline.calendar import provisional_since
from kpi_pipeline.config.warehouse_location import WarehouseLocation, parse_location
from kpi_pipeline.orchestration.pools import size_warehouse_pool, warehouse_writers
from kpi_pipeline.warehouse import connect, ensure_schema
from kpi_pipeline.warehouse.catalog_table import write_metric_catalog


class WarehouseResource(ConfigurableResource):
    """The warehouse (the DuckDB file under ``KPI_HOME``, or ``KPI_WAREHOUSE``'s DuckLake);
    every writer goes through ``connection()``. ``warehouse`` and ``aws_secret_access_key`` are
    ``EnvVar`` references when they come from the environment: a catalog conninfo may hold a
    password, and run config and the UI must not show it."""

    kpi_home: str = ".kpi"
    timezone: str = "Asia/Tokyo"
    lookback_days: int = 3
    warehouse: str = ""  # KPI_WAREHOUSE; empty: the file
    lake_data_path: str = ""
    lake_s3_endpoint: str = ""
    aws_access_key_id: str = ""
    aws_secret_access_key: str = ""
    aws_region: str = ""
    lake_writers: int = 4  # KPI_LAKE_WRITERS: the warehouse pool's size on a DuckLake

    @classmethod
    def from_settings(cls, settings: Any) -> WarehouseResource:
        """From :class:`~kpi_pipeline.config.settings.Settings`; the two secrets stay ``EnvVar``
        references when they come from this process's environment."""
        def secret(field: str, value: Any) -> Any:
            if value is None:
                return ""
            return EnvVar(field.upper()) if settings.from_process_env(field) else value.get_secret_value()

        return cls(
            kpi_home=str(settings.kpi_home),
            timezone=settings.kpi_timezone,
            lookback_days=settings.lookback_days,
            warehouse=secret("kpi_warehouse", settings.kpi_warehouse),
            lake_data_path=settings.kpi_lake_data_path or "",
            lake_s3_endpoint=settings.kpi_lake_s3_endpoint or "",
            aws_access_key_id=settings.aws_access_key_id or "",
            aws_secret_access_key=secret("aws_secret_access_key", settings.aws_secret_access_key),
            aws_region=settings.aws_region or "",
            lake_writers=settings.kpi_lake_writers,
        )

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Size the instance's ``warehouse`` pool for this warehouse before the run's steps
        claim it (one writer on the file, ``KPI_LAKE_WRITERS`` on a DuckLake): a run launched by
        the daemon sizes it as the CLI does (:mod:`kpi_pipeline.orchestration.pools`)."""
        if context.instance is not None:
            size_warehouse_pool(context.instance, self.writers)

    @property
    def writers(self) -> int:
        """Steps that may write this warehouse at once."""
        return warehouse_writers(self.location, self.lake_writers)

    @property
    def location(self) -> WarehouseLocation:
        s3 = {"endpoint": self.lake_s3_endpoint, "key_id": self.aws_access_key_id,
              "secret": self.aws_secret_access_key, "region": self.aws_region}
        return parse_location(self.warehouse, Path(self.kpi_home), self.lake_data_path,
                              s3={k: v for k, v in s3.items() if v})

    @property
    def path(self) -> Path:
        """The DuckDB file (the default warehouse, and the analyst copy's neighbour)."""
        return Path(self.kpi_home) / "warehouse.duckdb"

    @property
    def reports_dir(self) -> Path:
        return Path(self.kpi_home) / "reports"

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        location = self.location
        con = connect(location, logger=get_dagster_logger())
        try:
            _prepare_once(con, location)
            yield con
        finally:
            con.close()

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.timezone)).date()

    def provisional_from(self) -> date:
        """First day still provisional: GA4 keeps changing the last ``lookback_days`` days."""
        return provisional_since(self.today(), self.lookback_days)


# Warehouses this process has already prepared (a file by path and inode: a recreated file is new).
_PREPARED: set[tuple[str, ...]] = set()


def _prepare_once(con: duckdb.DuckDBPyConnection, location: WarehouseLocation) -> None:
    """Create the tables and write the catalogue (it is code; SQL models join it) once per
    warehouse and process: repeating it on every step cost ~80 ms per step (bench/dagster_overhead)."""
    key = location.prepared_key()
    if key in _PREPARED:
        return
    ensure_schema(con, lake=location.is_lake)
    write_metric_catalog(con)
    _PREPARED.add(key)

