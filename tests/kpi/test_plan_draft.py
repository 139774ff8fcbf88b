"""Drafting KPIs from a KGI (kpi/funnel/draft.py), on a history whose numbers are worked by hand.

Every day of 75 weeks up to Sunday 2026-11-15: 1,000 sessions, 10 leads, 1 appointment, 0.5
deals and 0.25 orders, so each rate is exact (leads/sessions 1 %, appointments/leads 10 %,
deals/appointments 50 %, orders/deals 50 %) and every 4 weeks look alike, except four weeks in
April 2026 with 20 leads a day: the best 4 weeks of leads are 140 a week, at an appointment
rate of 5 % and 2 % leads per session, and they lie outside the last 13 weeks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest

from kpi_pipeline.kpi.funnel.draft import (
    Grade,
    NotPlannable,
    RateSource,
    Step,
    check_plannable,
    draft_plan,
    rounded_rate,
)
from kpi_pipeline.kpi.metric_history import MetricHistory
from kpi_pipeline.targets.model import FunnelStep, Goal, Measure, Target, Tolerances

FIRST, LAST = date(2025, 4, 28), date(2026, 11, 15)
BURST = (date(2026, 4, 6), date(2026, 5, 3))
PER_DAY = {"sessions": 1000.0, "leads": 10.0, "appointments": 1.0, "deals": 0.5, "orders": 0.25}


def history(metrics: tuple[str, ...] = tuple(PER_DAY)) -> MetricHistory:
    rows, day = [], FIRST
    while day <= LAST:
        for metric_id in metrics:
            value = 20.0 if metric_id == "leads" and BURST[0] <= day <= BURST[1] else PER_DAY[metric_id]
            rows.append(("demo", day, metric_id, value, value, None, False))
        day += timedelta(days=1)
    columns = ["site_id", "date", "metric_id", "value", "numerator", "denominator", "is_provisional"]
    return MetricHistory(pd.DataFrame(rows, columns=columns), None, "demo")


def kgi(target: float = 100, start: date = date(2027, 4, 5), days: int = 364,
        funnel: tuple[FunnelStep, ...] = ()) -> Goal:
    return Goal(kind="kgi", id="orders_fy", name="受注", metric_id="orders", phase=None, start=start,  # type: ignore[arg-type]
                deadline=start + timedelta(days=days - 1), target=Target(value=target), baseline=None,
                pacing="linear", measure=Measure.CUMULATIVE, tolerances=Tolerances(), funnel=funnel)  # type: ignore[arg-type]


def test_a_kgi_alone_is_chained_through_the_rates_of_the_last_13_weeks_up_to_sessions() -> None:
    draft = draft_plan(kgi(), history())
    assert draft.measured == (date(2026, 8, 17), LAST)  # W34..W46
    assert draft.baseline == draft.measured  # it ends before the KGI's start
    assert draft.steps == (Step("deals", "orders", 0.5, RateSource.MEASURED),
                           Step("appointments", "deals", 0.5, RateSource.MEASURED),
                           Step("leads", "appointments", 0.1, RateSource.MEASURED),
                           Step("sessions", "leads", 0.01, RateSource.MEASURED))
    # 100 ← 200 ← 400 ← 4,000 ← 400,000; the measured web rate is held as a floor
    assert [(k.metric_id, k.total, k.rate_kpi) for k in draft.kpis] == [
        ("deals", 200, False), ("appointments", 400, False), ("leads", 4000, False),
        ("leads_per_session", None, True), ("sessions", 400_000, False)]


def test_feasibility_compares_the_weekly_need_with_13_weeks_and_the_best_4_weeks() -> None:
    draft = draft_plan(kgi(), history())
    by_metric = {k.metric_id: k.feasibility for k in draft.kpis}
    # 100 orders in 52 weeks: 1.92 a week, never more than 1.75 → the KGI itself is too high
    assert draft.kgi_feasibility.grade is Grade.UNREALISTIC
    assert draft.kgi_feasibility.instead is not None and draft.kgi_feasibility.instead.kind == "kgi"
    # leads: 4,000 / 52 = 76.9 a week: above the last 13 weeks (70), within the April burst (140)
    leads = by_metric["leads"]
    assert (leads.needed, leads.recent, leads.best, leads.grade) == (
        pytest.approx(4000 / 52), pytest.approx(70), pytest.approx(140), Grade.STRETCH)
    assert leads.instead is None
    # sessions: 7,692 a week, 7,000 at best: the rate into leads would have to be 76.9 / 7,000,
    # which the best 4 weeks (2 % in April) did
    sessions = by_metric["sessions"]
    assert sessions.grade is Grade.UNREALISTIC
    instead = sessions.instead
    assert instead is not None and (instead.kind, instead.upper, instead.below) == ("rate", "sessions", "leads")
    assert (instead.needed, instead.best, instead.held) == (
        pytest.approx(4000 / 52 / 7000), pytest.approx(0.02), pytest.approx(7000))
    assert not instead.beyond_best
    # deals: 3.85 a week, 3.5 at best; the close rate would need 1.92 / 3.5 = 55 %, never seen
    deals = by_metric["deals"].instead
    assert deals is not None and deals.needed == pytest.approx(100 / 52 / 3.5) and deals.beyond_best
    assert by_metric["leads_per_session"].grade is Grade.WITHIN_REACH  # the recent rate itself


def test_planned_rates_are_kept_get_a_floor_kpi_and_the_rest_is_measured() -> None:
    draft = draft_plan(kgi(funnel=(FunnelStep("deals", 0.4),)), history())
    assert draft.steps[0] == Step("deals", "orders", 0.4, RateSource.PLANNED)
    assert draft.steps[1] == Step("appointments", "deals", 0.5, RateSource.MEASURED)
    assert [(k.metric_id, k.total) for k in draft.kpis[:3]] == [
        ("close_rate", None), ("deals", 250), ("appointments", 500)]
    close = draft.kpis[0].feasibility
    assert (close.needed, close.recent, close.grade) == (0.4, pytest.approx(0.5), Grade.WITHIN_REACH)


def test_an_assumed_rate_above_the_best_names_the_volume_that_would_have_to_rise() -> None:
    draft = draft_plan(kgi(target=50, funnel=(FunnelStep("deals", 0.9),)), history())
    close = draft.kpis[0].feasibility  # 90 % planned, 50 % every week of the last year
    assert close.grade is Grade.UNREALISTIC
    assert close.instead is not None and close.instead.kind == "volume"
    # 50 orders a year at the best close rate (50 %) need 50 / 52 / 0.5 = 1.92 deals a week
    assert (close.instead.upper, close.instead.needed, close.instead.best) == (
        "deals", pytest.approx(50 / 52 / 0.5), pytest.approx(3.5))
    assert not close.instead.beyond_best


def test_without_history_only_planned_rates_chain_and_nothing_is_judged() -> None:
    draft = draft_plan(kgi(funnel=(FunnelStep("deals", 0.5), FunnelStep("appointments", 0.5))),
                       MetricHistory.empty())
    assert (draft.measured, draft.baseline, draft.has_history) == (None, None, False)
    assert draft.unknown_step == ("leads", "appointments")
    assert [(k.metric_id, k.total) for k in draft.kpis] == [
        ("close_rate", None), ("deals", 200), ("meeting_rate", None), ("appointments", 400)]
    assert {k.feasibility.grade for k in draft.kpis} == {Grade.UNKNOWN}


def test_a_stage_without_history_stops_the_chain_there() -> None:
    draft = draft_plan(kgi(), history(("orders", "deals")))
    assert [k.metric_id for k in draft.kpis] == ["deals"]
    assert draft.unknown_step == ("appointments", "deals")


def test_a_kgi_already_running_gets_the_13_weeks_before_its_start_as_baseline() -> None:
    draft = draft_plan(kgi(start=date(2026, 10, 1)), history())
    assert draft.measured == (date(2026, 8, 17), LAST)
    assert draft.baseline == (date(2026, 6, 29), date(2026, 9, 27))


def test_measured_rates_are_written_with_3_significant_digits() -> None:
    assert (rounded_rate(0.0716123), rounded_rate(0.50049), rounded_rate(0.005309)) == (0.0716, 0.5, 0.00531)


def test_only_a_running_total_of_a_funnel_stage_can_be_worked_back() -> None:
    with pytest.raises(NotPlannable, match="on a sales-funnel stage"):
        check_plannable(replace(kgi(), metric_id="sessions"))
    with pytest.raises(NotPlannable, match=r"target: \{value: N\}"):
        check_plannable(replace(kgi(), target=Target(multiplier=1.5), measure=Measure.WEEKLY))


def test_each_draft_kpi_carries_its_chance_at_the_start_from_the_judgements_model() -> None:
    """The weekly Check's chance, as of the start: 4,000 leads in a year where 70 a week (3,640)
    have come for months is unlikely; 200 deals where 3.5 a week (182) come too; 100 orders a
    year at 1.75 a week (91) as well – while the draft's own web rate has none (the catalogue does
    not know it before the draft declares it). Without history there is no chance at all."""
    draft = draft_plan(kgi(), history())
    by_metric = {k.metric_id: k.feasibility.chance for k in draft.kpis}
    assert by_metric["leads_per_session"] is None
    assert 0 <= by_metric["leads"] < 0.3 and 0 <= by_metric["deals"] < 0.3
    assert draft.kgi_feasibility.chance is not None and draft.kgi_feasibility.chance < 0.3
    easy = draft_plan(kgi(target=80), history())  # 80 orders where 91 come at the run rate
    assert easy.kgi_feasibility.chance is not None and easy.kgi_feasibility.chance > 0.7
    empty = draft_plan(kgi(funnel=(FunnelStep("deals", 0.5),)), MetricHistory.empty())
    assert {k.feasibility.chance for k in empty.kpis} == {None}
