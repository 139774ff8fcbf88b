"""The warehouse resource every layer writes through (shared plumbing: imports no layer).

The other resources live with their layer (``sources/``, ``delivery/``, ``sites.py``);
:mod:`kpi_pipeline.definitions` builds them all from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from dagster import ConfigurableResource, get_dagster_logger

from kpi_pipeline.calendar import provisional_since
from kpi_pipeline.warehouse import connect, ensure_schema
from kpi_pipeline.warehouse.catalog_table import write_metric_catalog


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

