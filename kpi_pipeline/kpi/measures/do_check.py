"""The Do check (PDCA's Check of the Do): was each planned measure done, and did its KPIs move?

The whitepaper checks the Do on its own before the KPI (「毎日のDo（行動）が達成できたか」) and
acts on the combination (「行動は達成できたけど、目標は未達成 → 来週から走る距離をプラス3キロ」).
For every measure with a ``plan:`` running in the ISO week, and every KPI it names:

* **planned** and **done** are totals since the measure's start, through the end of the week
  (or the measure's end): ``per_week × days so far / 7``, or ``total × days so far / days of
  the measure``; done is the sum of the done log up to that day. Catching up counts, being
  ahead counts: the Do is the amount done, not the day it was done.
* **the Do is met** when done ≥ planned.
* **the KPI is met** when its status in ``mart.kpi_progress`` that week is on track or
  achieved; at risk, off track and missed are not. Without a judged status (not started, no
  data, revised, no row) the quadrant is left empty: there is nothing to cross yet.

The four quadrants and the Act each calls for (the report words them): Do met and KPI met →
keep going; Do met, KPI missed → the Do does not move the KPI enough: change its amount or
content; Do missed, KPI met → the KPI moved without the Do: find out why; Do missed and KPI
missed → do it as planned first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum

from kpi_pipeline.calendar import iso_week_label
from kpi_pipeline.targets.model import LoggedMeasure, Targets

DO_CHECK_COLUMNS: tuple[str, ...] = (
    "site_id", "week_start", "iso_week", "measure_id", "measure_name", "kpi_id", "planned", "done",
    "unit", "do_met", "kpi_status", "quadrant",
)
KPI_MET: frozenset[str] = frozenset({"on_track", "achieved"})
KPI_MISSED: frozenset[str] = frozenset({"at_risk", "off_track", "missed"})
EPSILON = 1e-9  # planned amounts are fractions of days: 2 × 7/7 must be 2


class Quadrant(StrEnum):
    DO_MET_KPI_MET = "do_met_kpi_met"  # keep going
    DO_MET_KPI_MISSED = "do_met_kpi_missed"  # change the Do's amount or content
    DO_MISSED_KPI_MET = "do_missed_kpi_met"  # the KPI moved without the Do: find out why
    DO_MISSED_KPI_MISSED = "do_missed_kpi_missed"  # do it as planned first


def planned_to_date(measure: LoggedMeasure, day: date) -> float:
    """The amount the plan asks for from the measure's start through ``day`` (0 before it)."""
    plan = measure.plan
    if plan is None or day < measure.start:
        return 0.0
    until = min(day, measure.end) if measure.end is not None else day
    days = (until - measure.start).days + 1
    if plan.per_week is not None:
        return plan.per_week * days / 7
    assert plan.total is not None and measure.end is not None  # checked by the targets loader
    return plan.total * days / ((measure.end - measure.start).days + 1)


def done_to_date(measure: LoggedMeasure, day: date) -> float:
    """What the done log holds from the measure's start through ``day``."""
    return sum(count for when, count in measure.done if when <= day)


def quadrant(do_met: bool, kpi_status: str | None) -> Quadrant | None:
    """The quadrant of a Do and a KPI status (None while the KPI has no judged status)."""
    if kpi_status in KPI_MET:
        return Quadrant.DO_MET_KPI_MET if do_met else Quadrant.DO_MISSED_KPI_MET
    if kpi_status in KPI_MISSED:
        return Quadrant.DO_MET_KPI_MISSED if do_met else Quadrant.DO_MISSED_KPI_MISSED
    return None


def runs_in_week(measure: LoggedMeasure, week_start: date) -> bool:
    """Running on at least one day of the ISO week."""
    return measure.start <= week_start + timedelta(days=6) and (
        measure.end is None or measure.end >= week_start)


def do_check_rows(
    targets: Targets, site_id: str, week_start: date, kpi_status: Mapping[str, str],
) -> list[dict[str, object]]:
    """Rows of ``mart.do_check`` for one site and ISO week: every planned measure running in the
    week × each KPI it names. ``kpi_status``: the week's status per KPI id (``mart.kpi_progress``)."""
    rows: list[dict[str, object]] = []
    end_of_week = week_start + timedelta(days=6)
    for measure in targets.measures:
        if measure.plan is None or not runs_in_week(measure, week_start):
            continue
        planned, done = planned_to_date(measure, end_of_week), done_to_date(measure, end_of_week)
        do_met = done >= planned - EPSILON
        for kpi_id in measure.kpis:
            status = kpi_status.get(kpi_id)
            found = quadrant(do_met, status)
            rows.append({
                "site_id": site_id, "week_start": week_start, "iso_week": iso_week_label(week_start),
                "measure_id": measure.id, "measure_name": measure.name, "kpi_id": kpi_id,
                "planned": planned, "done": done, "unit": measure.plan.unit, "do_met": do_met, "kpi_status": status, "quadrant": found.value if found else None,
            })
    return rows
