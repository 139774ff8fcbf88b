"""The Do check (kpi/measures/do_check.py): planned and done to date, worked out by hand, and the
quadrant each pair of "Do done?" and "KPI on track?" makes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from kpi_pipeline.kpi.measures.do_check import (
    Quadrant,
    do_check_rows,
    done_to_date,
    planned_to_date,
    quadrant,
)
from kpi_pipeline.targets.model import DoPlan, LoggedMeasure, Targets, Tolerances

W45, W46 = date(2026, 11, 2), date(2026, 11, 9)


def measure(plan: DoPlan | None, start: date = date(2026, 11, 4), end: date | None = None,
            done: tuple[tuple[date, float], ...] = (), kpis: tuple[str, ...] = ("sessions_x125",)) -> LoggedMeasure:
    return LoggedMeasure("seo", "SEO記事の公開", None, start, end, kpis, plan, done)


def test_a_weekly_plan_counts_the_days_since_the_start() -> None:
    seo = measure(DoPlan(per_week=2, unit="本"))  # from Wednesday 11-04
    assert planned_to_date(seo, date(2026, 11, 3)) == 0
    assert planned_to_date(seo, date(2026, 11, 8)) == pytest.approx(2 * 5 / 7)  # Wed..Sun
    assert planned_to_date(seo, date(2026, 11, 15)) == pytest.approx(2 * 12 / 7)


def test_a_total_is_spread_over_the_measures_days_and_stops_at_its_end() -> None:
    sns = measure(DoPlan(total=20), start=date(2026, 11, 2), end=date(2026, 11, 29))  # 28 days
    assert planned_to_date(sns, date(2026, 11, 15)) == pytest.approx(10)
    assert planned_to_date(sns, date(2026, 12, 6)) == pytest.approx(20)


def test_done_adds_up_the_log_to_the_day() -> None:
    seo = measure(DoPlan(per_week=2), done=((date(2026, 11, 4), 1), (date(2026, 11, 4), 1), (date(2026, 11, 12), 3)))
    assert done_to_date(seo, date(2026, 11, 8)) == 2
    assert done_to_date(seo, date(2026, 11, 15)) == 5


@pytest.mark.parametrize(("do_met", "status", "expected"), [
    (True, "on_track", Quadrant.DO_MET_KPI_MET), (True, "achieved", Quadrant.DO_MET_KPI_MET),
    (True, "at_risk", Quadrant.DO_MET_KPI_MISSED), (True, "missed", Quadrant.DO_MET_KPI_MISSED),
    (False, "on_track", Quadrant.DO_MISSED_KPI_MET),
    (False, "off_track", Quadrant.DO_MISSED_KPI_MISSED),
    (False, "no_data", None), (True, "not_started", None), (True, "revised", None), (True, None, None),
])
def test_the_quadrant_of_a_do_and_a_kpi_status(do_met: bool, status: str | None, expected: Quadrant | None) -> None:
    assert quadrant(do_met, status) is expected


def _targets(*measures: LoggedMeasure) -> Targets:
    return Targets(source=Path("t.yaml"), timezone=None, site=None, tolerances=Tolerances(), measures=measures)


def test_rows_cover_planned_measures_running_in_the_week_and_each_kpi_they_name() -> None:
    caught_up = measure(DoPlan(per_week=1, unit="本"), start=W45, kpis=("a", "b"),
                        done=((date(2026, 11, 14), 2),))  # none in W45, two in W46: 2 of 2 by W46
    ended = measure(DoPlan(per_week=1), start=date(2026, 10, 5), end=date(2026, 11, 1))
    unplanned = measure(None, start=W45)
    targets = _targets(caught_up, replace(ended, id="ended"), replace(unplanned, id="unplanned"))
    rows = do_check_rows(targets, "demo", W46, {"a": "on_track", "b": "off_track"})
    assert [(r["kpi_id"], r["planned"], r["done"], r["do_met"], r["quadrant"]) for r in rows] == [
        ("a", 2.0, 2.0, True, "do_met_kpi_met"), ("b", 2.0, 2.0, True, "do_met_kpi_missed")]
    assert rows[0]["unit"] == "本" and rows[0]["iso_week"] == "2026-W46"
    first = do_check_rows(targets, "demo", W45, {"a": "on_track"})
    assert [(r["kpi_id"], r["done"], r["do_met"], r["kpi_status"], r["quadrant"]) for r in first] == [
        ("a", 0.0, False, "on_track", "do_missed_kpi_met"), ("b", 0.0, False, None, None)]
