"""KPI progress for a week: windows over the marts, pace, status, forecast – rows of mart.kpi_progress."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kpi_pipeline.catalog import METRICS_BY_ID, Aggregation
from kpi_pipeline.config.settings import EXAMPLE_TARGETS
from kpi_pipeline.kpi.anomalies import ANOMALY_COLUMNS
from kpi_pipeline.kpi.funnel.plan import FUNNEL_COLUMNS, funnel_progress
from kpi_pipeline.kpi.judgement.progress import PROGRESS_COLUMNS, compute_progress, final_week
from kpi_pipeline.kpi.metric_history import MetricHistory
from kpi_pipeline.targets import load_targets
from kpi_pipeline.warehouse import ensure_schema, replace_rows

DAILY_COLUMNS = ["site_id", "date", "metric_id", "value", "numerator", "denominator", "is_provisional"]
Day = Callable[[date], float | tuple[float, float]]


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def marts(series: dict[str, Day], start: date, end: date, provisional_from: date | None = None,
          site_id: str = "demo") -> tuple[pd.DataFrame, pd.DataFrame]:
    """metrics_daily and metrics_weekly frames for additive and ratio metrics, as the marts build them."""
    rows = []
    for day in days(start, end):
        for metric_id, value_of in series.items():
            value = value_of(day)
            provisional = provisional_from is not None and day >= provisional_from
            if isinstance(value, tuple):
                rows.append((site_id, day, metric_id, value[0] / value[1], value[0], value[1], provisional))
            else:
                rows.append((site_id, day, metric_id, value, value, None, provisional))
    daily = pd.DataFrame(rows, columns=DAILY_COLUMNS)
    return daily, weekly_of(daily)


def weekly_of(daily: pd.DataFrame) -> pd.DataFrame:
    """metrics_weekly from daily rows: sums, recomputed ratios, days_present = days that have a row."""
    weeks = daily.assign(week_start=[d - timedelta(days=d.weekday()) for d in daily["date"]])
    weekly = weeks.groupby(["site_id", "week_start", "metric_id"], as_index=False).agg(
        numerator=("numerator", "sum"), denominator=("denominator", "sum"),
        days_present=("date", "count"), provisional_days=("is_provisional", "sum"))
    is_ratio = weekly["metric_id"].map(lambda m: METRICS_BY_ID[m].aggregation is Aggregation.RATIO)
    weekly["value"] = [n / d if r else n for n, d, r in zip(weekly["numerator"], weekly["denominator"], is_ratio, strict=True)]
    weekly["denominator"] = weekly["denominator"].where(is_ratio)
    weekly["iso_week"] = [f"{w.isocalendar()[0]}-W{w.isocalendar()[1]:02d}" for w in weekly["week_start"]]
    return weekly


# --- windows -------------------------------------------------------------------------------

def test_a_ratio_over_a_window_is_recomputed_from_sums_not_averaged() -> None:
    daily, weekly = marts({"cvr": lambda d: (1, 10) if d.day == 1 else (50, 100)}, date(2026, 6, 1), date(2026, 6, 2))
    # the average of 10 % and 50 % would be 30 %; 51 conversions in 110 sessions is 46.4 %
    assert MetricHistory(daily, weekly, "demo").window_value("cvr", date(2026, 6, 1), date(2026, 6, 2)) == pytest.approx(51 / 110)


def test_an_additive_baseline_is_the_weekly_average_of_the_days_with_data() -> None:
    daily, weekly = marts({"sessions": lambda d: 100.0}, date(2026, 6, 1), date(2026, 6, 14))
    daily = daily[daily["date"] != date(2026, 6, 5)]  # one day missing must not lower the average
    history = MetricHistory(daily, weekly, "demo")
    assert history.weekly_average("sessions", date(2026, 6, 1), date(2026, 6, 14)) == pytest.approx(700)
    assert history.window_value("sessions", date(2026, 6, 1), date(2026, 6, 14)) == 1300


def test_users_over_a_window_average_the_iso_weeks_inside_it_instead_of_summing_days() -> None:
    daily, _ = marts({"total_users": lambda d: 400.0}, date(2026, 6, 1), date(2026, 6, 21))
    weekly = pd.DataFrame({
        "site_id": "demo", "week_start": [date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 15)],
        "metric_id": "total_users", "value": [700.0, 900.0, 5000.0], "days_present": 7, "provisional_days": 0,
    })
    history = MetricHistory(daily, weekly, "demo")
    # 2026-05-30..2026-06-16 fully contains the weeks of 06-01 and 06-08 only
    assert history.window_value("total_users", date(2026, 5, 30), date(2026, 6, 16)) == 800


def users_weeks(rows: list[tuple[date, float, float]], with_ratio_columns: bool = True) -> pd.DataFrame:
    """metrics_weekly rows for users, as the mart writes them: (week, returning users, total users)."""
    out = []
    for week_start, returning, total in rows:
        out += [
            ("demo", week_start, "total_users", total, total, None),
            ("demo", week_start, "returning_users", returning, returning, None),
            ("demo", week_start, "repeat_rate", returning / total, returning, total),
        ]
    frame = pd.DataFrame(out, columns=["site_id", "week_start", "metric_id", "value", "numerator", "denominator"])
    frame = frame.assign(days_present=7, provisional_days=0)
    return frame if with_ratio_columns else frame.drop(columns=["numerator", "denominator"])


@pytest.mark.parametrize("with_ratio_columns", [True, False])
def test_repeat_rate_over_a_window_is_returning_over_total_users_of_its_weeks_not_a_mean_of_rates(
    with_ratio_columns: bool,
) -> None:
    weekly = users_weeks([(date(2026, 6, 1), 30.0, 100.0), (date(2026, 6, 8), 10.0, 400.0)], with_ratio_columns)
    history = MetricHistory(pd.DataFrame(columns=DAILY_COLUMNS), weekly, "demo")
    # the mean of 30 % and 2.5 % would be 16.25 %; 40 returning of 500 users is 8 %
    assert history.window_value("repeat_rate", date(2026, 6, 1), date(2026, 6, 14)) == pytest.approx(40 / 500)
    assert history.weekly_average("repeat_rate", date(2026, 6, 1), date(2026, 6, 14)) == pytest.approx(0.08)
    # user counts stay the mean of the weekly counts: a typical week's users
    assert history.window_value("total_users", date(2026, 6, 1), date(2026, 6, 14)) == 250
    assert history.window_value("returning_users", date(2026, 6, 1), date(2026, 6, 14)) == 20


def test_a_week_missing_from_the_weekly_mart_is_recomputed_from_the_days() -> None:
    daily, _ = marts({"bounce_rate": lambda d: (1, 2) if d.weekday() < 5 else (3, 4)}, date(2026, 6, 1), date(2026, 6, 7))
    week = MetricHistory(daily, None, "demo").week("bounce_rate", date(2026, 6, 1))
    assert week is not None and week.value == pytest.approx(11 / 18)  # (5×1 + 2×3) / (5×2 + 2×4) and week.days_present == 7


# --- progress ------------------------------------------------------------------------------

TARGETS = """\
timezone: Asia/Tokyo
kgis:
  - id: orders_fy
    name: 1年で受注100件
    metric: orders
    period: {start: 2026-04-01, end: 2027-03-31}
    target: {value: 100}
