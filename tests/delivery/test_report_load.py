"""load_report_data reads one site's ISO week from a real DuckDB warehouse."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pytest

from kpi_pipeline.delivery import load_report_data, render_report

WEEK = date(2027, 5, 3)
PREV = date(2027, 4, 26)


@pytest.fixture
def marts(warehouse: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The shared empty warehouse (tests/conftest.py) with a few mart rows for 2027-W18."""
    con = warehouse
    progress = """INSERT INTO mart.kpi_progress (site_id, week_start, iso_week, kind, item_id,
        kgi_id, name, metric_id, phase, direction, pacing, cumulative, start_date, deadline,
        baseline, target, expected, actual, elapsed_share, progress, pace_ratio, status,
        forecast, forecast_low, forecast_high, verdict, provisional_days, note)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'higher', 'linear', ?, ?, ?, ?, ?, ?, ?, 0.5, ?, ?, ?,
                ?, ?, ?, ?, ?, ?)"""
    rows = [
        ("demo", WEEK, "2027-W18", "kpi", "sessions_x125", "orders_fy2027",
         "2ヶ月でセッション数を1.25倍に", "sessions", "acquisition", False, date(2027, 4, 1),
         date(2027, 5, 31), 12000, 15000, 13250, 13620, 0.54, 1.03, "on_track", 15400, 14600,
         16100, "will_reach", 2, None),
        ("demo", PREV, "2027-W17", "kpi", "sessions_x125", "orders_fy2027",
         "2ヶ月でセッション数を1.25倍に", "sessions", "acquisition", False, date(2027, 4, 1),
         date(2027, 5, 31), 12000, 15000, 13000, 12900, 0.3, 0.99, "on_track", None, None,
         None, None, 0, None),
        ("demo", WEEK, "2027-W18", "kgi", "orders_fy2027", None, "年間受注・リピート100件",
         "orders", "revenue", True, date(2027, 4, 1), date(2028, 3, 31), 0, 100, 9.9, 8, 0.08,
         0.81, "at_risk", 82, 70, 95, "may_reach", 0, "pacing: linear fallback"),
        ("other-site", WEEK, "2027-W18", "kpi", "cvr_x12", None, "他サイトのKPI", "cvr",
         "revenue", False, date(2027, 4, 1), date(2027, 6, 30), 0.02, 0.024, 0.021, 0.018, -0.4,
         0.85, "off_track", None, None, None, None, 0, None),
    ]
    con.executemany(progress, rows)
    con.executemany(
        """INSERT INTO mart.aarrr_weekly VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            ("demo", WEEK, "2027-W18", "acquisition", 1, "sessions", 13620, 11040, 10210,
             13620 / 11040 - 1, None, 13620 / 10210 - 1, None, 2),
            ("demo", WEEK, "2027-W18", "acquisition", 1, "bounce_rate", 0.412, 0.398, 0.455,
             None, 0.014, None, -0.043, 2),
            ("demo", PREV, "2027-W17", "acquisition", 1, "sessions", 11040, 10000, None,
             0.104, None, None, None, 0),
        ],
    )
    con.executemany(
        "INSERT INTO mart.metrics_weekly VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("demo", WEEK, "2027-W18", "sessions", 13620, 13620, None, 6, 2),
            ("demo", PREV, "2027-W17", "sessions", 11040, 11040, None, 7, 0),
            ("demo", date(2026, 5, 4), "2026-W19", "sessions", 9000, 9000, None, 7, 0),
        ],
    )
    con.executemany(
        "INSERT INTO mart.metrics_daily VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            ("demo", date(2027, 5, 7), "sessions", 1900, 1900, None, False),
            ("demo", date(2027, 5, 8), "sessions", 1800, 1800, None, True),
            ("demo", date(2027, 5, 9), "sessions", 1700, 1700, None, True),
        ],
    )
    con.executemany(
        "INSERT INTO mart.funnel_plan (site_id, week_start, iso_week, kgi_id, stage, stage_order, rate_to_next, "
        "required_total, required_to_date, actual_to_date, gap, attainment, is_bottleneck, remaining_weeks, "
        "needed_per_week) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ("demo", WEEK, "2027-W18", "orders_fy2027", "orders", 0, None, 100, 9.9, 8, -1.9,
             0.81, False, 47, 1.96),
            ("demo", WEEK, "2027-W18", "orders_fy2027", "deals", 1, 0.5, 200, 19.8, 15, -4.8,
             0.76, True, 47, 3.94),
        ],
    )
    con.execute(
        "INSERT INTO mart.metric_anomalies (site_id, week_start, iso_week, metric_id, value, median, mad, "
        "robust_z, kind) VALUES "
        "('demo', ?, '2027-W18', 'cvr', 0.0181, 0.0231, 0.001, -4.2, 'drop')", [WEEK],
    )
    runs = """INSERT INTO meta.runs (load_id, site_id, source, asset, date_from, date_to,
        rows_loaded, sampled, thresholded, started_at, finished_at)
        VALUES (?, 'demo', 'ga4', ?, ?, ?, 10, ?, ?, ?, ?)"""
    con.executemany(runs, [
        # an early load of the week was sampled, then re-loaded cleanly: no note
        ("l1", "raw.ga4_daily", date(2027, 5, 3), date(2027, 5, 9), True, False,
         datetime(2027, 5, 10, 1), datetime(2027, 5, 10, 1, 5)),
        ("l2", "raw.ga4_daily", date(2027, 5, 1), date(2027, 5, 9), False, False,
         datetime(2027, 5, 11, 1), datetime(2027, 5, 11, 1, 5)),
        # the breakdown load is thresholded and still current: a note
        ("l3", "raw.ga4_by_dimension", date(2027, 5, 3), date(2027, 5, 9), False, True,
         datetime(2027, 5, 10, 1), datetime(2027, 5, 10, 1, 5)),
        # a load of another week does not touch this one
        ("l4", "raw.ga4_by_dimension", date(2027, 4, 19), date(2027, 4, 25), True, True,
         datetime(2027, 4, 26, 1), datetime(2027, 4, 26, 1, 5)),
    ])
    return con


def test_load_report_data_reads_one_site_and_week_from_the_marts(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    data = load_report_data(marts, "demo", WEEK, site_label="example.co.jp")
    assert data.iso_week == "2027-W18" and data.site_name == "example.co.jp"
    assert [i.item_id for i in data.items] == ["orders_fy2027", "sessions_x125"]  # KGI first
    kpi = data.items[1]
    assert (kpi.name, kpi.actual, kpi.expected, kpi.status) == (
        "2ヶ月でセッション数を1.25倍に", 13620, 13250, "on_track")
    assert (kpi.forecast_low, kpi.forecast_high, kpi.verdict) == (14600, 16100, "will_reach")
    assert [(p.week_start, p.actual) for p in kpi.history] == [(PREV, 12900), (WEEK, 13620)]
    assert data.items[0].cumulative is True and data.items[0].note == "pacing: linear fallback"
    assert {pm.metric_id for pm in data.phase_metrics} == {"sessions", "bounce_rate"}
    assert sorted((v.week_start, v.value) for v in data.trend) == [(PREV, 11040), (WEEK, 13620)]
    assert [s.stage for s in data.funnel] == ["orders", "deals"]
    assert data.funnel[1].is_bottleneck is True and data.funnel[1].needed_per_week == 3.94
    assert [a.metric_id for a in data.anomalies] == ["cvr"]
    assert data.provisional_dates == (date(2027, 5, 8), date(2027, 5, 9))
    assert data.provisional_days == 2 and data.missing_days == 1
    flagged = [load for load in data.loads if load.flagged]
    assert [(f.asset, f.thresholded, f.sampled) for f in flagged] == [
        ("raw.ga4_by_dimension", True, False)
    ]


def test_a_report_renders_straight_from_the_warehouse(
    marts: duckdb.DuckDBPyConnection, tmp_path: Path,
) -> None:
    data = load_report_data(marts, "demo", WEEK)
    report = render_report(data, tmp_path / data.iso_week, formats={"html"})
    html = report.html.read_text(encoding="utf-8")
    assert "2ヶ月でセッション数を1.25倍に" in html and "13,620" in html
    assert "他サイトのKPI" not in html
    assert "この週は1日分のデータがありません。" in html
    assert "pacing: linear fallback" in html


def test_an_empty_week_loads_as_an_empty_report(marts: duckdb.DuckDBPyConnection) -> None:
    data = load_report_data(marts, "demo", date(2027, 1, 4))
    assert data.items == () and data.funnel == () and data.missing_days == 0


def test_week_start_must_be_a_monday(marts: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ValueError, match="Monday"):
        load_report_data(marts, "demo", date(2027, 5, 4))


def test_the_report_is_dated_now_in_the_reporting_time_zone(
    marts: duckdb.DuckDBPyConnection,
) -> None:
    before = datetime.now(UTC)
    tokyo = load_report_data(marts, "demo", WEEK).generated_at
    york = load_report_data(marts, "demo", WEEK, timezone="America/New_York").generated_at
    assert tokyo is not None and york is not None
    assert tokyo.tzinfo == ZoneInfo("Asia/Tokyo") and tokyo.tzname() == "JST"
    assert york.tzinfo == ZoneInfo("America/New_York")
    assert before <= tokyo <= datetime.now(UTC) and abs(york - tokyo) < timedelta(seconds=5)
    given = datetime(2027, 5, 10, 7, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert load_report_data(marts, "demo", WEEK, generated_at=given).generated_at == given


def test_an_unknown_time_zone_is_refused(marts: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        load_report_data(marts, "demo", WEEK, timezone="Asia/Atlantis")
