"""Each KGI and KPI in one ISO week: baseline, target, where the pace says it should be, where it
is, its status and forecast – the rows of ``mart.kpi_progress``.

Two ways to measure (``measure:`` in the targets file):

* ``weekly``: the metric's value for the evaluated ISO week against a target for the weekly
  value at the deadline; the baseline is the weekly average over the baseline window. After
  the deadline the verdict uses the last complete ISO week ending on or before the deadline.
* ``cumulative``: the running total from the start to the end of the week against a target
  total for the whole period (baseline 0).

A weekly goal with an absolute target and no baseline starts from the weekly average of the
:data:`DEFAULT_BASELINE_DAYS` days before its start.

How the status is decided is in :mod:`kpi_pipeline.kpi.judgement.status` (the unit of the goal, noise,
keep goals) and what it compares in :mod:`kpi_pipeline.kpi.judgement.measured` (one week, a rolling
window for small counts, the judgement window at the deadline, the period for keep goals).
A goal superseded by another (``replaced_by``) is 改定 from the week its replacement starts;
its earlier weeks are judged exactly as before the split, so a backfill rewrites them
unchanged. An ended goal is marked ``retired`` some weeks after its deadline.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from kpi_pipeline.calendar import iso_week_label, monday, week_end
from kpi_pipeline.kpi.judgement import forecast as fc
from kpi_pipeline.kpi.judgement.baselines import (
    baseline_and_target,
    baseline_window,
    multiplies_zero,
)
from kpi_pipeline.kpi.judgement.goal_kinds import goal_kind, reach_written_as_keep
from kpi_pipeline.kpi.judgement.measured import (
    ROLLING_WEEKS,
    Measure,
    final_week,
    is_small_count,
    noise,
    period_measure,
    poisson_noise,
    reach_window,
    share_held,
    week_measure,
    weeks_since_start,
    window_measure,
    window_pace,
)
from kpi_pipeline.kpi.judgement.notes import encode, join
from kpi_pipeline.kpi.judgement.pacing import (
    elapsed_share,
    expected_total,
    expected_value,
    seasonal_shape,
)
from kpi_pipeline.kpi.judgement.reaching import Reaching, reaching
from kpi_pipeline.kpi.judgement.status import (
    RUNNING,
    Reason,
    Status,
    Verdict,
    final_reach,
    from_chance,
    keep,
    keep_direction,
    moved_away,
    pace_ratio,
    progress,
    running_reach,
)
from kpi_pipeline.kpi.metric_history import MetricHistory
from kpi_pipeline.targets.model import Goal, GoalKind, Targets

__all__ = ["PROGRESS_COLUMNS", "compute_progress", "final_week", "goal_row", "progress_frame", "progress_rows"]

PROGRESS_COLUMNS: tuple[str, ...] = (
    "site_id", "week_start", "iso_week", "kind", "item_id", "kgi_id", "name", "metric_id",
    "phase", "direction", "pacing", "cumulative", "start_date", "deadline", "baseline", "target",
    "expected", "actual", "elapsed_share", "progress", "pace_ratio", "status", "forecast",
    "forecast_low", "forecast_high", "verdict", "provisional_days", "note",
    "goal_kind", "expected_progress", "noise", "judgement", "judged_weeks", "retired",
    "p_reach", "needed_per_week", "recent_per_week",
)


def _outlook(reach: Reaching | None) -> dict[str, object]:
    """The forecast columns of a running goal from its outlook (see :mod:`.reaching`)."""
    if reach is None:
        return {}
    seen = reach.outlook
    return {
        "forecast": seen.value, "forecast_low": seen.low, "forecast_high": seen.high,
        "verdict": fc.verdict(seen.p_reach), "p_reach": seen.p_reach,
        "needed_per_week": reach.needed_per_week, "recent_per_week": reach.recent_per_week,
    }


def _pace(
    goal: Goal, history: MetricHistory, baseline: float, target: float,
) -> tuple[Callable[[date], float], str | None]:
    """``pace_at(day)`` for a weekly goal and the fallback note code of its pace (if any)."""
    shape = seasonal_shape(goal, history)

    def pace_at(day: date) -> float:
        return expected_value(goal.pacing, baseline, target, goal.start, goal.deadline,
                              min(day, goal.deadline), shape)[0]

    code = expected_value(goal.pacing, baseline, target, goal.start, goal.deadline, goal.deadline, shape)[1]
    return pace_at, code


def _retired(goal: Goal, end: date, revised_from: date | None) -> bool:
    """Ended (or superseded) more than ``retire_after_weeks`` weeks before this week."""
    ended = revised_from if revised_from is not None and end >= revised_from else (
        goal.deadline if end >= goal.deadline else None)
    if ended is None:
        return False
    return (monday(end) - monday(ended)).days // 7 > goal.judgement.retire_after_weeks


@dataclass
class Compared:
    """What a status compares: the measure, the pace for it, its noise, and notes on the pace.

    ``settled`` is False in a small count's first weeks (a miss inside the noise is not called).
    """

    measure: Measure
    expected: float | None
    noise: float | None
    settled: bool = True
    notes: list[str] = field(default_factory=list)


def _running_total(goal: Goal, history: MetricHistory, week_start: date, target: float | None) -> Compared:
    """A cumulative goal: the total so far against the pace's total, noise × √weeks."""
    at = min(week_end(week_start), goal.deadline)
    measure = Measure(history.running_total(goal.metric_id, goal.start, at), 0,
                      history.provisional_days(goal.metric_id, goal.start, at))
    expected, code = None, None
    if target is not None:
        expected, code = expected_total(goal.pacing, target, goal.start, goal.deadline, at,
                                        seasonal_shape(goal, history))
    weeks = math.ceil(((at - goal.start).days + 1) / 7)
    spread = noise(goal, history, min(week_start, final_week(goal)), weeks, total=True)
    return Compared(measure, expected, spread, notes=[code] if code else [])


