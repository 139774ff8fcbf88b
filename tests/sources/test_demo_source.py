"""The demo source: realistic, self-consistent GA4 numbers that are the same however they are loaded."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from kpi_pipeline.sources.base import (
    BREAKDOWN_DIMENSIONS,
    GA4_BY_DIMENSION_COLUMNS,
    GA4_DAILY_COLUMNS,
    GA4_WEEKLY_USERS_COLUMNS,
    WebAnalyticsSource,
)
from kpi_pipeline.sources.demo import DemoSource

FIRST = date(2024, 11, 25)  # two years ending "yesterday" (today is 2026-11-25)
LAST = date(2026, 11, 24)
SESSION_SCOPED = ("sessionDefaultChannelGroup", "landingPage", "sessionCampaignName")
ADDITIVE = ("sessions", "engaged_sessions", "screen_page_views", "event_count", "key_events")
NON_CAMPAIGN = ("(not set)", "(direct)", "(organic)", "(referral)")


@pytest.fixture(scope="module")
def source() -> DemoSource:
    return DemoSource()


@pytest.fixture(scope="module")
def two_years(source: DemoSource) -> tuple[pd.DataFrame, pd.DataFrame]:
    load = source.load_days(FIRST, LAST)
    return load.ga4_daily, pd.concat(list(load.ga4_by_dimension), ignore_index=True)


@pytest.fixture(scope="module")
def daily(two_years: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    frame = two_years[0].copy()
    frame["day"] = pd.to_datetime(frame["date"])
    return frame.set_index("day")


def _by_dimension(source: DemoSource, day: date) -> pd.DataFrame:
    rows = pd.concat(list(source.load_days(day, day).ga4_by_dimension), ignore_index=True)
    return rows.sort_values(["dimension", "dimension_value"]).reset_index(drop=True)


def test_demo_source_implements_the_web_analytics_source_contract(source: DemoSource) -> None:
    contract: WebAnalyticsSource = source  # checked by type checkers; the protocol is static
    assert contract.site_id == "demo"
    assert source.load_days(LAST, LAST).info.source == "demo"
    assert source.load_weekly_users([date(2026, 11, 16)])[1].source == "demo"


@pytest.mark.parametrize(
    "day", [FIRST, date(2025, 1, 1), date(2025, 5, 20), date(2026, 2, 10), LAST]
)
def test_a_day_loaded_alone_equals_the_same_day_within_two_years(
    source: DemoSource, two_years: tuple[pd.DataFrame, pd.DataFrame], day: date
) -> None:
    ranged_daily, ranged_dims = two_years
    alone = source.load_days(day, day)
    pd.testing.assert_frame_equal(
        alone.ga4_daily.reset_index(drop=True),
        ranged_daily[ranged_daily["date"] == day].reset_index(drop=True),
    )
    from_range = ranged_dims[ranged_dims["date"] == day]
    from_range = from_range.sort_values(["dimension", "dimension_value"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(_by_dimension(source, day), from_range)
    pd.testing.assert_frame_equal(
        source.crm_days(day, day).reset_index(drop=True),
        source.crm_days(FIRST, LAST).query("date == @day").reset_index(drop=True),
    )


def test_same_seed_and_site_repeat_exactly_and_another_site_differs() -> None:
    week = (date(2026, 3, 2), date(2026, 3, 8))
    first = DemoSource("demo", seed=2027).load_days(*week).ga4_daily
    again = DemoSource("demo", seed=2027).load_days(*week).ga4_daily
    other = DemoSource("other-site", seed=2027).load_days(*week).ga4_daily
    pd.testing.assert_frame_equal(first, again)
    assert not np.array_equal(first["sessions"], other["sessions"])


def test_frames_have_exactly_the_raw_columns_and_types(
    two_years: tuple[pd.DataFrame, pd.DataFrame], source: DemoSource
) -> None:
    ga4_daily, by_dimension = two_years
    weekly, _ = source.load_weekly_users([date(2026, 11, 16)])
    for frame, columns in (
        (ga4_daily, GA4_DAILY_COLUMNS),
        (by_dimension, GA4_BY_DIMENSION_COLUMNS),
        (weekly, GA4_WEEKLY_USERS_COLUMNS),
    ):
        assert tuple(frame.columns) == columns
        for name in columns:
            if name in ("site_id", "dimension", "dimension_value"):
                assert frame[name].map(type).eq(str).all(), name
            elif name in ("date", "week_start"):
                assert frame[name].map(type).eq(date).all(), name
            elif name in ("key_events", "converted_sessions", "user_engagement_duration"):
                assert frame[name].dtype == np.float64, name
            else:
                assert frame[name].dtype == np.int64, name
    assert list(ga4_daily["date"]) == [FIRST + timedelta(days=i) for i in range(730)]


def test_every_dimension_splits_the_day_totals_exactly(
    two_years: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ga4_daily, by_dimension = two_years
    totals = ga4_daily.set_index("date")
    sums = by_dimension.groupby(["dimension", "date"])[list(ADDITIVE)].sum()
    for dimension in BREAKDOWN_DIMENSIONS:
        per_day = sums.loc[dimension].reindex(totals.index)
        metrics = ADDITIVE if dimension in SESSION_SCOPED else ADDITIVE[2:]
        for metric in metrics:
            gap = (per_day[metric] - totals[metric]).abs().max()
            assert gap == 0, f"{dimension}.{metric} differs from the day total by up to {gap}"


def test_page_and_event_dimensions_report_no_sessions(
    two_years: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    by_dimension = two_years[1]
    scoped = by_dimension[by_dimension["dimension"].isin(["pagePath", "eventName"])]
    assert (scoped[["sessions", "engaged_sessions"]] == 0).all().all()


def test_breakdowns_carry_the_values_reports_look_for(
    two_years: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    by_dimension = two_years[1]
    values = by_dimension.groupby("dimension")["dimension_value"].unique()
    assert {
        "Organic Search",
        "Direct",
        "Referral",
        "Organic Social",
        "Paid Search",
        "Email",
        "Paid Social",
    } <= set(values["sessionDefaultChannelGroup"])
    assert {"/", "/service", "/case", "/pricing", "/contact", "/thanks", "/download"} <= set(
        values["pagePath"]
    )
    assert any(v.startswith("/blog/") for v in values["pagePath"])
    assert {
        "page_view",
        "session_start",
        "first_visit",
        "user_engagement",
        "scroll",
        "click",
        "file_download",
        "form_submit",
        "generate_lead",
        "share",
    } <= set(values["eventName"])
    assert {*NON_CAMPAIGN, "spring_webinar", "wp_kgi_download", "retargeting_q3"} <= set(
        values["sessionCampaignName"]
    )
    assert not (by_dimension[list(ADDITIVE)] == 0).all(axis=1).any(), "GA4 returns no all-zero rows"


def test_counts_are_never_negative_and_engaged_never_exceeds_sessions(
    two_years: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    ga4_daily, by_dimension = two_years
    for frame in (ga4_daily, by_dimension):
        numeric = frame.select_dtypes("number")
        assert (numeric >= 0).all().all()
        assert (frame["engaged_sessions"] <= frame["sessions"]).all()
    assert (ga4_daily["event_count"] >= ga4_daily["screen_page_views"]).all()
    assert (ga4_daily["screen_page_views"] >= ga4_daily["sessions"]).all()
    assert (ga4_daily["converted_sessions"] <= ga4_daily["key_events"]).all()
    assert (ga4_daily["returning_users"] == ga4_daily["total_users"] - ga4_daily["new_users"]).all()
    assert (ga4_daily["total_users"] <= ga4_daily["sessions"]).all()


def test_site_ratios_look_like_a_b2b_site_in_ga4(daily: pd.DataFrame) -> None:
    by_quarter = daily.resample("QS").sum(numeric_only=True)
    sessions = by_quarter["sessions"]
    assert ((1 - by_quarter["engaged_sessions"] / sessions).between(0.40, 0.55)).all()
    assert ((by_quarter["screen_page_views"] / sessions).between(2.0, 3.0)).all()
    assert ((by_quarter["user_engagement_duration"] / sessions).between(60, 120)).all()
    assert ((by_quarter["converted_sessions"] / sessions).between(0.005, 0.015)).all()
    assert ((by_quarter["new_users"] / by_quarter["total_users"]).between(0.65, 0.75)).all()


def test_sessions_are_1500_to_2500_a_day_and_grow_15_to_25_percent_a_year(
    daily: pd.DataFrame,
) -> None:
    per_day = daily["sessions"].resample("MS").mean()
    assert per_day.iloc[1:-1].between(1400, 2600).all()
    first_year = daily.loc["2024-12-01":"2025-11-30", "sessions"].sum()
    second_year = daily.loc["2025-12-01":"2026-11-24", "sessions"].sum() * 365 / 359
    assert 1.15 <= second_year / first_year <= 1.25


def test_weekends_and_holiday_seasons_are_quieter(daily: pd.DataFrame) -> None:
    ordinary = daily.loc["2025-06-02":"2025-07-13", "sessions"]
    weekday_mean = ordinary[ordinary.index.weekday < 5].mean()
    weekend_mean = ordinary[ordinary.index.weekday >= 5].mean()
    assert 0.40 <= 1 - weekend_mean / weekday_mean <= 0.55
    for label, start, end in (
        ("New Year", "2025-12-29", "2026-01-03"),
        ("Golden Week", "2026-04-29", "2026-05-06"),
        ("Obon", "2026-08-11", "2026-08-16"),
    ):
        holiday = daily.loc[start:end, "sessions"].mean()
        around = daily.loc[
            pd.Timestamp(start) - pd.Timedelta(days=28) : pd.Timestamp(end) + pd.Timedelta(days=28),
            "sessions",
        ].mean()
        assert holiday < 0.8 * around, label


def test_share_events_are_a_few_dozen_a_day_and_growing(
    two_years: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    rows = two_years[1]
    share = rows[(rows["dimension"] == "eventName") & (rows["dimension_value"] == "share")]
    share = share.set_index(pd.to_datetime(share["date"]))["event_count"]
    first_half, last_half = share.loc[:"2025-05-24"].mean(), share.loc["2026-05-25":].mean()
    assert 10 <= first_half <= 60
    assert 10 <= last_half <= 100
    assert last_half > 1.3 * first_half


def test_social_sessions_grow_faster_than_the_site(
    two_years: tuple[pd.DataFrame, pd.DataFrame], daily: pd.DataFrame
) -> None:
    rows = two_years[1]
    social = rows[rows["dimension_value"].isin(["Organic Social", "Paid Social"])]
    social = social.set_index(pd.to_datetime(social["date"]))["sessions"].resample("D").sum()
    year_on_year = social.loc["2026-05-25":].sum() / social.loc["2025-05-25":"2025-11-24"].sum()
    site = (
        daily.loc["2026-05-25":, "sessions"].sum()
        / daily.loc["2025-05-25":"2025-11-24", "sessions"].sum()
    )
    assert year_on_year > site * 1.2


def test_campaigns_run_in_bursts(two_years: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    rows = two_years[1]
    campaign = rows[rows["dimension"] == "sessionCampaignName"]
    days_with = campaign.groupby("dimension_value")["date"].apply(set)
    wp = days_with["wp_kgi_download"]
    assert date(2026, 11, 20) in wp and date(2026, 1, 20) not in wp
    assert date(2026, 2, 16) in days_with["spring_webinar"]
    assert date(2026, 6, 16) not in days_with["spring_webinar"]
    assert date(2025, 8, 5) in days_with["retargeting_q3"]
    for name in NON_CAMPAIGN:
        assert len(days_with[name]) == 730, f"{name} is present every day"


def test_weekly_users_lie_between_the_busiest_day_and_the_sum_of_days(
    source: DemoSource, daily: pd.DataFrame
) -> None:
    mondays = [date(2024, 12, 2) + timedelta(weeks=i) for i in range(103)]
    weekly, _ = source.load_weekly_users(mondays)
    assert list(weekly["week_start"]) == mondays
    days = daily.copy()
    days["week"] = days.index.to_period("W-SUN").start_time.date
    per_week = days.groupby("week")[["total_users", "new_users"]].agg(["sum", "max"])
    for row in weekly.itertuples():
        for metric in ("total_users", "new_users"):
            value = getattr(row, metric)
            assert per_week.loc[row.week_start, (metric, "max")] <= value
            assert value < per_week.loc[row.week_start, (metric, "sum")]
    assert (weekly["returning_users"] == weekly["total_users"] - weekly["new_users"]).all()
    assert (weekly["returning_users"] > 0).all()


def test_weekly_users_do_not_depend_on_which_weeks_were_asked(source: DemoSource) -> None:
    week = date(2026, 6, 15)
    alone, _ = source.load_weekly_users([week])
    many, _ = source.load_weekly_users([date(2026, 6, 8), week, date(2025, 1, 6)])
    pd.testing.assert_frame_equal(alone, many.iloc[[1]].reset_index(drop=True))


def test_weekly_users_refuse_a_week_start_that_is_not_a_monday(source: DemoSource) -> None:
    with pytest.raises(ValueError, match="2026-06-16 is not a Monday"):
        source.load_weekly_users([date(2026, 6, 16)])


def test_a_reversed_range_is_refused(source: DemoSource) -> None:
    with pytest.raises(ValueError, match="after"):
        source.load_days(LAST, FIRST)


def test_two_years_for_one_site_generate_in_well_under_a_few_seconds() -> None:
    source = DemoSource("timing")
    started = time.perf_counter()
    load = source.load_days(FIRST, LAST)
    rows = sum(len(page) for page in load.ga4_by_dimension)
    source.crm_days(FIRST, LAST)
    source.load_weekly_users([date(2024, 11, 25) + timedelta(weeks=i) for i in range(104)])
    elapsed = time.perf_counter() - started
    assert rows > 20_000
    assert elapsed < 2.0, f"two years took {elapsed:.2f}s"


def test_every_frame_inserts_into_the_raw_tables_of_a_real_warehouse(tmp_path, source) -> None:
    from kpi_pipeline.warehouse import connect, ensure_schema, replace_rows

    con = connect(tmp_path / "warehouse.duckdb")
    ensure_schema(con)
    loaded_at = datetime(2026, 11, 25, 1, 0, 0)
    window = (date(2026, 10, 26), date(2026, 11, 1))
    load = source.load_days(*window)
    span = "site_id = ? AND date BETWEEN ? AND ?"
    params = [source.site_id, *window]

    def stamped(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(loaded_at=loaded_at)

    replace_rows(con, "raw.ga4_daily", stamped(load.ga4_daily), span, params)
    pages = (stamped(page) for page in load.ga4_by_dimension)
    written = replace_rows(con, "raw.ga4_by_dimension", pages, span, params)
    replace_rows(con, "raw.crm_daily", stamped(source.crm_days(*window)), span, params)
    weekly, _ = source.load_weekly_users([window[0]])
    replace_rows(
        con,
        "raw.ga4_weekly_users",
        stamped(weekly),
        "site_id = ? AND week_start = ?",
        [source.site_id, window[0]],
    )

    assert con.execute("SELECT count(*), typeof(min(date)) FROM raw.ga4_daily").fetchone() == (
        7,
        "DATE",
    )
    assert con.execute("SELECT count(*) FROM raw.ga4_by_dimension").fetchone()[0] == written
    assert con.execute("SELECT count(*) FROM raw.crm_daily").fetchone()[0] == 7
    weekly_total = con.execute("SELECT total_users FROM raw.ga4_weekly_users").fetchone()[0]
    assert weekly_total == int(weekly["total_users"].iloc[0])
    mismatched = con.execute(
        """
        SELECT count(*) FROM raw.ga4_daily d
        JOIN (SELECT date, sum(sessions) AS s FROM raw.ga4_by_dimension
              WHERE dimension = 'sessionDefaultChannelGroup' GROUP BY date) c USING (date)
        WHERE c.s <> d.sessions
        """
    ).fetchone()[0]
    assert mismatched == 0


@pytest.mark.parametrize("year", [2024, 2029])
def test_any_year_from_2024_on_still_looks_like_the_same_site(
    source: DemoSource, year: int
) -> None:
    load = source.load_days(date(year, 1, 1), date(year, 12, 31))
    rows = pd.concat(list(load.ga4_by_dimension), ignore_index=True)
    total = load.ga4_daily.sum(numeric_only=True)
    assert 0.40 <= 1 - total["engaged_sessions"] / total["sessions"] <= 0.55
    assert 0.005 <= total["converted_sessions"] / total["sessions"] <= 0.015
    assert 0.55 <= total["new_users"] / total["total_users"] <= 0.75
    channels = rows[rows["dimension"] == "sessionDefaultChannelGroup"]
    share = channels.groupby("dimension_value")["sessions"].sum() / total["sessions"]
    assert share.idxmax() == "Organic Search"
    assert share[["Organic Social", "Paid Social"]].sum() < 0.3
