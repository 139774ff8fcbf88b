"""GA4 source through the real BetaAnalyticsDataClient against the fake GA4 server on loopback."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import grpc
import pandas as pd
import pytest
from fakes.ga4_data import HOSTILE_CAMPAIGNS, HOSTILE_PAGES, FakeProperty

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.config.sites import configured_sites
from kpi_pipeline.raw import load_web_days, load_web_weekly_users
from kpi_pipeline.sources.base import BREAKDOWN_DIMENSIONS
from kpi_pipeline.sources.ga4 import (
    GA4QuotaExhaustedError,
    GA4RequestError,
    GA4Resource,
    GA4UnavailableError,
)
from kpi_pipeline.sources.resources import WebSourcesResource

pytest_plugins = ("fakes.ga4_server",)  # the ga4_server and ga4_source fixtures

PROPERTY = "123456"
FIRST = date(2026, 11, 2)  # a Monday
LAST = date(2026, 11, 22)  # a Sunday: three whole ISO weeks


@pytest.fixture
def prop(ga4_server) -> FakeProperty:
    return ga4_server.add_property(FakeProperty.generate(PROPERTY, FIRST, 21))


def daily(con: duckdb.DuckDBPyConnection, site_id: str = PROPERTY) -> pd.DataFrame:
    return con.execute(
        "SELECT * EXCLUDE (site_id, loaded_at) FROM raw.ga4_daily WHERE site_id = ? ORDER BY date",
        [site_id],
    ).df()


def assert_matches_truth(got: pd.DataFrame, prop: FakeProperty) -> None:
    truth = prop.truth_daily()
    assert list(got["date"].dt.date) == list(truth["date"])
    for column in truth.columns.drop("date"):
        assert got[column].to_numpy() == pytest.approx(truth[column].to_numpy()), column


def test_daily_totals_equal_the_served_truth(ga4_server, ga4_source, prop, warehouse):
    summary = load_web_days(warehouse, ga4_source(PROPERTY), FIRST, LAST)

    assert summary.ga4_daily_rows == 21
    assert_matches_truth(daily(warehouse), prop)


def test_rest_transport_loads_the_same_rows_as_grpc(ga4_server, ga4_source, prop, warehouse, tmp_path):
    rest = ga4_source(PROPERTY, transport="rest", api_endpoint=ga4_server.rest_endpoint)
    load_web_days(warehouse, rest, FIRST, LAST)
    other = duckdb.connect(str(tmp_path / "grpc.duckdb"))
    from kpi_pipeline.warehouse import ensure_schema

    ensure_schema(other)
    load_web_days(other, ga4_source(PROPERTY), FIRST, LAST)

    query = "SELECT * EXCLUDE (loaded_at) FROM raw.ga4_by_dimension ORDER BY ALL"
    assert {c.transport for c in ga4_server.calls} == {"rest", "grpc"}
    assert_matches_truth(daily(warehouse), prop)
    pd.testing.assert_frame_equal(warehouse.execute(query).df(), other.execute(query).df())


def test_every_row_is_read_when_pages_come_back_shorter_than_asked(ga4_server, ga4_source, prop, warehouse):
    ga4_server.page_cap = 37  # GA4 may return fewer rows than the limit although more remain
    source = ga4_source(PROPERTY, page_size=100)

    summary = load_web_days(warehouse, source, FIRST, LAST)

    pages = [c.request for c in ga4_server.api_calls("RunReport")]
    path_offsets = [r.offset for r in pages if r.dimensions[1:] and r.dimensions[1].name == "pagePath"]
    served = ga4_server.properties[PROPERTY].report(
        ["date", "pagePath"], ["screenPageViews"], [(FIRST.isoformat(), LAST.isoformat(), "")]
    )[1]
    assert path_offsets == list(range(37, len(served), 37))  # offset advances by rows received
    stored = warehouse.execute(
        "SELECT count(*) FROM raw.ga4_by_dimension WHERE dimension = 'pagePath'"
    ).fetchone()[0]
    assert stored == len(served) > 100
    assert summary.ga4_by_dimension_rows == warehouse.execute("SELECT count(*) FROM raw.ga4_by_dimension").fetchone()[0]
    assert_matches_truth(daily(warehouse), prop)


def test_reports_are_batched_into_two_requests_when_they_fit_one_page(ga4_server, ga4_source, prop, warehouse):
    summary = load_web_days(warehouse, ga4_source(PROPERTY), FIRST, LAST)

    assert [c.method for c in ga4_server.calls] == ["BatchRunReports", "BatchRunReports"]
    assert summary.info.requests == 2
    assert all(r.return_property_quota for c in ga4_server.calls for r in c.request.requests)


def test_each_breakdown_dimension_is_stored_with_zero_for_metrics_it_does_not_carry(ga4_server, ga4_source, prop, warehouse):
    load_web_days(warehouse, ga4_source(PROPERTY), FIRST, LAST)

    sums = warehouse.execute(
        "SELECT dimension, sum(sessions), sum(screen_page_views), sum(event_count) "
        "FROM raw.ga4_by_dimension GROUP BY dimension"
    ).fetchall()
    by_dim = {d: (s, v, e) for d, s, v, e in sums}
    sessions, views, events = len(prop.sessions), int(prop.sessions["views"].sum()), len(prop.events)
    assert set(by_dim) == set(BREAKDOWN_DIMENSIONS)
    for session_scoped in ("sessionDefaultChannelGroup", "landingPage", "sessionCampaignName"):
        assert by_dim[session_scoped] == (sessions, views, events)
    assert by_dim["pagePath"] == (0, views, events)  # page-scoped: no sessions
    assert by_dim["eventName"] == (0, 0, events)  # event-scoped: events only


def test_weekly_users_are_read_per_week_not_summed_from_days(ga4_server, ga4_source, prop, warehouse):
    mondays = [FIRST, FIRST + timedelta(days=7), FIRST + timedelta(days=14)]
    source = ga4_source(PROPERTY)

    assert load_web_weekly_users(warehouse, source, mondays) == 3

    rows = warehouse.execute(
        "SELECT week_start, total_users, new_users, returning_users FROM raw.ga4_weekly_users ORDER BY 1"
    ).fetchall()
    for (week, total, new, returning), monday in zip(rows, mondays, strict=True):
        assert week == monday
        assert {"total_users": total, "new_users": new, "returning_users": returning} == prop.truth_weekly_users(monday)
    truth = prop.truth_daily()
    first_week_daily_sum = truth[truth["date"] < mondays[1]]["total_users"].sum()
    assert rows[0][1] < first_week_daily_sum  # the same users come back on several days
    # three weeks fit one request (up to four date ranges), users and returning users batched
    assert [c.method for c in ga4_server.calls] == ["BatchRunReports"]
    assert len(ga4_server.calls[0].request.requests[0].date_ranges) == 3


def test_429_and_503_are_retried_then_the_load_succeeds(ga4_server, ga4_source, prop, warehouse):
    ga4_server.fail(grpc.StatusCode.RESOURCE_EXHAUSTED, "Exhausted concurrent requests quota.")
    ga4_server.fail(grpc.StatusCode.UNAVAILABLE, "The service is currently unavailable.")
    ga4_server.fail(grpc.StatusCode.INTERNAL, "Internal error encountered.")

    summary = load_web_days(warehouse, ga4_source(PROPERTY), FIRST, LAST)

    assert summary.info.requests == 5  # 3 failed attempts + 2 batches
    assert_matches_truth(daily(warehouse), prop)


def test_a_request_that_times_out_is_retried(ga4_server, ga4_source, prop, warehouse):
    ga4_server.delay(1.0)
    source = ga4_source(PROPERTY, request_timeout_seconds=0.2)

    load_web_days(warehouse, source, FIRST, LAST)

    assert_matches_truth(daily(warehouse), prop)


def test_retries_are_bounded_and_end_with_a_clear_message_leaving_old_rows(ga4_server, ga4_source, prop, warehouse):
    load_web_days(warehouse, ga4_source(PROPERTY), FIRST, LAST)
    before = daily(warehouse)
    ga4_server.fail(grpc.StatusCode.UNAVAILABLE, "The service is currently unavailable.", times=100)
    calls = len(ga4_server.calls)

    with pytest.raises(GA4UnavailableError) as error:
        load_web_days(warehouse, ga4_source(PROPERTY, max_attempts=3), FIRST, LAST)

    assert len(ga4_server.calls) - calls == 3
    assert "after 3 attempts" in str(error.value) and "503" in str(error.value)
    pd.testing.assert_frame_equal(daily(warehouse), before)


def test_a_rejected_metric_fails_at_once_with_the_api_message(ga4_server, ga4_source, prop, warehouse):
    ga4_server.reject_metric("keyEvents")

    with pytest.raises(GA4RequestError) as error:
        load_web_days(warehouse, ga4_source(PROPERTY), FIRST, LAST)

    assert len(ga4_server.calls) == 1  # no retry
    assert "Field keyEvents is not a valid metric" in str(error.value)
    assert str(error.value).startswith("GA4 rejected reports daily_totals")
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_a_property_the_account_cannot_read_says_what_to_do(ga4_server, ga4_source, prop, warehouse):
    with pytest.raises(GA4RequestError) as error:
        load_web_days(warehouse, ga4_source("999"), FIRST, LAST)

    message = str(error.value)
    assert "property 999" in message and "sufficient permissions" in message
    assert "Viewer" in message


def test_look_back_replaces_changed_days_and_nothing_is_double_counted(ga4_server, ga4_source, prop, warehouse):
    source = ga4_source(PROPERTY)
    load_web_days(warehouse, source, FIRST, LAST - timedelta(days=7))
    late_day = LAST - timedelta(days=8)  # loaded while provisional, then GA4 adds sessions
    sessions_before = int(daily(warehouse).set_index("date").loc[pd.Timestamp(late_day), "sessions"])
    prop.add_sessions(late_day, 25)

    summary = load_web_days(warehouse, source, LAST - timedelta(days=6), LAST, lookback_days=3)

    assert summary.date_from == LAST - timedelta(days=9)
    got = daily(warehouse)
    assert int(got.set_index("date").loc[pd.Timestamp(late_day), "sessions"]) == sessions_before + 25
    assert_matches_truth(got, prop)
    assert got["sessions"].sum() == len(prop.sessions)
    duplicates = warehouse.execute(
        "SELECT count(*) FROM (SELECT date, dimension, dimension_value FROM raw.ga4_by_dimension "
        "GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    assert duplicates == 0
    channel_sessions = warehouse.execute(
        "SELECT sum(sessions) FROM raw.ga4_by_dimension WHERE dimension = 'sessionDefaultChannelGroup'"
    ).fetchone()[0]
    assert channel_sessions == len(prop.sessions)


def test_hostile_page_paths_and_campaign_names_reach_the_warehouse_intact(ga4_server, ga4_source, prop, warehouse):
    load_web_days(warehouse, ga4_source(PROPERTY), FIRST, LAST)

    def values(dimension: str) -> set[str]:
        return {v for (v,) in warehouse.execute(
            "SELECT DISTINCT dimension_value FROM raw.ga4_by_dimension WHERE dimension = ?", [dimension]
        ).fetchall()}

    assert set(HOSTILE_PAGES) <= values("pagePath")
    assert set(HOSTILE_PAGES) <= values("landingPage")
    assert set(HOSTILE_CAMPAIGNS) <= values("sessionCampaignName")
    tables = {t for (t,) in warehouse.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables").fetchall()}
    assert {"raw.ga4_daily", "meta.runs"} <= tables  # nothing was dropped


def test_quality_flags_are_recorded_per_load_and_listed_as_warnings(ga4_server, ga4_source, prop, warehouse):
    prop.thresholded = prop.sampled = prop.data_loss_from_other_row = True

    summary = load_web_days(warehouse, ga4_source(PROPERTY), FIRST, LAST)

    runs = warehouse.execute(
        "SELECT asset, sampled, thresholded, data_loss_from_other_row, property_time_zone, currency, "
        "quota_tokens_used, requests FROM meta.runs ORDER BY asset"
    ).fetchall()
    assert runs == [
        ("raw.ga4_by_dimension", True, True, True, "Asia/Tokyo", "JPY", 40, 1),
        ("raw.ga4_daily", True, True, True, "Asia/Tokyo", "JPY", 30, 1),
    ]
    warnings = "\n".join(summary.info.warnings)
    assert "thresholding" in warnings and "sampled" in warnings and "(other)" in warnings
    assert "25% of events" in warnings


def test_a_property_in_another_time_zone_is_a_warning_naming_both_zones(ga4_server, ga4_source, prop, warehouse):
    prop.time_zone = "America/Los_Angeles"

    summary = load_web_days(warehouse, ga4_source(PROPERTY), FIRST, LAST)

    assert any(
        "America/Los_Angeles" in w and "KPI_TIMEZONE is Asia/Tokyo" in w for w in summary.info.warnings
    )
    assert warehouse.execute("SELECT DISTINCT property_time_zone FROM meta.runs").fetchall() == [("America/Los_Angeles",)]


def test_two_properties_live_in_one_warehouse_keyed_by_property_id(ga4_server, ga4_source, prop, warehouse):
    other = ga4_server.add_property(FakeProperty.generate("777", FIRST, 21, seed=99))
    settings = Settings.from_env({"KPI_SOURCE": "ga4", "GA4_PROPERTY_ID": f"{PROPERTY}, 777",
                                  "GA4_API_ENDPOINT": ga4_server.endpoint})
    web = WebSourcesResource(ga4=GA4Resource.from_settings(settings))
    sources = [web.open(site) for site in configured_sites(settings)]  # one site per property

    for source in sources:
        load_web_days(warehouse, source, FIRST, LAST)
    load_web_days(warehouse, sources[0], FIRST, LAST)  # reloading one leaves the other

    assert_matches_truth(daily(warehouse, PROPERTY), prop)
    assert_matches_truth(daily(warehouse, "777"), other)
    sites = warehouse.execute("SELECT DISTINCT site_id FROM raw.ga4_by_dimension ORDER BY 1").fetchall()
    assert sites == [(PROPERTY,), ("777",)]


def test_a_used_up_daily_quota_stops_at_once_saying_when_and_keeps_loaded_rows(ga4_server, ga4_source, prop, warehouse):
    source = ga4_source(PROPERTY, page_size=50)
    load_web_days(warehouse, source, FIRST, LAST)
    breakdowns = "SELECT * FROM raw.ga4_by_dimension ORDER BY ALL"
    before = warehouse.execute(breakdowns).df()
    totals = "SELECT * EXCLUDE (loaded_at) FROM raw.ga4_daily ORDER BY ALL"
    totals_before = warehouse.execute(totals).df()
    prop.add_sessions(LAST, 30)
    # site totals (one batch + 2 channel pages) and the breakdown batch fit; page 3 does not
    ga4_server.quota_limit(PROPERTY, 50 + 40 + 20, kind="daily")
    calls = len(ga4_server.calls)

    with pytest.raises(GA4QuotaExhaustedError) as error:
        load_web_days(warehouse, source, FIRST, LAST)

    message = str(error.value)
    assert error.value.quota == "daily"
    assert "daily token quota of property 123456 is used up" in message
    assert "midnight Pacific Time" in message and "unchanged" in message
    assert len(ga4_server.calls) - calls == 7  # 3 for totals, 1 batch + 2 pages, 1 refused (no retry)
    pd.testing.assert_frame_equal(warehouse.execute(breakdowns).df(), before)
    assert warehouse.execute(
        "SELECT count(*) FROM meta.runs WHERE asset = 'raw.ga4_by_dimension'"
    ).fetchone() == (1,)
    # totals and breakdowns replace together, so the totals are the previous ones too
    pd.testing.assert_frame_equal(warehouse.execute(totals).df(), totals_before)


def test_a_used_up_hourly_quota_says_to_retry_within_the_hour(ga4_server, ga4_source, prop, warehouse):
    ga4_server.quota_limit(PROPERTY, 0, kind="hourly")

    with pytest.raises(GA4QuotaExhaustedError, match="hourly token quota .* within the hour"):
        load_web_days(warehouse, ga4_source(PROPERTY), FIRST, LAST)

    assert warehouse.execute("SELECT count(*) FROM raw.ga4_daily").fetchone() == (0,)


def test_quota_tokens_used_are_recorded_per_table(ga4_server, ga4_source, prop, warehouse):
    load_web_days(warehouse, ga4_source(PROPERTY, page_size=50), FIRST, LAST)

    tokens = dict(warehouse.execute("SELECT asset, quota_tokens_used FROM meta.runs").fetchall())
    requests = dict(warehouse.execute("SELECT asset, requests FROM meta.runs").fetchall())
    assert sum(tokens.values()) == ga4_server.tokens_per_report * (
        sum(len(c.request.requests) for c in ga4_server.api_calls("BatchRunReports"))
        + len(ga4_server.api_calls("RunReport"))
    )
    assert sum(requests.values()) == len(ga4_server.calls)


def test_demo_and_ga4_sources_produce_the_same_raw_tables(ga4_server, ga4_source, prop, warehouse):
    from kpi_pipeline.sources.base import (
        GA4_BY_DIMENSION_COLUMNS,
        GA4_DAILY_COLUMNS,
        GA4_WEEKLY_USERS_COLUMNS,
    )
    from kpi_pipeline.sources.demo import DemoSource

    def shape(frame: pd.DataFrame) -> list[tuple[str, str]]:
        return [(c, "text" if frame[c].dtype == object and c != "date" and c != "week_start" else "value")
                for c in frame.columns]

    ga4, demo = ga4_source(PROPERTY), DemoSource(site_id="demo")
    shapes = {}
    for source in (ga4, demo):
        load = source.load_days(FIRST, LAST)
        pages = list(load.ga4_by_dimension)
        weekly, _ = source.load_weekly_users([FIRST])
        assert list(load.ga4_daily.columns) == list(GA4_DAILY_COLUMNS)
        assert all(list(p.columns) == list(GA4_BY_DIMENSION_COLUMNS) for p in pages)
        assert list(weekly.columns) == list(GA4_WEEKLY_USERS_COLUMNS)
        dims = set(pd.concat(pages)["dimension"])
        shapes[source.site_id] = (shape(load.ga4_daily), shape(pages[0]), shape(weekly), dims)
        load_web_days(warehouse, source, FIRST, LAST)
        load_web_weekly_users(warehouse, source, [FIRST])

    assert shapes[PROPERTY] == shapes["demo"]
    assert shapes[PROPERTY][3] == set(BREAKDOWN_DIMENSIONS)
    counts = warehouse.execute(
        "SELECT site_id, count(*) FROM raw.ga4_daily GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert counts == [(PROPERTY, 21), ("demo", 21)]
