"""The raw loader: any web-analytics source's rows replace the site's days (or weeks) atomically."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pandas as pd
import pytest

from kpi_pipeline.raw import (
    is_provisional,
    load_crm_days,
    load_web_days,
    load_web_weekly_users,
    provisional_since,
    reload_from,
)
from kpi_pipeline.sources.base import DailyLoad, LoadInfo
from kpi_pipeline.sources.demo import DemoSource

FIRST, LAST = date(2026, 11, 2), date(2026, 11, 15)


class BrokenPagesSource:
    """A source whose breakdown pages fail after the first (a connection lost mid-load)."""

    def __init__(self, inner: DemoSource, *, shift_days: int = 0) -> None:
        self.inner, self.site_id, self.shift_days = inner, inner.site_id, shift_days

    def load_days(self, date_from: date, date_to: date) -> DailyLoad:
        load = self.inner.load_days(date_from, date_to)

        def pages() -> Iterator[pd.DataFrame]:
            yield next(iter(load.ga4_by_dimension))
            raise ConnectionError("lost the source on page 2")

        daily = load.ga4_daily.assign(date=pd.to_datetime(load.ga4_daily["date"]) + pd.Timedelta(days=self.shift_days))
        return DailyLoad(ga4_daily=daily, ga4_by_dimension=pages(), info=load.info)

    def load_weekly_users(self, week_starts):  # pragma: no cover - not used
        return self.inner.load_weekly_users(week_starts)


def count(con, sql: str, *params) -> int:
    return con.execute(sql, list(params)).fetchone()[0]


def test_loading_the_same_days_again_replaces_them_instead_of_adding(warehouse):
    source = DemoSource(site_id="demo")
    first = load_web_days(warehouse, source, FIRST, LAST)
    again = load_web_days(warehouse, source, FIRST, LAST)

    assert first.ga4_daily_rows == again.ga4_daily_rows == 14
    assert count(warehouse, "SELECT count(*) FROM raw.ga4_daily") == 14
    assert count(warehouse, "SELECT count(*) FROM raw.ga4_by_dimension") == again.ga4_by_dimension_rows
    assert count(warehouse, "SELECT count(*) FROM meta.runs") == 4  # two tables, twice


def test_the_look_back_widens_the_range_that_is_replaced(warehouse):
    summary = load_web_days(warehouse, DemoSource(site_id="demo"), LAST, LAST, lookback_days=3)

    assert (summary.date_from, summary.date_to) == (LAST - timedelta(days=3), LAST)
    assert count(warehouse, "SELECT count(*) FROM raw.ga4_daily") == 4


def test_a_source_failing_mid_pages_leaves_the_previous_breakdown_rows(warehouse):
    demo = DemoSource(site_id="demo")
    load_web_days(warehouse, demo, FIRST, LAST)
    before = warehouse.execute("SELECT * FROM raw.ga4_by_dimension ORDER BY ALL").df()

    with pytest.raises(ConnectionError):
        load_web_days(warehouse, BrokenPagesSource(demo), FIRST, LAST)

    pd.testing.assert_frame_equal(warehouse.execute("SELECT * FROM raw.ga4_by_dimension ORDER BY ALL").df(), before)


def test_rows_outside_the_replaced_days_are_refused_before_anything_is_written(warehouse):
    with pytest.raises(ValueError, match="outside 2026-11-02..2026-11-15"):
        load_web_days(warehouse, BrokenPagesSource(DemoSource(site_id="demo"), shift_days=1), FIRST, LAST)

    assert count(warehouse, "SELECT count(*) FROM raw.ga4_daily") == 0


def test_other_sites_are_left_alone(warehouse):
    load_web_days(warehouse, DemoSource(site_id="shop"), FIRST, LAST)
    load_web_days(warehouse, DemoSource(site_id="blog"), FIRST, LAST)
    load_web_days(warehouse, DemoSource(site_id="blog"), FIRST, LAST)

    assert count(warehouse, "SELECT count(*) FROM raw.ga4_daily WHERE site_id = ?", "shop") == 14


def test_every_load_is_logged_in_meta_runs(warehouse):
    summary = load_web_days(warehouse, DemoSource(site_id="demo"), FIRST, LAST, run_id="run-1")

    rows = warehouse.execute(
        "SELECT load_id, run_id, site_id, source, asset, date_from, date_to, rows_loaded, requests "
        "FROM meta.runs ORDER BY asset"
    ).fetchall()
    assert {r[0] for r in rows} == set(summary.load_ids)
    assert [r[1:] for r in rows] == [
        ("run-1", "demo", "demo", "raw.ga4_by_dimension", FIRST, LAST, summary.ga4_by_dimension_rows, 0),
        ("run-1", "demo", "demo", "raw.ga4_daily", FIRST, LAST, 14, 0),
    ]


def test_weekly_users_replace_only_the_weeks_given(warehouse):
    source = DemoSource(site_id="demo")
    weeks = [FIRST, FIRST + timedelta(days=7), FIRST + timedelta(days=14)]
    assert load_web_weekly_users(warehouse, source, weeks) == 3
    warehouse.execute("UPDATE raw.ga4_weekly_users SET total_users = -1")

    assert load_web_weekly_users(warehouse, source, weeks[1:2]) == 1

    totals = warehouse.execute("SELECT week_start, total_users FROM raw.ga4_weekly_users ORDER BY 1").fetchall()
    assert [t for _, t in totals][::2] == [-1, -1] and totals[1][1] > 0


def test_crm_days_are_replaced_and_logged(warehouse):
    frame = DemoSource(site_id="demo").crm_days(FIRST, LAST)

    assert load_crm_days(warehouse, frame, "demo", FIRST, LAST, source="crm_csv") == 14
    assert load_crm_days(warehouse, frame, "demo", FIRST, LAST, source="crm_csv") == 14
    assert count(warehouse, "SELECT count(*) FROM raw.crm_daily") == 14
    assert count(warehouse, "SELECT count(*) FROM meta.runs WHERE source = 'crm_csv'") == 2


def test_a_day_is_provisional_until_it_is_older_than_the_look_back_window():
    today = date(2026, 11, 25)

    assert reload_from(date(2026, 11, 16), 3) == date(2026, 11, 13)
    assert provisional_since(today, 3) == date(2026, 11, 22)
    assert is_provisional(date(2026, 11, 22), today, 3)
    assert not is_provisional(date(2026, 11, 21), today, 3)


def test_the_loader_takes_any_source_with_the_contract_columns(warehouse):
    class WrongColumns(BrokenPagesSource):
        def load_days(self, date_from, date_to):
            load = self.inner.load_days(date_from, date_to)
            return DailyLoad(load.ga4_daily.drop(columns=["returning_users"]), load.ga4_by_dimension, LoadInfo("x"))

    with pytest.raises(ValueError, match="missing \\['returning_users'\\]"):
        load_web_days(warehouse, WrongColumns(DemoSource(site_id="demo")), FIRST, LAST)