kpis:
  - id: sessions_x120
    name: 8週間でセッション数を1.2倍に
    kgi: orders_fy
    metric: sessions
    start: 2026-10-05
    deadline: 2026-11-29
    baseline: {from: 2026-09-01, to: 2026-09-30}
    target: {multiplier: 1.2}
  - id: bounce_45
    name: 直帰率を45%以下に
    kgi: orders_fy
    metric: bounce_rate
    start: 2026-10-05
    deadline: 2026-11-29
    baseline: {value: 0.55}
    target: {value: 45%}
  - id: summer
    name: 夏にセッション数を1.1倍に
    kgi: orders_fy
    metric: sessions
    start: 2026-07-06
    deadline: 2026-08-30
    baseline: {value: 6000}
    target: {multiplier: 1.1}
  - id: next_year
    name: 来年のセッション
    kgi: orders_fy
    metric: sessions
    start: 2027-01-04
    deadline: 2027-03-28
    baseline: {value: 7000}
    target: {multiplier: 1.3}
  - id: seasonal
    name: 季節ペースのセッション
    kgi: orders_fy
    metric: sessions
    start: 2026-10-05
    deadline: 2026-11-29
    baseline: {value: 7000}
    target: {multiplier: 1.2}
    pacing: seasonal
"""

WEEK = date(2026, 11, 2)  # W45, ends 2026-11-08: 35 of the 56 days of the autumn KPIs


def sessions(day: date) -> float:
    return 1000.0 if day < date(2026, 10, 1) else 1150.0


def bounce(day: date) -> tuple[float, float]:
    return (55.0, 100.0) if day < date(2026, 10, 5) else (48.0, 100.0)


@pytest.fixture(scope="module")
def progress_rows(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("targets") / "kpi_targets.yaml"
    path.write_text(TARGETS, encoding="utf-8")
    daily, weekly = marts({"sessions": sessions, "bounce_rate": bounce, "orders": lambda d: 0.25},
                          date(2026, 1, 5), date(2026, 11, 24), provisional_from=date(2026, 11, 22))
    frame = compute_progress(load_targets(path), "demo", WEEK, daily, weekly, today=date(2026, 11, 25))
    return frame.set_index("item_id", drop=False)


def test_rows_have_exactly_the_columns_of_the_mart_and_insert_into_it(progress_rows: pd.DataFrame) -> None:
    assert tuple(progress_rows.columns) == PROGRESS_COLUMNS
    con = duckdb.connect()
    ensure_schema(con)
    described = [r[0] for r in con.execute("DESCRIBE mart.kpi_progress").fetchall()]
    assert tuple(described) == PROGRESS_COLUMNS
    written = replace_rows(con, "mart.kpi_progress", progress_rows.reset_index(drop=True), "week_start = ?", [WEEK])
    assert written == 6
    assert con.execute("SELECT count(*) FROM mart.kpi_progress WHERE kind = 'kgi'").fetchone() == (1,)


def test_other_marts_written_here_match_their_tables() -> None:
    con = duckdb.connect()
    ensure_schema(con)
    for table, columns in (("funnel_plan", FUNNEL_COLUMNS), ("metric_anomalies", ANOMALY_COLUMNS)):
        described = tuple(r[0] for r in con.execute(f"DESCRIBE mart.{table}").fetchall())
        assert described == columns, table


def test_a_weekly_multiplier_kpi_is_paced_from_the_baseline_weekly_average(progress_rows: pd.DataFrame) -> None:
    row = progress_rows.loc["sessions_x120"]
    assert row["baseline"] == pytest.approx(7000)  # 1,000 a day in September
    assert row["target"] == pytest.approx(8400)
    assert row["elapsed_share"] == pytest.approx(35 / 56)
    assert row["expected"] == pytest.approx(7000 + 1400 * 35 / 56)  # 7,875
    assert row["actual"] == pytest.approx(8050)  # the week's value, not a running total
    assert row["pace_ratio"] == pytest.approx(8050 / 7875)
    assert row["progress"] == pytest.approx(0.75)
    assert bool(row["cumulative"]) is False
    # ahead of the pace this week, but sessions have stood at 8,050 since the step of October:
    # the window the deadline judges (the last 4 weeks) must average 8,400, which a level that
    # does not move never gives. The status says the chance, the reason says the week.
    assert (row["status"], row["judgement"]) == ("off_track", "on_pace")
    assert row["p_reach"] < 0.30  # what is left of it: a step as large as October's again


def test_a_lower_is_better_kpi_ahead_of_pace_but_flat_above_its_target_is_off_track(
    progress_rows: pd.DataFrame,
) -> None:
    row = progress_rows.loc["bounce_45"]
    expected = 0.55 - 0.10 * 35 / 56
    assert row["direction"] == "lower"
    assert row["expected"] == pytest.approx(expected)
    assert row["pace_ratio"] == pytest.approx(expected / 0.48)
    # 48 % every week since 10-05 against a 45 % target: ahead of the pace line, never at 45 %
    assert (row["status"], row["judgement"]) == ("off_track", "on_pace")
    assert row["forecast_low"] > 0.45  # the whole band is on the wrong side of the target


def test_a_cumulative_kgi_compares_the_running_total_with_its_share_of_the_target(progress_rows: pd.DataFrame) -> None:
    row = progress_rows.loc["orders_fy"]
    elapsed = (date(2026, 11, 8) - date(2026, 4, 1)).days + 1  # 222 days
    assert bool(row["cumulative"]) and row["baseline"] == 0
    assert row["actual"] == pytest.approx(0.25 * elapsed)
    assert row["expected"] == pytest.approx(100 * elapsed / 365)
    # 55.5 of 100 done where the pace expects 60.8: 5.3 points of the way behind, inside the
    # default on-track tolerance of 10 points (the old level ratio 0.91 called it at risk)
    assert row["progress"] == pytest.approx(0.25 * elapsed / 100)
    assert row["expected_progress"] == pytest.approx(elapsed / 365)
    # inside the pace's tolerance, but 0.25 a day ends the year at 91.25: the 143 days after the
    # week (11-09..03-31) need (100 − 55.5) / (143 / 7) = 2.18 a week against 1.75 a week
    assert (row["judgement"], row["goal_kind"]) == ("on_pace", "reach")
    assert row["needed_per_week"] == pytest.approx((100 - 0.25 * elapsed) / (143 / 7))
    assert row["recent_per_week"] == pytest.approx(1.75)
    assert row["status"] == "off_track" and row["p_reach"] < 0.30


def test_a_kgi_carries_a_summary_of_its_kpis(progress_rows: pd.DataFrame) -> None:
    # the summer KPI ended in August, more than 4 weeks ago: retired, so no longer counted
    assert progress_rows.loc["orders_fy", "note"].startswith("kpi_summary(off_track=3, not_started=1)")
    assert bool(progress_rows.loc["summer", "retired"]) and not bool(progress_rows.loc["seasonal", "retired"])
    assert progress_rows.loc["orders_fy", "kgi_id"] is None
    assert progress_rows.loc["bounce_45", "kgi_id"] == "orders_fy"


def test_an_expired_kpi_is_judged_on_its_last_week_and_has_no_forecast(progress_rows: pd.DataFrame) -> None:
    row = progress_rows.loc["summer"]
    assert row["status"] == "achieved"
    assert row["actual"] == pytest.approx(7000)  # the week 2026-08-24..30, not this week
    assert row["elapsed_share"] == 1
    assert pd.isna(row["forecast"]) and row["verdict"] is None


def test_a_kpi_not_yet_started_has_no_expectation(progress_rows: pd.DataFrame) -> None:
    row = progress_rows.loc["next_year"]
    assert row["status"] == "not_started"
    assert pd.isna(row["expected"]) and row["elapsed_share"] == 0


def test_seasonal_pacing_without_last_years_weeks_says_it_fell_back(progress_rows: pd.DataFrame) -> None:
    row = progress_rows.loc["seasonal"]
    assert row["expected"] == pytest.approx(progress_rows.loc["sessions_x120", "expected"])
    assert row["note"] == "seasonal_fallback"


def test_running_goals_get_a_forecast_band_and_verdict(progress_rows: pd.DataFrame) -> None:
    row = progress_rows.loc["sessions_x120"]
    assert row["forecast_low"] <= row["forecast"] <= row["forecast_high"]
    assert row["verdict"] in ("will_reach", "may_reach", "will_miss")
    fy = progress_rows.loc["orders_fy"]  # a steady 0.25 a day ends the year at 91.25 of 100
    assert fy["forecast"] == pytest.approx(0.25 * 365, abs=1)
    # a count: Poisson noise on the 36.5 orders still to come (σ ≈ 6) puts 100 in the band's tail
    assert fy["forecast_low"] < fy["forecast"] < fy["forecast_high"] < 100 + 5
    assert fy["verdict"] in ("will_miss", "may_reach") and fy["p_reach"] < 0.15


def test_a_steady_growth_is_projected_to_the_deadline_window(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TARGETS, encoding="utf-8")
    def growing(day: date) -> float:  # +1 % a week, compounded: a steady trend in the ratio sense
        return 1000.0 * 1.01 ** ((day - date(2026, 8, 1)).days / 7)
    daily, weekly = marts({"sessions": growing, "orders": lambda d: 0.25}, date(2026, 1, 5), date(2026, 11, 24))
    row = compute_progress(load_targets(path), "demo", WEEK, daily, weekly, date(2026, 11, 25)).set_index("item_id").loc["sessions_x120"]
    # the deadline judges the mean of the last 4 weeks (11-02..11-29); the 8-week level lags a
    # trend, but every past forecast at this horizon lagged it by the same ratio, and the error
    # model learned that from the history: the forecast lands on the window's mean
    window = [sum(growing(date(2026, 11, 2) + timedelta(days=7 * w + i)) for i in range(7)) for w in range(4)]
    assert row["forecast"] == pytest.approx(sum(window) / 4, rel=0.005)
    assert row["forecast_low"] < row["forecast"] < row["forecast_high"]
    # +1 % a week gives ~8,150 there, short of 1.2 × September's ~7,430 = ~8,920: the target
    # is above the whole band, and the verdict and the chance say so
    assert row["target"] > row["forecast_high"]
    assert row["verdict"] == "will_miss" and row["p_reach"] <= 0.05


def test_seasonal_pacing_with_last_years_weeks_follows_them(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TARGETS, encoding="utf-8")
    # last year, the week of 2025-11-03 (same ISO week 45) had twice the usual sessions
    def with_peak(day: date) -> float:
        return 2000.0 if date(2025, 11, 3) <= day <= date(2025, 11, 9) else sessions(day)
    daily, weekly = marts({"sessions": with_peak, "bounce_rate": bounce, "orders": lambda d: 0.25},
                          date(2025, 9, 1), date(2026, 11, 24))
    row = compute_progress(load_targets(path), "demo", WEEK, daily, weekly, date(2026, 11, 25)).set_index("item_id").loc["seasonal"]
    # smoothed, last year's week 45 is (7,000 + 14,000 + 7,000) / 3 = 9,333 against its line of
    # 7,000: the bent line would expect 7,875 × 9,333 / 7,000 = 10,500, more than the 8,400
    # target, so the pace stops at the target
    assert row["expected"] == pytest.approx(8400)
    assert row["note"] is None


def test_the_current_unfinished_week_is_noted_and_provisional_days_counted(tmp_path: Path) -> None:
    targets = load_targets(EXAMPLE_TARGETS)
    daily, weekly = marts({"sessions": sessions, "orders": lambda d: 0.3}, date(2026, 6, 1), date(2026, 11, 24),
                          provisional_from=date(2026, 11, 22))
    frame = compute_progress(targets, "demo", date(2026, 11, 23), daily, weekly, date(2026, 11, 25))
    row = frame.set_index("item_id").loc["sessions_x125"]
    assert "week_not_over" in row["note"] and "missing_days_scaled(days=2)" in row["note"]
    assert row["actual"] == pytest.approx(2 * 1150 * 7 / 2)  # Mon and Tue, scaled to a week
    assert row["provisional_days"] == 2
    assert frame.set_index("item_id").loc["orders_fy2026", "provisional_days"] == 3


def test_week_start_must_be_a_monday() -> None:
    with pytest.raises(ValueError, match="not a Monday"):
        compute_progress(load_targets(EXAMPLE_TARGETS), "demo", date(2026, 11, 18), pd.DataFrame(columns=DAILY_COLUMNS),
                         pd.DataFrame(), date(2026, 11, 25))


def test_the_final_week_is_the_last_complete_week_by_the_deadline() -> None:
    targets = load_targets(EXAMPLE_TARGETS)
    sessions_kpi = next(k for k in targets.kpis if k.id == "sessions_x125")  # deadline Mon 2026-11-30
    assert final_week(sessions_kpi) == date(2026, 11, 23)


def test_funnel_progress_rows_insert_into_the_mart() -> None:
    daily, _ = marts({"orders": lambda d: 0.3, "deals": lambda d: 0.5, "appointments": lambda d: 1.05,
                      "leads": lambda d: 11.0}, date(2026, 4, 1), date(2026, 11, 24))
    frame = funnel_progress(load_targets(EXAMPLE_TARGETS), "demo", date(2026, 11, 16), daily)
    con = duckdb.connect()
    ensure_schema(con)
    assert replace_rows(con, "mart.funnel_plan", frame, "week_start = ?", [date(2026, 11, 16)]) == 4
    assert con.execute("SELECT stage FROM mart.funnel_plan WHERE is_bottleneck").fetchall() == [("deals",)]


# --- weeks with missing days -----------------------------------------------------------------

GAPS = """\
kgis:
  - id: orders_fy
    name: 1年で受注100件
    metric: orders
    period: {start: 2026-04-01, end: 2027-03-31}
    target: {value: 100}
