"""Where the warehouse lives (``KPI_WAREHOUSE``): the DuckDB file, a DuckLake, or MotherDuck.

Parsed once from the settings and handed to :func:`kpi_pipeline.warehouse.connect`, the one
place that opens connections. No DuckDB import here: the CLI validates settings before it loads
anything heavy. A DuckLake catalog's libpq conninfo may hold a password, so :meth:`label` (what
logs, errors and metadata show) never includes it and :func:`scrub` removes it from any text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

LAKE_PREFIX = "ducklake:postgres:"
MOTHERDUCK_PREFIX = "md:"
WAREHOUSE_FILE = "warehouse.duckdb"
# libpq conninfo: key=value pairs (values may be quoted), or a postgresql:// URI
_CONNINFO_PASSWORD = re.compile(r"""(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)""", re.IGNORECASE)
_URI_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]+:)([^@\s]+)(@)")


class WarehouseSettingError(ValueError):
    """``KPI_WAREHOUSE`` / ``KPI_LAKE_DATA_PATH`` do not describe a warehouse we can open."""


@dataclass(frozen=True)
class WarehouseLocation:
    """``kind`` file: ``path``; ducklake: ``catalog`` (conninfo) + ``data_path``; motherduck:
    ``database``. ``catalog`` is kept out of ``repr``: it may hold a password."""

    kind: Literal["file", "ducklake", "motherduck"]
    path: Path | None = None
    catalog: str = field(default="", repr=False)
    data_path: str = ""
    database: str = ""
    # S3-compatible storage for data_path: endpoint, key_id, secret, region (secret: no repr)
    s3: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    @property
    def is_lake(self) -> bool:
        return self.kind == "ducklake"

    @property
    def is_file(self) -> bool:
        return self.kind == "file"

    def label(self) -> str:
        """What logs, errors and run metadata show: never the catalog's password."""
        if self.kind == "file":
            return str(self.path)
        if self.kind == "ducklake":
            return f"DuckLake (catalog {scrub(self.catalog)}, data {self.data_path})"
        return f"MotherDuck md:{self.database}"

    def exists(self) -> bool:
        """Whether there is something to read: the file exists; a lake or MotherDuck database
        is assumed to (opening it says otherwise)."""
        return self.path.exists() if self.path is not None else True

    def prepared_key(self) -> tuple[str, ...]:
        """Identity of the warehouse for once-per-process preparation (a recreated file is new)."""
        if self.path is not None:
            return ("file", str(self.path.resolve()), str(self.path.stat().st_ino))
        return (self.kind, self.catalog, self.data_path, self.database)


def scrub(text: str) -> str:
    """``text`` with any conninfo or URI password replaced by ``***``."""
    text = _CONNINFO_PASSWORD.sub(r"\1***", text)
    return _URI_PASSWORD.sub(r"\1***\3", text)


def parse_location(
    value: str | None,
    kpi_home: Path,
    lake_data_path: str | None = None,
    *,
    s3: dict[str, str] | None = None,
) -> WarehouseLocation:
    """``KPI_WAREHOUSE`` -> a location; unset or empty: the DuckDB file under ``KPI_HOME``."""
    value = (value or "").strip()
    if not value:
        return WarehouseLocation("file", path=kpi_home / WAREHOUSE_FILE)
    if value.startswith(LAKE_PREFIX):
        catalog = value.removeprefix(LAKE_PREFIX).strip()
        if not catalog:
            raise WarehouseSettingError(
                "ducklake:postgres: needs a libpq conninfo after it, e.g. "
                "ducklake:postgres:dbname=kpi_catalog host=db.internal user=kpi")
        data_path = (lake_data_path or "").strip()
        if not data_path:
            raise WarehouseSettingError(
                "a DuckLake warehouse needs KPI_LAKE_DATA_PATH: the folder or S3-compatible URL "
                "(s3://bucket/prefix/) where its Parquet files go")
        if "://" not in data_path:
            data_path = str(Path(data_path).absolute())
        return WarehouseLocation("ducklake", catalog=catalog, data_path=data_path,
                                 s3=tuple(sorted((s3 or {}).items())))
    if value.startswith(MOTHERDUCK_PREFIX):
        database = value.removeprefix(MOTHERDUCK_PREFIX).strip()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", database):
            raise WarehouseSettingError(f"md:{database!r}: write md:<database>, e.g. md:kpi")
        return WarehouseLocation("motherduck", database=database)
    if value.startswith("ducklake:"):
        raise WarehouseSettingError(
            "only a PostgreSQL DuckLake catalog is supported: ducklake:postgres:<libpq conninfo>")
    raise WarehouseSettingError(
        f"{scrub(value)[:60]!r} is not a warehouse: leave it unset (the DuckDB file under "
        "KPI_HOME), or write ducklake:postgres:<libpq conninfo> or md:<database>")
