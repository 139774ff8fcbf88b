"""Data-quality rules on a real DuckDB warehouse: each one catches what it is for, with words.

Two demo weeks (2026-W45, 2026-W46) are loaded and built; each test breaks one thing the way a
bad load or a bad model would, and reads the violations a check would report.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from helpers.demo_warehouse import build_demo_file, demo_weeks, open_copy

from kpi_pipeline.checks import RULES, CheckRule, Window
from kpi_pipeline.checks import rules as r
from kpi_pipeline.checks.report import describe, rows_markdown

W45, W46 = date(2026, 11, 2), date(2026, 11, 9)
SUNDAY = date(2026, 11, 15)
WINDOW = Window(sites=("demo",), date_from=W45, date_to=SUNDAY, today=date(2026, 11, 16))


@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two demo weeks, built once for the module."""
    return build_demo_file(tmp_path_factory.mktemp("demo") / "warehouse.duckdb", W45, W46)


@pytest.fixture
def demo(two_weeks: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A private copy of the two weeks: each test breaks it its own way."""
    con = open_copy(two_weeks, tmp_path)
    yield con
    con.close()


def _rule(asset: str, name: str) -> CheckRule:
    return next(x for x in RULES if x.asset.to_user_string() == asset and x.name == name)


def test_clean_demo_weeks_pass_every_check(demo: duckdb.DuckDBPyConnection) -> None:
    for rule in RULES:
        assert rule.find(demo, WINDOW) == [], f"{rule.asset.to_user_string()} {rule.name}"


def test_a_day_missing_from_raw_is_reported_with_its_date_and_week(demo) -> None:
    demo.execute("DELETE FROM raw.ga4_daily WHERE date = DATE '2026-11-11'")
    demo.execute("DELETE FROM mart.metrics_daily WHERE date = DATE '2026-11-11'")
    [missing] = r.missing_raw_days(demo, WINDOW)
    assert (missing.iso_week, missing.item) == ("2026-W46", "2026-11-11")
    assert "raw.ga4_daily" in missing.problem
    assert r.unbuilt_days(demo, WINDOW) == []  # nothing was loaded that the mart left out
    rule = _rule("mart/metrics_daily", "every_day_loaded")
    assert rule.warn_only and not rule.blocking  # the report says "only 6 days"; other sites go on


def test_a_day_loaded_but_not_built_into_the_mart_is_reported(demo) -> None:
    demo.execute("DELETE FROM mart.metrics_daily WHERE date = DATE '2026-11-03'")
    [missing] = r.unbuilt_days(demo, WINDOW)
    assert (missing.iso_week, missing.item) == ("2026-W45", "2026-11-03")
    assert "mart.metrics_daily" in missing.problem
    assert r.missing_raw_days(demo, WINDOW) == []
    assert _rule("mart/metrics_daily", "every_loaded_day_built").blocking


def test_days_from_today_on_are_not_expected_yet(demo) -> None:
    demo.execute("DELETE FROM raw.ga4_daily WHERE date >= DATE '2026-11-12'")
    demo.execute("DELETE FROM mart.metrics_daily WHERE date >= DATE '2026-11-12'")
    this_week = Window("demo", W46, SUNDAY, today=date(2026, 11, 12))
    assert r.missing_raw_days(demo, this_week) == []
    a_day_later = Window("demo", W46, SUNDAY, today=date(2026, 11, 13))
    assert [v.item for v in r.missing_raw_days(demo, a_day_later)] == ["2026-11-12"]


def test_more_engaged_sessions_than_sessions_fails_with_both_numbers(demo) -> None:
    demo.execute("UPDATE raw.ga4_daily SET sessions = 100, engaged_sessions = 120 "
                 "WHERE date = DATE '2026-11-04'")
    [bad] = r.session_counts(demo, WINDOW)
    assert (bad.iso_week, bad.item) == ("2026-W45", "2026-11-04")
    assert bad.problem == "engaged_sessions 120 > sessions 100"
    assert bad.values == {"sessions": 100, "engaged_sessions": 120}


def test_negative_engaged_sessions_fail(demo) -> None:
    demo.execute("UPDATE raw.ga4_daily SET engaged_sessions = -1 WHERE date = DATE '2026-11-14'")
    [bad] = r.session_counts(demo, WINDOW)
    assert bad.item == "2026-11-14"
    assert "negative" in bad.problem


def test_a_daily_rate_above_one_names_the_metric_day_and_value(demo) -> None:
    demo.execute("UPDATE mart.metrics_daily SET value = 1.25 "
                 "WHERE metric_id = 'bounce_rate' AND date = DATE '2026-11-10'")
    [bad] = r.daily_rates_out_of_range(demo, WINDOW)
    assert (bad.iso_week, bad.item) == ("2026-W46", "bounce_rate on 2026-11-10")
    assert "1.25" in bad.problem and "[0, 1]" in bad.problem


def test_a_negative_weekly_rate_fails(demo) -> None:
    demo.execute("UPDATE mart.metrics_weekly SET value = -0.1 "
                 "WHERE metric_id = 'cvr' AND week_start = ?", [W45])
    [bad] = r.weekly_rates_out_of_range(demo, WINDOW)
    assert (bad.iso_week, bad.item, bad.values["value"]) == ("2026-W45", "cvr", -0.1)


def test_rates_only_apply_to_rate_metrics(demo) -> None:
    # pages per session is a ratio but not a rate: 2.4 pages is fine
    demo.execute("UPDATE mart.metrics_weekly SET value = 2.4 WHERE metric_id = 'pages_per_session'")
    assert r.weekly_rates_out_of_range(demo, WINDOW) == []


def test_a_weekly_sum_that_is_not_the_sum_of_its_days_fails(demo) -> None:
    expected = demo.execute(
        "SELECT sum(value) FROM mart.metrics_daily WHERE metric_id = 'sessions' "
        "AND date BETWEEN ? AND ?", [W46, SUNDAY]).fetchone()[0]
    demo.execute("UPDATE mart.metrics_weekly SET value = value + 7 "
                 "WHERE metric_id = 'sessions' AND week_start = ?", [W46])
    [bad] = r.weekly_sums_differ(demo, WINDOW)
    assert (bad.iso_week, bad.item) == ("2026-W46", "sessions")
    assert bad.values["daily_sum"] == expected
    assert bad.values["weekly_total"] == expected + 7
    assert "weekly value" in bad.problem


def test_a_ratio_whose_denominator_is_not_the_sum_of_its_days_fails(demo) -> None:
    demo.execute("UPDATE mart.metrics_weekly SET denominator = denominator * 2 "
                 "WHERE metric_id = 'bounce_rate' AND week_start = ?", [W45])
    [bad] = r.weekly_sums_differ(demo, WINDOW)
    assert (bad.iso_week, bad.item) == ("2026-W45", "bounce_rate")
    assert "denominator" in bad.problem


def test_a_weekly_row_missing_for_a_metric_with_daily_rows_fails(demo) -> None:
    demo.execute("DELETE FROM mart.metrics_weekly WHERE metric_id = 'leads' AND week_start = ?",
                 [W46])
    [bad] = r.weekly_sums_differ(demo, WINDOW)
    assert (bad.iso_week, bad.item, bad.problem) == (
        "2026-W46", "leads", "no weekly row although daily rows exist")


def _drop_primary_key(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """A table as an older schema (or a hand-made copy) left it: same columns, no key."""
    schema, name = table.split(".")
    con.execute(f"CREATE TABLE {schema}.{name}_copy AS SELECT * FROM {table}")
    con.execute(f"DROP TABLE {table}")
    con.execute(f"ALTER TABLE {schema}.{name}_copy RENAME TO {name}")


def test_duplicate_raw_and_mart_keys_are_found_with_the_key_and_copies(demo) -> None:
    _drop_primary_key(demo, "raw.ga4_daily")
    _drop_primary_key(demo, "mart.metrics_weekly")
    demo.execute("INSERT INTO raw.ga4_daily SELECT * FROM raw.ga4_daily WHERE date = ?",
                 [date(2026, 11, 5)])
    demo.execute("INSERT INTO mart.metrics_weekly SELECT * FROM mart.metrics_weekly "
                 "WHERE week_start = ? AND metric_id = 'cvr'", [W46])
    [raw_dup] = _rule("mart/metrics_daily", "unique_keys").find(demo, WINDOW)
    assert (raw_dup.iso_week, raw_dup.item) == ("2026-W45", "raw.ga4_daily (demo, 2026-11-05)")
    assert raw_dup.problem == "2 rows share this key"
    [mart_dup] = _rule("mart/metrics_weekly", "unique_keys").find(demo, WINDOW)
    assert mart_dup.item == "mart.metrics_weekly (demo, 2026-11-09, cvr)"
    assert mart_dup.values == {"copies": 2}


def test_a_funnel_that_widens_is_a_non_blocking_warning_naming_the_stages(demo) -> None:
    demo.execute("UPDATE mart.metrics_weekly SET value = 999 "
                 "WHERE metric_id = 'orders' AND week_start = ?", [W46])
    [bad] = r.funnel_widens(demo, WINDOW)
    deals = bad.values["deals"]
    assert bad.iso_week == "2026-W46"
    assert bad.problem == f"orders 999 > deals {deals}"
    rule = _rule("mart/metrics_weekly", "funnel_narrows_downwards")
    assert rule.warn_only and not rule.blocking


def test_stale_raw_data_warns_how_many_days_behind_yesterday_in_the_week_checked(demo) -> None:
    # the run of W46 (ends Sunday 11-15) checked late, on Tuesday 11-17 of W47
    late = Window("demo", W46, date(2026, 11, 22), today=date(2026, 11, 17))
    stale = {v.item: v for v in r.stale_raw_tables(demo, late)}
    assert set(stale) == {"raw.ga4_daily", "raw.crm_daily"}
    assert stale["raw.ga4_daily"].problem == (
        "latest day 2026-11-15 is 1 day(s) before yesterday (2026-11-16)")
    assert {v.iso_week for v in stale.values()} == {"2026-W47"}
    assert "2026-W47" in late.weeks
    rule = _rule("mart/metrics_daily", "raw_data_fresh")
    assert rule.warn_only and not rule.blocking


def test_the_regular_monday_run_labels_staleness_with_last_week(demo) -> None:
    demo.execute("DELETE FROM raw.ga4_daily WHERE date >= DATE '2026-11-14'")
    monday_run = Window("demo", W46, SUNDAY, today=date(2026, 11, 16))
    [stale] = r.stale_raw_tables(demo, monday_run)
    assert (stale.iso_week, stale.item) == ("2026-W46", "raw.ga4_daily")
    assert stale.problem == "latest day 2026-11-13 is 2 day(s) before yesterday (2026-11-15)"


def test_freshness_is_not_checked_for_weeks_before_yesterday(demo) -> None:
    backfill = Window("demo", W45, SUNDAY, today=date(2026, 11, 20))  # yesterday is in W47
    assert not backfill.contains_yesterday
    assert r.stale_raw_tables(demo, backfill) == []
    demo.execute("DELETE FROM raw.ga4_daily")
    assert r.stale_raw_tables(demo, backfill) == []
    # the SQL file alone (as an analyst runs it) agrees
    r._set_variables(demo, backfill)
    assert demo.execute(r.check_sql("freshness")).fetchall() == []


def test_a_site_without_crm_rows_is_not_stale_but_one_without_web_rows_is(demo) -> None:
    demo.execute("DELETE FROM raw.crm_daily")
    assert r.stale_raw_tables(demo, WINDOW) == []
    demo.execute("DELETE FROM raw.ga4_daily")
    [stale] = r.stale_raw_tables(demo, WINDOW)
    assert (stale.item, stale.problem) == ("raw.ga4_daily", "no rows loaded yet")


def test_integrity_checks_block_and_availability_checks_warn() -> None:
    blocking = {(x.asset.to_user_string(), x.name) for x in RULES if x.blocking}
    assert blocking == {
        ("mart/metrics_daily", "every_loaded_day_built"),
        ("mart/metrics_daily", "sessions_at_least_engaged_sessions"),
        ("mart/metrics_daily", "rates_between_0_and_1"),
        ("mart/metrics_daily", "unique_keys"),
        ("mart/metrics_weekly", "weekly_sums_match_daily"),
        ("mart/metrics_weekly", "rates_between_0_and_1"),
        ("mart/metrics_weekly", "unique_keys"),
        ("mart/aarrr_weekly", "unique_keys"),
    }


def test_a_failure_message_names_the_check_weeks_and_at_most_ten_rows(demo) -> None:
    demo.execute("DELETE FROM raw.ga4_daily")
    violations = r.missing_raw_days(demo, WINDOW)
    assert len(violations) == 14
    text = describe("mart/metrics_daily every_day_loaded", WINDOW, violations)
    lines = text.splitlines()
    assert lines[0] == ("mart/metrics_daily every_day_loaded: 14 problem(s) for demo in "
                        "2026-W45, 2026-W46:")
    assert lines[1] == "- 2026-W45 2026-11-02: no row in raw.ga4_daily (run daily_ingest for this day)"
    assert len(lines) == 1 + 10 + 1 and lines[-1] == "- … and 4 more"
    table = rows_markdown(violations)
    assert table.count("\n") == 1 + 10  # header rule + ten rows
    assert "| demo | 2026-W45 | 2026-11-02 |" in table


def test_with_several_sites_each_violation_names_its_site(demo) -> None:
    demo_weeks(demo, W46, W46, site_id="shop")
    demo.execute("DELETE FROM raw.ga4_daily WHERE site_id = 'shop' AND date = DATE '2026-11-13'")
    both = Window(("demo", "shop"), W45, SUNDAY, today=date(2026, 11, 16))
    violations = r.missing_raw_days(demo, both)
    # shop has no W45 at all; demo is complete
    assert {v.site_id for v in violations} == {"shop"}
    assert [v.item for v in violations if v.iso_week == "2026-W46"] == ["2026-11-13"]
    text = describe("mart/metrics_daily every_day_loaded", both, violations)
    assert text.splitlines()[0].startswith("mart/metrics_daily every_day_loaded: 8 problem(s) for shop")
    assert "- shop 2026-W46 2026-11-13: no row in raw.ga4_daily" in text


def _goal(con: duckdb.DuckDBPyConnection, item_id: str, metric_id: str, start: date, *,
          retired: bool = False, deadline: date = date(2027, 3, 31)) -> None:
    """A goal's W46 row in mart.kpi_progress (what the goal_days_loaded check reads)."""
    con.execute(
        "INSERT INTO mart.kpi_progress (site_id, week_start, iso_week, kind, item_id, name, metric_id, "
        "phase, direction, pacing, cumulative, start_date, deadline, elapsed_share, status, retired) "
        "VALUES ('demo', ?, '2026-W46', 'kpi', ?, ?, ?, 'revenue', 'higher', 'linear', TRUE, ?, ?, 0.1, "
        "'on_track', ?)", [W46, item_id, f"goal {item_id}", metric_id, start, deadline, retired])


def test_days_missing_inside_a_goals_period_name_the_goal_and_its_raw_table(demo) -> None:
    demo.execute("DELETE FROM raw.crm_daily WHERE date IN (DATE '2026-11-03', DATE '2026-11-10')")
    demo.execute("DELETE FROM raw.ga4_daily WHERE date = DATE '2026-11-11'")
    _goal(demo, "orders", "orders", W45)
    _goal(demo, "close", "close_rate", W46)  # orders / deals: CRM days, from its own start only
    _goal(demo, "sessions", "sessions", W45)
    _goal(demo, "old", "orders", W45, retired=True)  # retired goals are not checked
    _goal(demo, "ended", "orders", W45, deadline=date(2026, 11, 5))  # only days up to its deadline

    found = {v.values["item_id"]: v for v in r.goal_missing_days(demo, WINDOW)}

    assert set(found) == {"orders", "close", "sessions", "ended"}
    assert found["orders"].values["missing_dates"] == [date(2026, 11, 3), date(2026, 11, 10)]
    assert found["orders"].item == "orders (goal orders)"
    assert found["orders"].problem == ("2 day(s) of the goal's period missing from raw.crm_daily: "
                                       "2026-11-03..2026-11-10")
    assert found["close"].values["missing_dates"] == [date(2026, 11, 10)]
    assert found["sessions"].values["source_table"] == "raw.ga4_daily"
    assert found["ended"].values["missing_dates"] == [date(2026, 11, 3)]
    rule = _rule("mart/kpi_progress", "goal_days_loaded")
    assert rule.warn_only and not rule.blocking


def test_a_custom_metric_is_checked_in_its_own_rows(demo) -> None:
    demo.execute("INSERT INTO mart.metric_catalog (metric_id, name_ja, name_en, unit, phase, phase_order, "
                 "direction, aggregation, source, definition, site_id) VALUES ('followers', 'フォロワー', "
                 "'Followers', 'count', 'referral', 4, 'higher', 'last', 'csv', 'csv', 'demo')")
    demo.execute("INSERT INTO raw.custom_daily SELECT 'demo', 'followers', d::DATE, 1, 'f.csv', now() "
                 "FROM generate_series(DATE '2026-11-09', DATE '2026-11-15', INTERVAL 1 DAY) t(d) "
                 "WHERE d <> DATE '2026-11-12'")
    _goal(demo, "followers", "followers", W46)
    [gap] = r.goal_missing_days(demo, WINDOW)
    assert gap.values["missing_dates"] == [date(2026, 11, 12)]
    assert gap.values["custom_metrics"] == "followers"