kpis:
  - {id: sessions_x120, name: セッション, kgi: orders_fy, metric: sessions, start: 2026-10-05,
     deadline: 2026-11-29, baseline: {from: 2026-09-01, to: 2026-09-30}, target: {multiplier: 1.2}}
  - {id: bounce_45, name: 直帰率, kgi: orders_fy, metric: bounce_rate, start: 2026-10-05,
     deadline: 2026-11-29, baseline: {value: 0.55}, target: {value: 45%}}
  - {id: users_x120, name: ユーザー, kgi: orders_fy, metric: total_users, start: 2026-10-05,
     deadline: 2026-11-29, baseline: {value: 700}, target: {multiplier: 1.2}}
  - {id: orders_x2, name: 受注の累計, kgi: orders_fy, metric: orders, start: 2026-10-05,
     deadline: 2026-11-29, target: {value: 20}, measure: cumulative}
"""
OUTAGE = (date(2026, 11, 3), date(2026, 11, 4))  # Tuesday and Wednesday of WEEK missing


def rows_with_outage(
    tmp_path: Path, edit_weekly: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Progress for WEEK when the sources had no data on the OUTAGE days (5 of 7 days present)."""
    path = tmp_path / "kpi_targets.yaml"
    path.write_text(GAPS, encoding="utf-8")
    daily, _ = marts({"sessions": sessions, "bounce_rate": bounce, "orders": lambda d: 0.25},
                     date(2026, 6, 1), date(2026, 11, 24))
    daily = daily[~daily["date"].isin(OUTAGE)]
    users = pd.DataFrame({"site_id": "demo", "week_start": [WEEK], "metric_id": "total_users", "value": [800.0],
                          "numerator": [800.0], "denominator": [float("nan")], "days_present": [5],
                          "provisional_days": [0], "iso_week": "2026-W45"})
    weekly = pd.concat([weekly_of(daily), users], ignore_index=True)
    if edit_weekly is not None:
        weekly = edit_weekly(weekly)
    frame = compute_progress(load_targets(path), "demo", WEEK, daily, weekly, today=date(2026, 11, 25))
    return frame.set_index("item_id")


