"""Drivers: each goal's change split into parts that add up exactly (DESIGN.md §10)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_pipeline.catalog import FACTOR_CHAINS, chain_steps
from kpi_pipeline.kpi.drivers import (
    DRIVER_COLUMNS,
    REST,
    additive_split,
    factor_split,
    goal_drivers,
)
from kpi_pipeline.kpi.metric_history import MetricHistory
from kpi_pipeline.targets import load_targets

WEEK = date(2026, 11, 16)


def test_orders_are_sessions_times_the_rates_of_the_sales_path() -> None:
    names = ["sessions", *(s.name_ja for s in chain_steps(FACTOR_CHAINS["orders"]))]
    assert names == ["sessions", "CV率", "見込み顧客/CV", "アポイント獲得率", "商談化率", "成約率"]
    assert "converted_sessions" not in FACTOR_CHAINS  # sessions × CVR: two factors say nothing new
    assert FACTOR_CHAINS["conversions"] == ("sessions", "converted_sessions", "conversions")


def test_only_the_factor_that_moved_gets_the_change() -> None:
    # 100 deals × 50 % meeting × 20 % close = 10 orders → close rate halves → 5 orders
    assert factor_split([100, 0.5, 0.2], [100, 0.5, 0.1]) == pytest.approx([0, 0, -5], abs=1e-12)


def test_two_factors_doubling_share_the_change_equally() -> None:
    # 10 × 2 = 20 → 20 × 4 = 80: each doubling is worth +30 (LMDI: L(80, 20) · ln 2)
    assert factor_split([10, 2], [20, 4]) == pytest.approx([30, 30])


def test_a_factor_falling_to_zero_splits_without_nan_by_shapley() -> None:
    # 100 sessions × 10 % × 50 % = 5 → 120 × 10 % × 0 = 0 (no order this week)
    # Shapley by hand: more sessions are worth +1 while the close rate is still 50 %, 0 after it
    # fell: +0.5 on average; the unchanged rate 0; the close rate the rest, −5.5
    parts = factor_split([100, 0.1, 0.5], [120, 0.1, 0.0])
    assert parts == pytest.approx([0.5, 0.0, -5.5])
    assert not any(math.isnan(p) for p in parts)


def test_eight_tenths_of_the_session_drop_is_organic_search() -> None:
    before = {"Organic Search": 8000, "Direct": 2000, "Paid Search": 1000}
    after = {"Organic Search": 6400, "Direct": 1600, "Paid Search": 1000}
    rows = additive_split(before, after)
    assert rows[0] == ("Organic Search", 8000, 6400, -1600)
    assert rows[0][3] / sum(r[3] for r in rows) == pytest.approx(0.8)
    assert [r[0] for r in rows] == ["Organic Search", "Direct", "Paid Search"]


def test_many_landing_pages_fold_into_a_rest_row_that_keeps_the_sum() -> None:
    before = {f"/p{i}": float(i) for i in range(30)}
    after = {f"/p{i}": float(2 * i) for i in range(30)} | {"/new": 7.0}
    rows = additive_split(before, after, keep=10)
    assert len(rows) == 10 and rows[-1][0] == REST
    assert [r[0] for r in rows[:3]] == ["/p29", "/p28", "/p27"]
    assert math.fsum(r[3] for r in rows) == pytest.approx(sum(after.values()) - sum(before.values()), abs=1e-9)


levels = st.lists(st.floats(min_value=0, max_value=1.5, allow_nan=False), min_size=2, max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=0, max_value=1e4), levels, st.floats(min_value=0, max_value=1e4), levels,
       st.booleans())
def test_factor_contributions_always_sum_to_the_change(s0, r0, s1, r1, zero) -> None:
    n = min(len(r0), len(r1))
    before, after = [s0, *r0[:n]], [s1, *r1[:n]]
    if zero:
        after[-1] = 0.0
    parts = factor_split(before, after)
    assert not any(math.isnan(p) for p in parts)
    assert abs(math.fsum(parts) - (math.prod(after) - math.prod(before))) <= 1e-9


segments = st.dictionaries(st.text(min_size=1, max_size=8), st.floats(min_value=0, max_value=1e6), max_size=25)


@settings(max_examples=300, deadline=None)
@given(segments, segments)
def test_channel_contributions_always_sum_to_the_change(before, after) -> None:
    rows = additive_split(before, after)
    change = math.fsum(r[2] for r in rows) - math.fsum(r[1] for r in rows)
    assert abs(math.fsum(r[3] for r in rows) - change) <= 1e-9
    assert math.fsum(r[2] for r in rows) == pytest.approx(math.fsum(after.values()), abs=1e-6)


def _daily(per_day: dict[str, float], start: date, end: date) -> pd.DataFrame:
    rows, day = [], start
    while day <= end:
        rows += [("demo", day, m, v, v, None, False) for m, v in per_day.items()]
        day += timedelta(days=1)
    return pd.DataFrame(rows, columns=["site_id", "date", "metric_id", "value", "numerator", "denominator", "is_provisional"])


TARGETS = """\
kgis:
  - id: orders_q4
    name: 受注
    metric: orders
    period: {start: 2026-10-01, end: 2026-12-31}
    baseline: {from: 2026-09-01, to: 2026-09-28}
    target: {multiplier: 1.5}