def _reach(goal: Goal, history: MetricHistory, week_start: date, baseline: float, target: float,
           final: bool) -> Compared:
    """A weekly reach goal: one week, a small count's weeks since the start, or the deadline window."""
    pace_at, code = _pace(goal, history, baseline, target)
    notes, settled = [code] if code else [], True
    small = is_small_count(goal, baseline)
    evaluated, weeks = reach_window(goal, week_start, baseline, final)
    if final:
        measure, expected = window_measure(goal, history, evaluated, weeks), target
        notes.append(encode("judged_on_weeks", weeks=measure.weeks))
    elif small:
        measure = window_measure(goal, history, week_start, weeks)
        expected = window_pace(pace_at, week_start, measure.weeks)
        notes.append(encode("small_count_window", weeks=measure.weeks))
        settled = weeks_since_start(goal, week_start) >= ROLLING_WEEKS
    else:
        measure = week_measure(goal, history.week(goal.metric_id, week_start), False)
        expected = pace_at(week_end(week_start))
    spread = poisson_noise(baseline, measure.weeks) if small else noise(goal, history, evaluated, measure.weeks)
    return Compared(measure, expected, spread, settled, notes)


def _keep(goal: Goal, history: MetricHistory, week_start: date, line: float) -> Compared:
    """A keep goal: the period so far against its (flat) line."""
    measure = period_measure(goal, history, week_end(week_start))
    return Compared(measure, line, noise(goal, history, min(week_start, final_week(goal)), measure.weeks))