def test_a_weekly_count_with_missing_days_is_scaled_to_a_week_and_noted(tmp_path: Path) -> None:
    row = rows_with_outage(tmp_path).loc["sessions_x120"]
    # 5 days × 1,150 = 5,750 present; × 7/5 = 8,050, the full week's pace is 7,875
    assert row["actual"] == pytest.approx(8050)
    assert row["pace_ratio"] == pytest.approx(8050 / 7875)
    assert row["judgement"] == "on_pace"  # the partial 5,750 would have been behind (0.73 of pace)
    assert row["note"] == "missing_days_scaled(days=5)"  # a code: the report localizes it


def test_ratios_users_and_running_totals_are_not_scaled_for_missing_days(tmp_path: Path) -> None:
    rows = rows_with_outage(tmp_path)
    assert rows.loc["bounce_45", "actual"] == pytest.approx(0.48)
    assert rows.loc["bounce_45", "note"] == "partial_week(days=5)"
    assert rows.loc["users_x120", "actual"] == 800
    assert "missing_days_scaled" not in rows.loc["users_x120", "note"]
    # orders every day but the 2 outage days, 2026-10-05..2026-11-08: (35 − 2) × 0.25
    assert rows.loc["orders_x2", "actual"] == pytest.approx(33 * 0.25)
    assert "missing_days_scaled" not in (rows.loc["orders_x2", "note"] or "")


def test_a_weekly_count_with_no_day_present_is_no_data(tmp_path: Path) -> None:
    def empty_week(weekly: pd.DataFrame) -> pd.DataFrame:
        this = (weekly["metric_id"] == "sessions") & (pd.to_datetime(weekly["week_start"]) == pd.Timestamp(WEEK))
        weekly.loc[this, ["value", "numerator", "days_present"]] = [0.0, 0.0, 0]
        return weekly
    row = rows_with_outage(tmp_path, empty_week).loc["sessions_x120"]
    assert row["status"] == "no_data" and pd.isna(row["actual"])
