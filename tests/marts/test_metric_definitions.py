"""DESIGN.md §6 on a tiny hand-made fixture: ratios re-aggregated, users read at the grain."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pandas as pd
import pytest

from kpi_pipeline.marts.build import AARRR_WEEKLY, METRICS_DAILY, METRICS_WEEKLY, build_model
from kpi_pipeline.warehouse import replace_rows

MON, TUE = date(2026, 11, 16), date(2026, 11, 17)
LOADED = datetime(2026, 11, 24, 3, 0)


def _ga4_day(day: date, sessions: int, engaged: int, views: int, seconds: float, users: int,
             new: int, converted: float) -> dict:
    return {
        "site_id": "s1", "date": day, "sessions": sessions, "engaged_sessions": engaged,
        "screen_page_views": views, "user_engagement_duration": seconds, "event_count": views * 3,
        "key_events": converted, "converted_sessions": converted, "total_users": users,
        "new_users": new, "returning_users": users - new, "loaded_at": LOADED,
    }


def _dim(day: date, dimension: str, value: str, sessions: int = 0, views: int = 0,
         events: int = 0) -> dict:
    return {
        "site_id": "s1", "date": day, "dimension": dimension, "dimension_value": value,
        "sessions": sessions, "engaged_sessions": 0, "screen_page_views": views,
        "event_count": events, "key_events": 0.0, "loaded_at": LOADED,
    }


@pytest.fixture
def tiny(warehouse: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con = warehouse
    replace_rows(con, "raw.ga4_daily", pd.DataFrame([
        _ga4_day(MON, 100, 60, 250, 6000.0, 50, 40, 2.0),
        _ga4_day(TUE, 300, 90, 600, 9000.0, 80, 60, 3.0),
    ]), "TRUE")
    replace_rows(con, "raw.ga4_by_dimension", pd.DataFrame([
        _dim(MON, "pagePath", "/contact", views=10),
        _dim(MON, "pagePath", "/", views=240),
        _dim(TUE, "pagePath", "/thanks", views=5),
        _dim(TUE, "pagePath", "/contact-us-old", views=7),  # not a key path
        _dim(MON, "eventName", "share", events=4),
        _dim(TUE, "eventName", "share", events=6),
        _dim(TUE, "eventName", "click", events=99),
        _dim(MON, "sessionCampaignName", "(direct)", sessions=70),
        _dim(MON, "sessionCampaignName", "spring_webinar", sessions=30),
        _dim(TUE, "sessionCampaignName", "(organic)", sessions=300),
        _dim(MON, "sessionDefaultChannelGroup", "Organic Social", sessions=12),
        _dim(TUE, "sessionDefaultChannelGroup", "Paid Social", sessions=8),
        _dim(TUE, "sessionDefaultChannelGroup", "Direct", sessions=292),
    ]), "TRUE")
    replace_rows(con, "raw.ga4_weekly_users", pd.DataFrame([{
        "site_id": "s1", "week_start": MON, "total_users": 110, "new_users": 90,
        "returning_users": 20, "loaded_at": LOADED,
    }]), "TRUE")
    replace_rows(con, "raw.crm_daily", pd.DataFrame([
        {"site_id": "s1", "date": MON, "leads": 10, "appointments": 1, "deals": 1, "orders": 0,
         "revenue": 0.0, "loaded_at": LOADED},
        {"site_id": "s1", "date": TUE, "leads": 12, "appointments": 2, "deals": 1, "orders": 1,
         "revenue": 800000.0, "loaded_at": LOADED},
    ]), "TRUE")
    build_model(con, METRICS_DAILY, site_id="s1", date_from=MON, date_to=date(2026, 11, 22),
                provisional_from=TUE)
    build_model(con, METRICS_WEEKLY, site_id="s1", date_from=MON, date_to=date(2026, 11, 22))
    build_model(con, AARRR_WEEKLY, site_id="s1", date_from=MON, date_to=date(2026, 11, 22))
    return con


def _daily(con: duckdb.DuckDBPyConnection, metric_id: str, day: date) -> float:
    return con.execute(
        "SELECT value FROM mart.metrics_daily WHERE metric_id = ? AND date = ?", [metric_id, day]
    ).fetchone()[0]


def _weekly(con: duckdb.DuckDBPyConnection, metric_id: str) -> float:
    return con.execute(
        "SELECT value FROM mart.metrics_weekly WHERE metric_id = ? AND week_start = ?",
        [metric_id, MON],
    ).fetchone()[0]


def test_bounce_rate_is_recomputed_not_averaged(tiny: duckdb.DuckDBPyConnection) -> None:
    assert _daily(tiny, "bounce_rate", MON) == pytest.approx(0.4)
    assert _daily(tiny, "bounce_rate", TUE) == pytest.approx(0.7)
    # 1 - (60 + 90) / (100 + 300) = 0.625, not the average of the days (0.55)
    assert _weekly(tiny, "bounce_rate") == pytest.approx(0.625)


def test_engagement_time_pages_and_exit_rate_are_weighted_by_sessions(tiny) -> None:
    assert _weekly(tiny, "avg_engagement_time") == pytest.approx(15000 / 400)
    assert _weekly(tiny, "pages_per_session") == pytest.approx(850 / 400)
    assert _weekly(tiny, "exit_rate") == pytest.approx(400 / 850)


def test_cvr_is_converted_sessions_over_sessions(tiny) -> None:
    assert _daily(tiny, "cvr", MON) == pytest.approx(0.02)
    assert _weekly(tiny, "cvr") == pytest.approx(5 / 400)


def test_weekly_users_are_read_at_week_grain_not_summed(tiny) -> None:
    assert _daily(tiny, "total_users", MON) == 50
    assert _weekly(tiny, "total_users") == 110  # not 50 + 80
    assert _weekly(tiny, "returning_users") == 20
    assert _weekly(tiny, "repeat_rate") == pytest.approx(20 / 110)


def test_breakdown_metrics_use_configured_paths_events_campaigns_and_social(tiny) -> None:
    assert _weekly(tiny, "key_page_views") == 15  # /contact 10 + /thanks 5, not /contact-us-old
    assert _weekly(tiny, "share_events") == 10
    assert _weekly(tiny, "campaign_session_share") == pytest.approx(30 / 400)
    assert _weekly(tiny, "social_sessions") == 20


def test_crm_funnel_counts_are_summed(tiny) -> None:
    assert _weekly(tiny, "leads") == 22
    assert _weekly(tiny, "orders") == 1
    assert _weekly(tiny, "revenue") == 800000


def test_days_from_the_provisional_date_on_are_flagged(tiny) -> None:
    flags = dict(tiny.execute(
        "SELECT date, bool_and(is_provisional) FROM mart.metrics_daily GROUP BY date"
    ).fetchall())
    assert flags == {MON: False, TUE: True}
    row = tiny.execute(
        "SELECT days_present, provisional_days FROM mart.metrics_weekly "
        "WHERE metric_id = 'sessions'"
    ).fetchone()
    assert row == (2, 1)


def test_rebuilding_a_window_replaces_rather_than_duplicates(tiny) -> None:
    before = tiny.execute("SELECT count(*), sum(value) FROM mart.metrics_weekly").fetchone()
    build_model(tiny, METRICS_WEEKLY, site_id="s1", date_from=MON, date_to=date(2026, 11, 22))
    assert tiny.execute("SELECT count(*), sum(value) FROM mart.metrics_weekly").fetchone() == before


def test_aarrr_weekly_groups_metrics_by_phase(tiny) -> None:
    phases = dict(tiny.execute(
        "SELECT metric_id, phase FROM mart.aarrr_weekly WHERE week_start = ?", [MON]
    ).fetchall())
    assert phases["sessions"] == "acquisition"
    assert phases["repeat_rate"] == "retention"
    assert phases["cvr"] == "revenue"


def test_aarrr_weekly_changes_are_relative_for_counts_and_in_points_for_rates(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    from helpers.demo_warehouse import demo_weeks

    demo_weeks(warehouse, MON - timedelta(days=7), MON)
    rows = warehouse.execute(
        "SELECT a.metric_id, c.unit, a.value, a.prev_week_value, a.wow_change_pct, a.wow_change_pt, "
        "a.yoy_change_pct, a.yoy_change_pt FROM mart.aarrr_weekly AS a "
        "JOIN mart.metric_catalog AS c USING (metric_id) WHERE a.week_start = ?", [MON]
    ).fetchall()
    units = {unit for _, unit, *_ in rows}
    assert {"rate", "count"} <= units and len(units) >= 3
    for metric_id, unit, value, prev, wow_pct, wow_pt, yoy_pct, yoy_pt in rows:
        assert yoy_pct is None and yoy_pt is None, metric_id  # no week a year back was built
        if unit == "rate":
            assert wow_pct is None and wow_pt == pytest.approx(value - prev), metric_id
        elif prev:
            assert wow_pt is None and wow_pct == pytest.approx(value / prev - 1), metric_id


def test_aarrr_weekly_change_columns_say_which_kind_they_hold(warehouse: duckdb.DuckDBPyConnection) -> None:
    comments = dict(warehouse.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'mart' "
        "AND table_name = 'aarrr_weekly' AND column_name LIKE '%change%'").fetchall())
    assert sorted(comments) == ["wow_change_pct", "wow_change_pt", "yoy_change_pct", "yoy_change_pt"]
    assert all("NULL for rates" in comments[c] for c in ("wow_change_pct", "yoy_change_pct"))
    assert all("Rates (unit rate)" in comments[c] for c in ("wow_change_pt", "yoy_change_pt"))
