"""A weekly step's window widens to the days a corrected export changed, once per table and site."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from kpi_pipeline.marts.build import METRICS_DAILY, METRICS_WEEKLY, build_model
from kpi_pipeline.marts.rebuild_window import SiteWindow, mark_applied, site_window
from kpi_pipeline.raw.load import load_crm_days

W45, W46, W47, W48 = (date(2026, 11, 2) + timedelta(weeks=i) for i in range(4))
SUNDAY_W48 = W48 + timedelta(days=6)


def _crm(site: str, days: list[date], orders: int) -> pd.DataFrame:
    return pd.DataFrame({"site_id": site, "date": days, "leads": 9, "appointments": 3, "deals": 2,
                         "orders": orders, "revenue": 1000.0 * orders})


def _weeks(*mondays: date) -> list[date]:
    return [m + timedelta(days=i) for m in mondays for i in range(7)]


def _loaded(con: duckdb.DuckDBPyConnection) -> None:
    """Sites a and b: W45..W47 loaded and built into both daily and weekly metrics."""
    for site in ("a", "b"):
        load_crm_days(con, _crm(site, _weeks(W45, W46, W47), 1), site, W45, W47 + timedelta(days=6),
                      source="crm_csv", whole_export=True)
        for model in (METRICS_DAILY, METRICS_WEEKLY):
            build_model(con, model, site_id=site, date_from=W45, date_to=W47 + timedelta(days=6))


def test_without_changes_a_step_rebuilds_the_runs_own_days(warehouse: duckdb.DuckDBPyConnection) -> None:
    _loaded(warehouse)
    assert site_window(warehouse, "mart.metrics_daily", "date", "a", (W48, SUNDAY_W48)) == \
        SiteWindow(W48, SUNDAY_W48)


def test_a_changed_day_widens_each_table_once_and_only_for_its_site(warehouse: duckdb.DuckDBPyConnection) -> None:
    _loaded(warehouse)
    wednesday = W45 + timedelta(days=2)
    corrected = _crm("a", _weeks(W45, W46, W47, W48), 1).assign(
        orders=lambda f: [3 if d == wednesday else 1 for d in f["date"]])
    load_crm_days(warehouse, corrected, "a", W48, SUNDAY_W48, source="crm_csv", whole_export=True)

    daily = site_window(warehouse, "mart.metrics_daily", "date", "a", (W48, SUNDAY_W48))
    assert (daily.date_from, daily.date_to, daily.first_changed) == (W45, SUNDAY_W48, wednesday)
    weekly = site_window(warehouse, "mart.metrics_weekly", "week_start", "a", (W48, SUNDAY_W48))
    assert weekly.date_from == W45
    assert site_window(warehouse, "mart.metrics_daily", "date", "b", (W48, SUNDAY_W48)).date_from == W48

    mark_applied(warehouse, "mart.metrics_daily", "a", daily)
    assert site_window(warehouse, "mart.metrics_daily", "date", "a", (W48, SUNDAY_W48)).date_from == W48
    # the weekly table has not caught up yet: it still rebuilds from W45
    assert site_window(warehouse, "mart.metrics_weekly", "week_start", "a", (W48, SUNDAY_W48)).date_from == W45


def test_a_rerun_of_an_old_week_rebuilds_up_to_the_newest_week_built(warehouse: duckdb.DuckDBPyConnection) -> None:
    _loaded(warehouse)
    corrected = _crm("a", _weeks(W45, W46, W47), 1).assign(
        orders=lambda f: [2 if d == W46 else 1 for d in f["date"]])
    load_crm_days(warehouse, corrected, "a", W45, W45 + timedelta(days=6), source="crm_csv",
                  whole_export=True)

    window = site_window(warehouse, "mart.metrics_weekly", "week_start", "a", (W45, W45 + timedelta(days=6)))
    # W46 changed: every week built after it (running totals, baselines) is rebuilt too
    assert (window.date_from, window.date_to) == (W45, W47 + timedelta(days=6))
