"""The demo's offline funnel: whitepaper stage rates, ~100 orders a year, FY2026 a little behind."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from kpi_pipeline.sources.base import CRM_DAILY_COLUMNS
from kpi_pipeline.sources.demo import DemoSource

STAGES = ("leads", "appointments", "deals", "orders")


def _crm(source: DemoSource, first: date, last: date) -> pd.DataFrame:
    frame = source.crm_days(first, last)
    return frame.set_index(pd.to_datetime(frame["date"]))


@pytest.fixture(scope="module")
def crm() -> pd.DataFrame:
    return _crm(DemoSource(), date(2024, 4, 1), date(2026, 11, 24))


def test_crm_rows_have_the_raw_columns_and_whole_counts(crm: pd.DataFrame) -> None:
    assert tuple(crm.columns) == CRM_DAILY_COLUMNS
    for stage in STAGES:
        assert crm[stage].dtype == np.int64
    assert crm["revenue"].dtype == np.float64


def test_the_funnel_never_widens_on_any_day(crm: pd.DataFrame) -> None:
    assert (crm["leads"] >= crm["appointments"]).all()
    assert (crm["appointments"] >= crm["deals"]).all()
    assert (crm["deals"] >= crm["orders"]).all()
    assert (crm["orders"] >= 0).all()


def test_stage_rates_over_a_year_are_near_the_whitepapers_10_50_50(crm: pd.DataFrame) -> None:
    year = crm.loc["2025-01-01":"2025-12-31", list(STAGES)].sum()
    assert 0.08 <= year["appointments"] / year["leads"] <= 0.12
    assert 0.40 <= year["deals"] / year["appointments"] <= 0.60
    assert 0.40 <= year["orders"] / year["deals"] <= 0.60


@pytest.mark.parametrize("seed", [2027, 1, 2])
def test_about_4000_leads_bring_about_100_orders_a_year(seed: int) -> None:
    fy2025 = _crm(DemoSource(seed=seed), date(2025, 4, 1), date(2026, 3, 31)).sum(numeric_only=True)
    assert 3_400 <= fy2025["leads"] <= 4_600
    assert 70 <= fy2025["orders"] <= 130


def test_fy2026_orders_run_slightly_behind_a_100_a_year_pace(crm: pd.DataFrame) -> None:
    to_date = crm.loc["2026-04-01":"2026-11-24"]
    pace = 100 * len(to_date) / 365
    assert 0.80 * pace <= to_date["orders"].sum() < 0.97 * pace
    leads_pace = 4_000 * len(to_date) / 365
    assert to_date["leads"].sum() >= 0.95 * leads_pace, "the gap is in the funnel, not in leads"


def test_revenue_is_half_a_million_to_two_million_yen_per_order(crm: pd.DataFrame) -> None:
    with_orders = crm[crm["orders"] > 0]
    per_order = with_orders["revenue"] / with_orders["orders"]
    assert per_order.between(500_000, 2_000_000).all()
    assert (crm.loc[crm["orders"] == 0, "revenue"] == 0).all()


def test_leads_follow_the_web_key_events() -> None:
    source = DemoSource()
    first, last = date(2025, 1, 6), date(2026, 11, 22)
    web = source.load_days(first, last).ga4_daily
    web = web.set_index(pd.to_datetime(web["date"]))["key_events"].resample("W").sum()
    leads = _crm(source, first, last)["leads"].resample("W").sum()
    assert np.corrcoef(web, leads)[0, 1] > 0.6
