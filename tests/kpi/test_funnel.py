"""The reverse funnel (逆算): the whitepaper's chain, the bottleneck, and what it takes."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from kpi_pipeline.config.settings import EXAMPLE_TARGETS
from kpi_pipeline.kpi.funnel.plan import (
    FUNNEL_COLUMNS,
    actual_rates,
    chained_needs,
    funnel_progress,
    observed_needs,
    plan_funnel,
)
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
    # leads' own gap is 4,000 − 2,832 = 1,168, but the chain asks more: orders 70.8 of 100 →
    # deals need ⌈29.2 / 0.5⌉ = 59 → appointments ⌈59 / 0.5⌉ = 118 → leads 118 / 0.1 = 1,180
    assert leads["remaining_need"] == 1180
    assert leads["needed_per_week"] == pytest.approx(1180 / (129 / 7))
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


def test_the_need_at_the_observed_rates_stands_beside_the_planned_chain(targets) -> None:
    # per day 12 leads, 1.2 appointments (10 % as planned), 0.3 deals (商談化率 25 %: half the
    # plan's 50 %), 0.15 orders (50 %); by 2026-11-22 (236 days) 35.4 of the 100 orders
    per_day = {"orders": 0.15, "deals": 0.3, "appointments": 1.2, "leads": 12.0}
    frame = funnel_progress(targets, "demo", date(2026, 11, 16),
                            crm_daily(per_day, FY_START, FY_END)).set_index("stage")
    # planned: 64.6 orders left → ⌈64.6 / 0.5⌉ = 130 deals → 260 appointments → 2,600 leads
    assert frame["remaining_need"].tolist() == [pytest.approx(64.6), 130, 260, 2600]
    # at the observed rates the same 130 deals need ⌈130 / 0.25⌉ = 520 appointments, 5,200 leads
    assert frame["observed_need"].tolist() == [pytest.approx(64.6), 130, 520, 5200]
    assert frame.loc["leads", "observed_need_per_week"] == pytest.approx(5200 / (129 / 7))


def test_observed_needs_use_the_plan_where_no_rate_is_known_and_stop_at_a_dead_step() -> None:
    # orders 10 left; close rate unknown (no deals yet) → planned 50 %; meeting rate 0 % observed
    assert observed_needs(10, [None, 0.5, 0.5], [None, None, 0.0]) == [10, 20, None]
    assert observed_needs(0, [None, 0.5, 0.5], [None, None, 0.0]) == [0, 0, 0]


def test_before_its_start_the_need_spreads_over_the_period_not_the_weeks_before_it(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("""\
kgis:
  - id: k
    name: 来期の受注
    metric: orders
    period: {start: 2027-01-04, end: 2027-04-04}
    target: {value: 26}
    funnel: [{stage: deals, rate: 0.5}]
""", encoding="utf-8")
    frame = funnel_progress(load_targets(path), "demo", date(2026, 11, 16),
                            crm_daily({"orders": 1.0}, FY_START, FY_END)).set_index("stage")
    # 91 days from 01-04 to 04-04 are 13 weeks; the 6 weeks until the start are not counted
    assert frame.loc["deals", "remaining_weeks"] == pytest.approx(13)
    assert frame.loc["deals", "needed_per_week"] == pytest.approx(52 / 13)
    assert (frame["actual_to_date"] == 0).all() and not frame["is_bottleneck"].any()


def totals_on(day: date, totals: dict[str, float], site_id: str = "demo") -> pd.DataFrame:
    """A metrics_daily-shaped frame with every stage's running total booked on one day."""
    rows = [(site_id, day, m, v, v, None, False) for m, v in totals.items()]
    return pd.DataFrame(rows, columns=["site_id", "date", "metric_id", "value", "numerator", "denominator", "is_provisional"])


def test_needs_flow_down_the_chain_from_the_kgi() -> None:
    # nothing done yet: 100 orders ← 200 deals ← 400 appointments ← 4,000 leads
    assert chained_needs([100, 200, 400, 4000], [None, 0.5, 0.5, 0.1]) == [100, 200, 400, 4000]
    # 185 appointments missing at 10 % need 1,850 more leads, never the 1,285 of the leads' own gap
    assert chained_needs([30, 90, 185, 1285], [None, 0.5, 0.5, 0.1]) == [30, 90, 185, 1850]
    # a stage's own gap wins when it is the larger
    assert chained_needs([0, 0, 10, 500], [None, 0.5, 0.5, 0.1]) == [0, 0, 10, 500]