kpis:
  - id: sessions_up
    name: セッション
    kgi: orders_q4
    metric: sessions
    start: 2026-10-01
    deadline: 2026-12-31
    baseline: {from: 2026-09-01, to: 2026-09-28}
    target: {multiplier: 1.2}
"""


def test_a_week_of_goal_drivers_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(TARGETS, encoding="utf-8")
    targets = load_targets(path)
    # baseline (September): 1,000 sessions/day, 2 % CVR, 1 lead per CV, 10 %, 50 %, 50 %
    base = {"sessions": 1000, "converted_sessions": 20, "leads": 20, "appointments": 2, "deals": 1, "orders": 0.5}
    # this week: sessions steady, the close rate halves
    week = dict(base, orders=0.25)
    daily = pd.concat([_daily(base, date(2026, 9, 1), date(2026, 11, 15)), _daily(week, WEEK, WEEK + timedelta(days=6))])
    channels = {("2026-09-01", "2026-09-28"): {"Organic Search": 20000.0, "Direct": 8000.0},
                ("2026-11-09", "2026-11-15"): {"Organic Search": 5000.0, "Direct": 2000.0},
                ("2026-11-16", "2026-11-22"): {"Organic Search": 4000.0, "Direct": 3000.0}}

    def segments(dimension: str, column: str, start: date, end: date) -> dict[str, float]:
        assert column == "sessions"
        return channels.get((str(start), str(end)), {}) if dimension == "sessionDefaultChannelGroup" else {}

    frame = goal_drivers(targets, "demo", WEEK, MetricHistory(daily, None, "demo"), segments)
    assert tuple(frame.columns) == DRIVER_COLUMNS
    orders = frame[(frame["item_id"] == "orders_q4") & (frame["comparison"] == "previous_week")].set_index("driver")
    assert orders["value_from"].iloc[0] == pytest.approx(3.5) and orders["value_to"].iloc[0] == pytest.approx(1.75)
    assert orders.loc["close_rate", "contribution"] == pytest.approx(-1.75)
    assert orders.loc["close_rate", ["driver_from", "driver_to"]].tolist() == pytest.approx([0.5, 0.25])
    assert orders.drop(index="close_rate")["contribution"].abs().max() < 1e-9
    # vs the baseline (September's weekly average, 28 days × 7 / 28): same story
    vs_base = frame[(frame["item_id"] == "orders_q4") & (frame["comparison"] == "baseline")]
    assert vs_base["value_from"].iloc[0] == pytest.approx(3.5)
    # sessions: same total this week, but Organic Search −1,000 and Direct +1,000
    channel = frame[(frame["item_id"] == "sessions_up") & (frame["kind"] == "channel")
                    & (frame["comparison"] == "previous_week")].set_index("driver")
    assert channel["contribution"].to_dict() == {"Organic Search": -1000, "Direct": 1000}
    base_channel = frame[(frame["item_id"] == "sessions_up") & (frame["comparison"] == "baseline")]
    assert base_channel["value_from"].iloc[0] == pytest.approx(7000)  # 28,000 over 28 days, a week
    for _, split in frame.groupby(["item_id", "comparison", "kind"]):
        assert abs(split["contribution"].sum() - (split["value_to"].iloc[0] - split["value_from"].iloc[0])) <= 1e-9


FUNNEL_TARGETS = """\
kgis:
  - id: orders_q4
    name: 四半期で受注52件
    metric: orders
    period: {start: 2026-09-28, end: 2026-12-27}
    target: {value: 52}
    funnel: [{stage: deals, rate: 0.5}, {stage: appointments, rate: 0.5}, {stage: leads, rate: 0.2}]
kpis:
  - id: meeting_up
    name: 商談化率を1.1倍に
    kgi: orders_q4
    metric: meeting_rate
    start: 2026-09-28
    deadline: 2026-12-27
    baseline: {from: 2026-08-31, to: 2026-09-27}
    target: {multiplier: 1.1}