def goal_row(
    goal: Goal, history: MetricHistory, site_id: str, week_start: date, today: date,
    revised_from: date | None = None,
) -> dict[str, object]:
    """One row of ``mart.kpi_progress`` for one goal and week.

    ``revised_from``: the start of the goal that replaced this one (``replaced_by``), if any.
    """
    end = week_end(week_start)
    notes: list[str] = []
    baseline, target = baseline_and_target(goal, history)
    if target is None and multiplies_zero(goal, history):
        a, b = baseline_window(goal) or (goal.start, goal.start)
        notes.append(encode("zero_baseline", start=a, end=b, multiplier=f"{goal.target.multiplier:g}"))
    elif target is None and goal.baseline is not None and goal.baseline.window is not None:
        a, b = goal.baseline.window
        notes.append(encode("no_baseline_data", start=a, end=b))
    kind = goal_kind(goal.target, goal.direction, baseline, target)
    if reach_written_as_keep(goal.target, goal.direction, baseline, target):
        notes.append(encode("reach_as_keep", line=kind.value))
    started, final = end >= goal.start, end >= goal.deadline
    revised = revised_from is not None and end >= revised_from
    judged_direction = keep_direction(kind, goal.direction)
    compared = Compared(Measure(None, 1), None, None)
    if started and goal.cumulative:
        compared = _running_total(goal, history, week_start, target)
    elif started and kind is GoalKind.REACH and target is not None and baseline is not None:
        compared = _reach(goal, history, week_start, baseline, target, final)
    elif started and target is not None:
        compared = _keep(goal, history, week_start, target)
    measure, expected, spread = compared.measure, compared.expected, compared.noise
    notes += compared.notes
    notes += measure.notes
    if end >= today:
        notes.append("week_not_over")
    actual = measure.value
    verdict, done, due = _judge(goal, kind, baseline, target, expected, actual, spread, started, final, revised,
                                compared.settled)
    pace_status = verdict.status.value  # what the pace rule alone said: the calibration compares
    reach = None
    if started and not final and not revised and actual is not None and target is not None:
        reach = reaching(goal, kind, target, judged_direction, history, week_start)
    if reach is not None and verdict.status in RUNNING:
        verdict = from_chance(reach.outlook.p_reach, verdict, goal.chances,
                              moved_away=kind is GoalKind.REACH and moved_away(done, due))
    if verdict.status not in (Status.NOT_STARTED, Status.NO_DATA, Status.REVISED) and kind is not GoalKind.REACH \
            and not goal.cumulative and target is not None:
        done = share_held(goal, history, end, target, judged_direction)
    row: dict[str, object] = {
        "site_id": site_id, "week_start": week_start, "iso_week": iso_week_label(week_start),
        "kind": goal.kind, "item_id": goal.id, "kgi_id": goal.kgi_id, "name": goal.name,
        "metric_id": goal.metric_id, "phase": goal.phase.value, "direction": goal.direction.value,
        "pacing": goal.pacing.value, "cumulative": goal.cumulative, "start_date": goal.start,
        "deadline": goal.deadline, "baseline": baseline, "target": target, "expected": expected,
        "actual": actual, "elapsed_share": elapsed_share(goal.start, goal.deadline, end),
        "progress": done,
        "pace_ratio": pace_ratio(actual, expected, judged_direction) if started and actual is not None
        and expected is not None else None,
        "status": verdict.status.value, "forecast": None, "forecast_low": None,
        "forecast_high": None, "verdict": None, "provisional_days": int(measure.provisional_days),
        "note": join(notes), "goal_kind": kind.value, "expected_progress": due, "noise": spread,
        "judgement": verdict.reason.value, "judged_weeks": measure.weeks if actual is not None and measure.weeks else None,
        "retired": _retired(goal, end, revised_from), "p_reach": None, "needed_per_week": None,
        "recent_per_week": None,
        "pace_status": pace_status,  # not a mart column (progress_frame keeps PROGRESS_COLUMNS)
    }
    row.update(_outlook(reach))
    if verdict.status is Status.ACHIEVED:
        row["p_reach"] = 1.0
    elif verdict.status is Status.MISSED:
        row["p_reach"] = 0.0
    return row