def test_185_missing_appointments_ask_1850_more_leads_in_the_mart_rows(targets) -> None:
    week = date(2026, 11, 16)  # 129 days left after the week
    totals = {"orders": 70, "deals": 110, "appointments": 215, "leads": 2715}
    frame = funnel_progress(targets, "demo", week, totals_on(date(2026, 5, 1), totals)).set_index("stage")
    assert frame["remaining_need"].to_dict() == {"orders": 30, "deals": 90, "appointments": 185, "leads": 1850}
    assert frame.loc["leads", "needed_per_week"] == pytest.approx(1850 / (129 / 7))  # 100.4 a week, not 69.7
    assert frame.loc["appointments", "needed_per_week"] == pytest.approx(185 / (129 / 7))


def test_actual_step_rates_stand_beside_the_planned_ones(targets) -> None:
    assert actual_rates([50, 100, 250, 5000]) == [None, 0.5, 0.4, 0.05]
    assert actual_rates([0, 0, 3]) == [None, None, 0.0]  # no deals yet: no close rate to show
    totals = {"orders": 50, "deals": 100, "appointments": 250, "leads": 5000}
    frame = funnel_progress(targets, "demo", date(2026, 11, 16), totals_on(date(2026, 5, 1), totals)).set_index("stage")
    assert frame["actual_rate"].tolist()[1:] == pytest.approx([0.5, 0.4, 0.05])
    assert frame["rate_to_next"].tolist()[1:] == [0.5, 0.5, 0.1]
    assert pd.isna(frame.loc["orders", "actual_rate"])


def test_when_every_rate_is_on_plan_the_bottleneck_is_volume_at_the_top(targets) -> None:
    # every stage at ~80 % of its pace and every step converting exactly as planned: the cause is
    # too few leads entering the funnel, not orders (the lowest attainment is not the point)
    share = 236 / 365
    totals = {"orders": 0.8 * 100 * share, "deals": 0.8 * 200 * share,
              "appointments": 0.8 * 400 * share, "leads": 0.8 * 4000 * share}
    frame = funnel_progress(targets, "demo", date(2026, 11, 16), totals_on(date(2026, 5, 1), totals)).set_index("stage")
    assert frame["is_bottleneck"].to_dict() == {"orders": False, "deals": False, "appointments": False, "leads": True}
    assert frame.loc["leads", "bottleneck_reason"] == "volume_at_top"
    assert frame["bottleneck_reason"].isna().sum() == 3


def test_a_rate_below_plan_names_the_stage_it_starves(targets) -> None:
    # leads are plentiful but convert at 4.8 % instead of 10 %: appointments are the bottleneck
    frame = funnel_progress(targets, "demo", date(2026, 11, 16), totals_on(
        date(2026, 5, 1), {"orders": 60, "deals": 120, "appointments": 125, "leads": 2600})).set_index("stage")
    assert frame.loc["appointments", "is_bottleneck"]
    assert frame.loc["appointments", "bottleneck_reason"] == "rate_below_plan"
    assert frame.loc["leads", "actual_rate"] == pytest.approx(125 / 2600)


def test_needed_to_date_follows_the_kgi_pacing(tmp_path: Path) -> None:
    """Seasonal KGI: the funnel's to-date need is the share the KGI's own pace expects."""
    from kpi_pipeline.kpi.judgement.pacing import expected_total
    from kpi_pipeline.kpi.judgement.progress import compute_progress

    path = tmp_path / "t.yaml"
    path.write_text("""\
kgis:
  - id: k
    name: 受注
    metric: orders
    period: {start: 2026-04-06, end: 2026-06-28}
    target: {value: 120}
    pacing: seasonal
    funnel: [{stage: deals, rate: 0.5}]
""", encoding="utf-8")
    targets = load_targets(path)
    last_year = crm_daily({"orders": 1.0, "deals": 2.0}, date(2025, 4, 7), date(2025, 5, 4))
    busier = crm_daily({"orders": 3.0, "deals": 6.0}, date(2025, 5, 5), date(2025, 6, 29))
    daily = pd.concat([last_year, busier], ignore_index=True)
    week = date(2026, 4, 27)  # 4 of 12 weeks gone, last year's quiet part
    frame = funnel_progress(targets, "demo", week, daily).set_index("stage")
    kgi_row = compute_progress(targets, "demo", week, daily, daily.iloc[0:0].assign(
        week_start=[], days_present=[], provisional_days=[]), date(2027, 1, 1)).iloc[0]
    assert frame.loc["orders", "required_to_date"] == pytest.approx(kgi_row["expected"])
    linear, _ = expected_total("linear", 120, date(2026, 4, 6), date(2026, 6, 28), date(2026, 5, 3))
    assert frame.loc["orders", "required_to_date"] < linear - 10  # seasonal, not the linear 40
    assert frame.loc["deals", "required_to_date"] == pytest.approx(2 * kgi_row["expected"])
