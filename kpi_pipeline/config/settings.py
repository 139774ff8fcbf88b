"""Configuration from the environment (DESIGN.md §9), read once at the edge and then trusted.

A ``.env`` file in the working directory is read if present. Secrets (SMTP password, GA4 key
path) stay in the environment: they are never echoed by ``repr`` or written to logs.
"""

from __future__ import annotations

import os
import re
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv
from pydantic import BaseModel, Field, PrivateAttr, SecretStr, field_validator, model_validator

from kpi_pipeline.config.package_data import example_targets
from kpi_pipeline.config.warehouse_location import (
    WarehouseLocation,
    WarehouseSettingError,
    parse_location,
)

EXAMPLE_TARGETS = example_targets()
# A site id names folders and table keys: no path separators, no dots, no spaces.
SITE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_PROPERTY_ID = re.compile(r"^(properties/)?\d+$")


def no_line_break(value: str | None) -> str | None:
    """Refuse a line break in an e-mail address setting: it would inject a header."""
    if value is not None and ("\n" in value or "\r" in value):
        raise ValueError("must be one line: a line break would add an e-mail header")
    return value


# Read by Dagster itself from the environment. With it a single-run backfill records one
# "materialization planned" event per asset for its whole range instead of one per partition
# (104 weeks: ~1,100 fewer SQLite writes in the demo). Trade-off, documented by Dagster: the
# partitions of a range run that fails are not marked failed in the UI (the run is, and alerts
# go out). An explicit value in the environment wins.
#
# DAGSTER_EVENT_BATCH_SIZE: a range run's per-partition materializations of one asset reach the
# event log as one batch, which the CLI's SQLite storage (kpi_pipeline/orchestration/event_log.py) and
# PostgreSQL write in one transaction instead of one per partition (the demo's biggest wait).
DAGSTER_ENV_DEFAULTS = {"DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true",
                        "DAGSTER_EVENT_BATCH_SIZE": "1000"}


def apply_dagster_env_defaults() -> None:
    """Set :data:`DAGSTER_ENV_DEFAULTS` for this process where the environment has no value."""
    for name, value in DAGSTER_ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)


def load_environment() -> None:
    """Read ``.env`` from the working directory into the environment (real variables win).

    The path is given: python-dotenv's own search starts from the calling module's folder, so
    it would read a ``.env`` next to the installed package (the repository, for an editable
    install) and never the one where the command runs."""
    load_dotenv(Path.cwd() / ".env", override=False)


