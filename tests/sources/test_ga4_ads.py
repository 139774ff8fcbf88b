"""Google Ads and Search Console metrics through the real GA4 client and the fake server: asked
for only when the property's metadata lists them; a property without them still ingests."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest
from fakes.ga4_data import FakeProperty

from kpi_pipeline.marts.build import METRICS_DAILY, METRICS_WEEKLY, build_model
from kpi_pipeline.raw import load_web_days
from kpi_pipeline.raw.ads_load import load_ads_days

pytest_plugins = ("fakes.ga4_server",)  # the ga4_server fixture

LINKED, UNLINKED, SEARCH_ONLY = "111111", "222222", "333333"
FIRST = date(2026, 11, 2)  # a Monday
LAST = date(2026, 11, 15)  # a Sunday: two whole ISO weeks
COLUMNS = {"advertiserAdClicks": "ad_clicks", "advertiserAdImpressions": "ad_impressions",
           "advertiserAdCost": "ad_cost", "organicGoogleSearchClicks": "organic_clicks",
           "organicGoogleSearchImpressions": "organic_impressions"}


@pytest.fixture
def props(ga4_server) -> dict[str, FakeProperty]:
    return {
        LINKED: ga4_server.add_property(FakeProperty.generate(LINKED, FIRST, 14, ads_linked=True, search_linked=True)),
        UNLINKED: ga4_server.add_property(FakeProperty.generate(UNLINKED, FIRST, 14, seed=8)),
        SEARCH_ONLY: ga4_server.add_property(FakeProperty.generate(SEARCH_ONLY, FIRST, 14, seed=9, search_linked=True)),
    }


def _rows(con: duckdb.DuckDBPyConnection, site_id: str) -> list[dict]:
    frame = con.execute("SELECT * EXCLUDE (loaded_at) FROM raw.ga4_ads_daily WHERE site_id = ? ORDER BY date",
                        [site_id]).df()
    return frame.to_dict("records")


def _requested(ga4_server) -> set[str]:
    names = set()
    for call in ga4_server.api_calls():
        requests = call.request.requests if call.method == "BatchRunReports" else [call.request]
        for request in requests if call.method != "GetMetadata" else []:
            names |= {m.name for m in request.metrics}
    return names


def test_a_linked_property_serves_ads_and_search_metrics_per_day(ga4_server, ga4_source, props, warehouse):
    written = load_ads_days(warehouse, ga4_source(LINKED), FIRST, LAST)

    assert written == 14
    truth = props[LINKED].truth_linked().set_index("day")
    for row in _rows(warehouse, LINKED):
        day = row["date"].date()
        for metric, column in COLUMNS.items():
            assert row[column] == pytest.approx(truth.loc[day, metric]), (day, column)
    assert [c.method for c in ga4_server.api_calls()][0] == "GetMetadata"


def test_a_property_without_links_is_not_asked_for_them_and_still_ingests(ga4_server, ga4_source, props, warehouse):
    source = ga4_source(UNLINKED)
    load_web_days(warehouse, source, FIRST, LAST)
    written = load_ads_days(warehouse, source, FIRST, LAST)

    assert written == 14
    assert all(row[c] is None or row[c] != row[c] for row in _rows(warehouse, UNLINKED) for c in COLUMNS.values())
    assert not _requested(ga4_server) & set(COLUMNS)  # never asked: GA4 would refuse them
    sessions, = warehouse.execute("SELECT sum(sessions) FROM raw.ga4_daily WHERE site_id = ?", [UNLINKED]).fetchone()
    assert sessions == len(props[UNLINKED].sessions)


def test_search_console_alone_fills_organic_metrics_and_leaves_ads_null(ga4_server, ga4_source, props, warehouse):
    load_ads_days(warehouse, ga4_source(SEARCH_ONLY), FIRST, LAST)

    rows = _rows(warehouse, SEARCH_ONLY)
    assert all(row["ad_clicks"] is None or row["ad_clicks"] != row["ad_clicks"] for row in rows)
    assert sum(row["organic_clicks"] for row in rows) == props[SEARCH_ONLY].truth_linked()["organicGoogleSearchClicks"].sum()
    assert "advertiserAdClicks" not in _requested(ga4_server)


def test_ctr_cpc_and_organic_ctr_are_recomputed_from_the_weeks_sums(ga4_server, ga4_source, props, warehouse):
    source = ga4_source(LINKED)
    load_web_days(warehouse, source, FIRST, LAST)
    load_ads_days(warehouse, source, FIRST, LAST)
    for model in (METRICS_DAILY, METRICS_WEEKLY):
        build_model(warehouse, model, site_id=LINKED, date_from=FIRST, date_to=LAST)
    truth = props[LINKED].truth_linked()
    week = truth[(truth["day"] >= FIRST) & (truth["day"] <= FIRST + timedelta(days=6))].sum(numeric_only=True)
    values = dict(warehouse.execute(
        "SELECT metric_id, value FROM mart.metrics_weekly WHERE site_id = ? AND week_start = ?",
        [LINKED, FIRST]).fetchall())
    assert values["ctr"] == pytest.approx(week["advertiserAdClicks"] / week["advertiserAdImpressions"])
    assert values["cpc"] == pytest.approx(week["advertiserAdCost"] / week["advertiserAdClicks"])
    assert values["organic_ctr"] == pytest.approx(
        week["organicGoogleSearchClicks"] / week["organicGoogleSearchImpressions"])
    assert values["ad_cost"] == pytest.approx(week["advertiserAdCost"])
