"""Fill a real warehouse with demo rows and build the weekly marts, without Dagster."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb

from kpi_pipeline.marts.build import AARRR_WEEKLY, METRICS_DAILY, METRICS_WEEKLY, build_model
from kpi_pipeline.orchestration.partitions import week_starts_between
from kpi_pipeline.raw.load import load_crm_days, load_web_days, load_web_weekly_users
from kpi_pipeline.sources.demo import DemoSource
from kpi_pipeline.warehouse import connect, ensure_schema

SITE = "demo"


def load_demo_raw(con: duckdb.DuckDBPyConnection, first: date, last: date, site_id: str = SITE) -> None:
    """Raw GA4, weekly users and CRM rows of the demo source for ``first``..``last``."""
    source = DemoSource(site_id=site_id)
    load_web_days(con, source, first, last, lookback_days=0)
    load_web_weekly_users(con, source, week_starts_between(first, last))
    load_crm_days(con, source.crm_days(first, last), site_id, first, last, source="demo")


def build_demo_marts(con: duckdb.DuckDBPyConnection, first_week: date, last_week: date,
                     site_id: str = SITE) -> None:
    """metrics_daily, metrics_weekly and aarrr_weekly for the ISO weeks (Mondays) given."""
    last_day = last_week + timedelta(days=6)
    for model in (METRICS_DAILY, METRICS_WEEKLY, AARRR_WEEKLY):
        build_model(con, model, site_id=site_id, date_from=first_week, date_to=last_day)


def demo_weeks(con: duckdb.DuckDBPyConnection, first_week: date, last_week: date,
               site_id: str = SITE) -> None:
    """Raw rows and marts for whole ISO weeks ``first_week``..``last_week`` (Mondays)."""
    load_demo_raw(con, first_week, last_week + timedelta(days=6), site_id)
    build_demo_marts(con, first_week, last_week, site_id)


def build_demo_file(path: Path, first_week: date, last_week: date) -> Path:
    """A closed warehouse file with the demo weeks built: a template tests copy, not rebuild."""
    from kpi_pipeline.warehouse.catalog_table import write_metric_catalog

    con = connect(path)
    try:
        ensure_schema(con)
        write_metric_catalog(con)
        demo_weeks(con, first_week, last_week)
    finally:
        con.close()
    return path


def copy_demo(template: Path, home: Path) -> Path:
    """``home/warehouse.duckdb`` as a private copy of ``template`` (a KPI_HOME to run the CLI on)."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "warehouse.duckdb"
    shutil.copyfile(template, target)
    return target


def open_copy(template: Path, folder: Path) -> duckdb.DuckDBPyConnection:
    """A private read-write copy of ``template`` in ``folder`` (the test may break it)."""
    return connect(copy_demo(template, folder))