class Settings(BaseModel):
    kpi_home: Path = Path(".kpi")
    # unset: $KPI_HOME/warehouse.duckdb; ducklake:postgres:<conninfo> (may hold a password); md:<db>
    kpi_warehouse: SecretStr | None = Field(None, repr=False)
    kpi_lake_data_path: str | None = None  # a DuckLake's Parquet files: a folder or s3://bucket/prefix/
    kpi_lake_s3_endpoint: str | None = None  # an S3-compatible server instead of AWS: http(s)://host:port
    aws_access_key_id: str | None = Field(None, repr=False)
    aws_secret_access_key: SecretStr | None = Field(None, repr=False)
    aws_region: str | None = None
    # warehouse-writing steps at once on a DuckLake (the `warehouse` pool; the file allows one)
    kpi_lake_writers: int = Field(4, ge=1, le=64)
    kpi_targets: Path | None = None
    kpi_source: Literal["demo", "ga4"] = "demo"
    kpi_timezone: str = "Asia/Tokyo"
    kpi_site_id: str | None = None
    kpi_sites: Path | None = None
    kpi_start_date: str = "2024-01-01"
    kpi_debug: bool = False
    kpi_log_level: str = "INFO"  # Dagster's console log level for CLI runs
    # the CLI instance's SQLite event log: ours (batches, one connection per file) or Dagster's own
    kpi_event_log: Literal["batching", "stock"] = "batching"
    dagster_home: Path | None = None  # Dagster reads it itself; checked here to fail clearly
    lookback_days: int = Field(3, ge=0, le=30)
    ga4_property_id: str | None = None
    google_application_credentials: Path | None = Field(None, repr=False)
    ga4_transport: Literal["grpc", "rest"] = "grpc"
    ga4_api_endpoint: str | None = None
    # GA4 properties read at once (each site's requests stay in order); writes stay serial
    ga4_max_concurrent_sites: int = Field(8, ge=1, le=64)
    crm_csv: Path | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: Literal["none", "starttls", "ssl"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = 30.0
    smtp_ca_file: Path | None = None
    report_from: str | None = None
    report_to: str | None = None
    alert_to: str | None = None
    report_cc: str | None = None
    report_lang: Literal["ja", "en"] = "ja"
    # processes rendering a multi-site run's reports at once; 0: one per usable core, 1: in the run
    kpi_report_workers: int = Field(0, ge=0, le=64)
    kpi_report_templates: Path | None = None  # a folder replacing the shipped report templates
    dagster_webserver_url: str | None = None  # the UI as ops reach it (a link in failure alerts)
    # where $KPI_HOME/reports is served (links in e-mail, chat and the archive); secrets below
    report_base_url: str | None = None
    slack_webhook_url: SecretStr | None = None
    teams_webhook_url: SecretStr | None = None
    chat_timeout: float = Field(10.0, gt=0, le=120)
    # the fields whose value is this process's environment variable (see from_process_env)
    _process_env: frozenset[str] = PrivateAttr(default_factory=frozenset)

    @field_validator("kpi_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(f"unknown time zone {value!r}; use an IANA name like Asia/Tokyo") from None
        return value

    @field_validator("kpi_log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"{value!r} is not a log level; use DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("kpi_start_date")
    @classmethod
    def _iso_date(cls, value: str) -> str:
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) and date.fromisoformat(value):
                return value
        except ValueError:
            pass
        raise ValueError(f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2024-01-01")

    @field_validator("dagster_home")
    @classmethod
    def _existing_folder(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not an existing folder: create it (with the shipped "
                             "dagster.yaml), or unset DAGSTER_HOME for a throwaway instance")
        return value

    @field_validator("kpi_site_id")
    @classmethod
    def _plain_site_id(cls, value: str | None) -> str | None:
        if value is not None and not SITE_ID_PATTERN.match(value):
            raise ValueError(f"{value!r}: use letters, digits, '-' or '_' (it names folders and "
                             "table keys)")
        return value

    @field_validator("ga4_property_id")
    @classmethod
    def _numeric_properties(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for part in value.split(","):
            if part.strip() and not _PROPERTY_ID.match(part.strip()):
                raise ValueError(f"{part.strip()!r} is not a GA4 property id: a number such as "
                                 "123456789 (several: 111,222)")
        return value

    @field_validator("report_from", "report_to", "report_cc", "alert_to", "smtp_username")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return no_line_break(value)

    @field_validator("report_base_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value.strip()):
            raise ValueError(f"{value!r} is not a web address; write e.g. "
                             "https://reports.example.jp/kpi/ (where the reports folder is served)")
        return None if value is None else value.strip()

    @field_validator("slack_webhook_url", "teams_webhook_url")
    @classmethod
    def _webhook(cls, value: SecretStr | None) -> SecretStr | None:
        # the message never shows the value: a webhook URL is a secret
        if value is not None and not re.fullmatch(r"https?://\S+", value.get_secret_value().strip()):
            raise ValueError("is not an http(s) URL (the value is not shown: it is a secret)")
        return value

    @model_validator(mode="after")
    def _warehouse_location(self) -> Settings:
        try:
            location = self.warehouse  # parse now: a mistake is a configuration error at start-up
        except WarehouseSettingError as exc:
            # the message names the variable and never repeats a conninfo password
            raise ValueError(f"KPI_WAREHOUSE: {exc}") from None
        if location.kind == "motherduck":
            raise ValueError(
                f"KPI_WAREHOUSE: {location.label()} needs DuckDB's motherduck extension and a "
                "network connection, which this installation does not have (it is not on PyPI "
                "for offline use): leave KPI_WAREHOUSE unset (the DuckDB file) or use "
                "ducklake:postgres:<conninfo> (docs/ops.md)")
        return self

    @model_validator(mode="after")
    def _ga4_needs_a_property(self) -> Settings:
        if self.kpi_source == "ga4" and not self.ga4_property_id and self.kpi_sites is None:
            raise ValueError("KPI_SOURCE=ga4 needs GA4_PROPERTY_ID (the numeric GA4 property id)")
        several = len([p for p in (self.ga4_property_id or "").split(",") if p.strip()]) > 1
        if self.kpi_site_id and several and self.kpi_sites is None:
            raise ValueError("KPI_SITE_ID names one site but GA4_PROPERTY_ID lists several "
                             "properties; unset KPI_SITE_ID (each property is its own site)")
        return self

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        if environ is None:
            load_environment()
            environ = dict(os.environ)
        fields = cls.model_fields
        values = {
            name: environ[name.upper()]
            for name in fields
            if environ.get(name.upper(), "").strip() != ""
        }
        settings = cls(**values)
        settings._process_env = frozenset(
            name for name, value in values.items() if os.environ.get(name.upper()) == value)
        return settings

    def from_process_env(self, field: str) -> bool:
        """Whether ``field`` holds this process's environment variable of that name: a resource
        may then keep an ``EnvVar`` reference instead of copying the value (a key path, say)."""
        return field in self._process_env

    @property
    def site_id(self) -> str:
        """The site key in every table: explicit, else the GA4 property id, else ``demo``."""
        if self.kpi_site_id:
            return self.kpi_site_id
        if self.kpi_source == "ga4" and self.ga4_property_id:
            return self.ga4_property_id.strip().removeprefix("properties/")
        return "demo"

    @property
    def targets_path(self) -> Path:
        if self.kpi_targets is not None:
            return self.kpi_targets
        local = Path("kpi_targets.yaml")
        return local if local.exists() else EXAMPLE_TARGETS

    @property
    def warehouse(self) -> WarehouseLocation:
        """Where the warehouse lives (``KPI_WAREHOUSE``; default the file under ``KPI_HOME``)."""
        return parse_location(
            self.kpi_warehouse.get_secret_value() if self.kpi_warehouse else None,
            self.kpi_home, self.kpi_lake_data_path, s3=self.lake_s3())

    def lake_s3(self) -> dict[str, str]:
        """S3 settings for a DuckLake data path on S3-compatible storage (secret included)."""
        values = {
            "endpoint": self.kpi_lake_s3_endpoint,
            "key_id": self.aws_access_key_id,
            "secret": self.aws_secret_access_key.get_secret_value() if self.aws_secret_access_key else None,
            "region": self.aws_region,
        }
        return {k: v for k, v in values.items() if v}

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB file (the default warehouse; ``warehouse`` says which one is in use)."""
        return self.kpi_home / "warehouse.duckdb"

    @property
    def published_path(self) -> Path:
        return self.kpi_home / "published.duckdb"

    @property
    def reports_dir(self) -> Path:
        return self.kpi_home / "reports"

    @property
    def dagster_instance_dir(self) -> Path:
        """Where the CLI records its runs: the instance `make dagster` opens, so the UI shows them."""
        return self.dagster_home or self.kpi_home / "dagster"

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.kpi_timezone)