def _judge(
    goal: Goal, kind: GoalKind, baseline: float | None, target: float | None, expected: float | None,
    actual: float | None, spread: float | None, started: bool, final: bool, revised: bool,
    settled: bool = True,
) -> tuple[Verdict, float | None, float | None]:
    """(verdict, progress, expected progress) of a started goal (see :mod:`kpi_pipeline.kpi.judgement.status`)."""
    if revised:
        return Verdict(Status.REVISED, Reason.REVISED), None, None
    if not started:
        return Verdict(Status.NOT_STARTED, Reason.NOT_STARTED), None, None
    if actual is None or target is None or expected is None:
        return Verdict(Status.NO_DATA, Reason.NO_DATA), None, None
    if kind is GoalKind.REACH and baseline is not None:
        done, due = progress(actual, baseline, target), progress(expected, baseline, target)
        if final:
            return final_reach(actual, target, goal.direction, spread), done, due
        return running_reach(actual, expected, baseline, target, spread, goal.tolerances, settled), done, due
    return keep(actual, target, keep_direction(kind, goal.direction), spread, final), None, None


def kpi_summary(statuses: list[str]) -> str | None:
    """``kpi_summary(on_track=2, off_track=1)`` – how the KPIs under a KGI stand, in status order."""
    counts = Counter(statuses)
    found = {s.value: counts[s.value] for s in Status if counts[s.value]}
    return encode("kpi_summary", **found) if found else None


def compute_progress(
    targets: Targets,
    site_id: str,
    week_start: date,
    daily: pd.DataFrame,
    weekly: pd.DataFrame,
    today: date,
    history: MetricHistory | None = None,
) -> pd.DataFrame:
    """Rows for ``mart.kpi_progress``: every KGI (with a summary of its KPIs in ``note``) and KPI.

    ``history``: ``MetricHistory(daily, weekly, site_id)`` built once by a caller that computes
    many weeks (indexing the frames cost ~0.2 s a week); None builds it here.
    """
    _check_monday(week_start)
    if history is None:
        history = MetricHistory(daily, weekly, site_id)
    return progress_frame(progress_rows(targets, site_id, week_start, history, today))


def _check_monday(week_start: date) -> None:
    if week_start.weekday() != 0:
        raise ValueError(f"week_start {week_start} is not a Monday")


def progress_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """``mart.kpi_progress``'s columns and dtypes for rows of :func:`progress_rows` (of one week
    or of many: a range run builds one frame for all its weeks, not one per week)."""
    frame = pd.DataFrame(rows, columns=list(PROGRESS_COLUMNS))
    return frame.astype({"cumulative": bool, "provisional_days": "int64", "retired": bool,
                         "judged_weeks": "Int64"})


def progress_rows(
    targets: Targets, site_id: str, week_start: date, history: MetricHistory, today: date,
) -> list[dict[str, object]]:
    """The week's rows of ``mart.kpi_progress`` as records: KGIs first, then KPIs."""
    _check_monday(week_start)
    starts = {g.id: g.start for g in targets.goals}

    def row(goal: Goal) -> dict[str, object]:
        replaced_by = goal.judgement.replaced_by
        return goal_row(goal, history, site_id, week_start, today,
                        starts.get(replaced_by) if replaced_by else None)

    kpi_rows = [row(k) for k in targets.kpis]
    # a replacement not started yet is left out, so splitting a goal leaves past summaries as they were
    replacements = {g.judgement.replaced_by for g in targets.goals if g.judgement.replaced_by}

    def counted(r: dict[str, object]) -> bool:
        waiting = r["item_id"] in replacements and r["status"] == Status.NOT_STARTED.value
        return not r["retired"] and not waiting

    kgi_rows = []
    for kgi in targets.kgis:
        kgi_row = row(kgi)
        summary = kpi_summary([str(r["status"]) for r in kpi_rows if r["kgi_id"] == kgi.id and counted(r)])
        kgi_row["note"] = join([n for n in (summary, kgi_row["note"]) if n])
        kgi_rows.append(kgi_row)
    return kgi_rows + kpi_rows