"""


def _broken_step(tmp_path: Path) -> pd.DataFrame:
    """A week a day: 10 leads, 2 appointments, 1 deal, 0.5 orders until the KGI starts on 09-28,
    then half the deals (商談化率 50 % → 25 %) and so half the orders; drivers of W47."""
    path = tmp_path / "t.yaml"
    path.write_text(FUNNEL_TARGETS, encoding="utf-8")
    before = {"sessions": 1000, "converted_sessions": 20, "leads": 10, "appointments": 2, "deals": 1, "orders": 0.5}
    after = dict(before, deals=0.5, orders=0.25)
    daily = pd.concat([_daily(before, date(2026, 8, 3), date(2026, 9, 27)),
                       _daily(after, date(2026, 9, 28), WEEK + timedelta(days=6))])
    for ratio, (numerator, denominator) in {"meeting_rate": ("deals", "appointments")}.items():
        sides = daily[daily["metric_id"].isin([numerator, denominator])].pivot(index="date", columns="metric_id", values="value")
        daily = pd.concat([daily, pd.DataFrame({
            "site_id": "demo", "date": sides.index, "metric_id": ratio, "value": sides[numerator] / sides[denominator],
            "numerator": sides[numerator], "denominator": sides[denominator], "is_provisional": False})])
    return goal_drivers(load_targets(path), "demo", WEEK, MetricHistory(daily, None, "demo"), lambda *_: {})


def test_a_kgi_with_a_funnel_is_explained_against_its_plan_since_the_start(tmp_path: Path) -> None:
    frame = _broken_step(tmp_path)
    plan = frame[(frame["item_id"] == "orders_q4") & (frame["comparison"] == "plan")].set_index("driver")
    # 56 of the 91 days by 11-22: the plan expects 52 × 56/91 = 32 orders, from 32 / (0.2 × 0.5 × 0.5)
    # = 640 leads; there were 560 leads (10 a day), 112 appointments, 28 deals, 14 orders
    assert plan["value_from"].iloc[0] == pytest.approx(32) and plan["value_to"].iloc[0] == pytest.approx(14)
    assert list(plan.index) == ["leads", "appointment_rate", "meeting_rate", "close_rate"]
    assert plan.loc["leads", ["driver_from", "driver_to"]].tolist() == pytest.approx([640, 560])
    assert plan.loc["meeting_rate", ["driver_from", "driver_to"]].tolist() == pytest.approx([0.5, 0.25])
    # LMDI: L(14, 32) = 18 / ln(32/14); leads cost L · ln(560/640), 商談化率 L · ln(0.5)
    weight = 18 / math.log(32 / 14)
    assert plan.loc["leads", "contribution"] == pytest.approx(weight * math.log(560 / 640))
    assert plan.loc["meeting_rate", "contribution"] == pytest.approx(weight * math.log(0.5))
    assert plan.loc[["appointment_rate", "close_rate"], "contribution"].abs().max() < 1e-9
    assert plan["contribution"].sum() == pytest.approx(14 - 32, abs=1e-9)


def test_a_running_total_is_explained_against_its_baselines_pace_since_the_start(tmp_path: Path) -> None:
    frame = _broken_step(tmp_path)
    base = frame[(frame["item_id"] == "orders_q4") & (frame["comparison"] == "baseline")].set_index("driver")
    # the 28 days before the start gave 0.5 orders a day: 28 over the 56 days so far; there were 14
    assert base["value_from"].iloc[0] == pytest.approx(28) and base["value_to"].iloc[0] == pytest.approx(14)
    assert base.loc["meeting_rate", "contribution"] == pytest.approx(-14)
    assert base.drop(index="meeting_rate")["contribution"].abs().max() < 1e-9


def test_a_rate_goal_splits_into_its_numerator_and_denominator(tmp_path: Path) -> None:
    frame = _broken_step(tmp_path)
    rate = frame[(frame["item_id"] == "meeting_up") & (frame["comparison"] == "baseline")].set_index("driver")
    # 商談化率 50 % → 25 %: 7 deals a week → 3.5 on the same 14 appointments; the deals did it all
    assert (rate["value_from"].iloc[0], rate["value_to"].iloc[0]) == pytest.approx((0.5, 0.25))
    assert rate.loc["deals", ["driver_from", "driver_to", "contribution"]].tolist() == pytest.approx([7, 3.5, -0.25])
    assert rate.loc["appointments", ["driver_from", "driver_to"]].tolist() == pytest.approx([14, 14])
    assert abs(rate.loc["appointments", "contribution"]) < 1e-12
