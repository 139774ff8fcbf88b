"""The reverse funnel (逆算): the whitepaper's chain, the bottleneck, and what it takes."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from kpi_pipeline.kpi.funnel import (
    FUNNEL_COLUMNS,
    funnel_progress,
    plan_funnel,
    what_it_takes,
)
from kpi_pipeline.settings import EXAMPLE_TARGETS
from kpi_pipeline.targets import load_targets

FY_START, FY_END = date(2026, 4, 1), date(2027, 3, 31)


def crm_daily(per_day: dict[str, float], start: date, end: date, site_id: str = "demo") -> pd.DataFrame:
    """A metrics_daily-shaped frame with a constant daily count per funnel stage."""
    rows = []
    day = start
    while day <= end:
        for metric_id, value in per_day.items():
            rows.append((site_id, day, metric_id, value, value, None, False))
        day += timedelta(days=1)
    return pd.DataFrame(rows, columns=["site_id", "date", "metric_id", "value", "numerator", "denominator", "is_provisional"])


@pytest.fixture(scope="module")
def targets():
    return load_targets(EXAMPLE_TARGETS)


def test_the_whitepaper_kgi_needs_200_deals_400_appointments_and_4000_leads(targets) -> None:
    plan = plan_funnel(targets.kgi("orders_fy2026"))
    assert [(s.stage, s.required_total, s.rate_to_next) for s in plan] == [
        ("orders", 100, None), ("deals", 200, 0.5), ("appointments", 400, 0.5), ("leads", 4000, 0.1),
    ]


def test_requirements_round_up_to_whole_counts(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("""\
kgis:
  - id: k
    name: 受注70件
    metric: orders
    period: {start: 2026-04-01, end: 2027-03-31}
    target: {value: 70}
    funnel: [{stage: deals, rate: 0.7}, {stage: leads, rate: 0.03}]
""", encoding="utf-8")
    plan = plan_funnel(load_targets(path).kgis[0])
    # 70 / 0.7 is exactly 100 (not 101 from float noise); 100 / 0.03 = 3,333.3 → 3,334
    assert [s.required_total for s in plan] == [70, 100, 3334]


def test_progress_rows_have_exactly_the_mart_columns_and_linear_requirements_to_date(targets) -> None:
    week = date(2026, 11, 16)  # ends 2026-11-22: 236 of 365 days
    daily = crm_daily({"orders": 0.3, "deals": 0.6, "appointments": 1.2, "leads": 12.0}, FY_START, date(2026, 11, 24))
    frame = funnel_progress(targets, "demo", week, daily)
    assert tuple(frame.columns) == FUNNEL_COLUMNS
    assert list(frame["stage"]) == ["orders", "deals", "appointments", "leads"]
    leads = frame.set_index("stage").loc["leads"]
    assert leads["required_total"] == 4000
    assert leads["required_to_date"] == pytest.approx(4000 * 236 / 365)
    assert leads["actual_to_date"] == pytest.approx(12 * 236)  # days after the week are not counted
    assert leads["remaining_weeks"] == pytest.approx(129 / 7)
    assert leads["needed_per_week"] == pytest.approx((4000 - 12 * 236) / (129 / 7))
    assert frame["iso_week"].unique().tolist() == ["2026-W47"]


def test_the_stage_furthest_behind_is_the_bottleneck(targets) -> None:
    # Leads and deals are on plan; appointments convert too few leads: that is where to act.
    per_day = {"orders": 100 / 365, "deals": 200 / 365, "appointments": 200 / 365, "leads": 4200 / 365}
    frame = funnel_progress(targets, "demo", date(2026, 11, 16), crm_daily(per_day, FY_START, FY_END)).set_index("stage")
    assert frame["is_bottleneck"].tolist() == [False, False, True, False]
    assert frame.loc["appointments", "attainment"] == pytest.approx(0.5)
    assert frame.loc["appointments", "gap"] < 0 < frame.loc["leads", "gap"]


def test_no_stage_is_a_bottleneck_when_all_are_ahead(targets) -> None:
    per_day = {"orders": 1.0, "deals": 2.0, "appointments": 4.0, "leads": 40.0}
    frame = funnel_progress(targets, "demo", date(2026, 11, 16), crm_daily(per_day, FY_START, FY_END))
    assert not frame["is_bottleneck"].any()


def test_other_sites_and_kgis_without_a_funnel_are_left_out(targets) -> None:
    daily = crm_daily({"orders": 5.0}, FY_START, FY_END, site_id="other")
    frame = funnel_progress(targets, "demo", date(2026, 11, 16), daily)
    assert set(frame["kgi_id"]) == {"orders_fy2026"}
    assert (frame["actual_to_date"] == 0).all()


def test_measured_rates_come_from_the_period_before(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("""\
kgis:
  - id: k
    name: 受注
    metric: orders
    period: {start: 2026-10-01, end: 2026-12-31}
    target: {value: 30}
    funnel: [{stage: deals, rate: measured}]
""", encoding="utf-8")
    targets = load_targets(path)
    assert plan_funnel(targets.kgis[0])[1].required_total is None  # unknown without data
    daily = crm_daily({"orders": 1.0, "deals": 4.0}, date(2026, 7, 1), date(2026, 9, 30))
    frame = funnel_progress(targets, "demo", date(2026, 11, 16), daily).set_index("stage")
    assert frame.loc["deals", "rate_to_next"] == pytest.approx(0.25)
    assert frame.loc["deals", "required_total"] == 120


def test_what_it_takes_in_japanese_and_english() -> None:
    assert what_it_takes("deals", 200, 162, 12) == "残り12週で商談+38件が必要（週3.2件）"
    assert what_it_takes("deals", 200, 162, 12, "en") == "38 more deals needed in the remaining 12 weeks (3.2 a week)"
    assert "到達済み" in what_it_takes("leads", 4000, 4100, 5)
    assert "届きませんでした" in what_it_takes("orders", 100, 90, 0)
