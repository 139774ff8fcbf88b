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
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pandas as pd

from kpi_pipeline.catalog import Aggregation, Unit
from kpi_pipeline.kpi import forecast as fc
from kpi_pipeline.kpi.pacing import elapsed_share, expected_total, expected_value, period_weeks
from kpi_pipeline.kpi.status import STATUS_NAMES, Status, evaluate, progress
from kpi_pipeline.kpi.weeks import iso_week_label, monday, same_week_last_year, week_end
from kpi_pipeline.kpi.windows import MetricHistory, WeekValue
from kpi_pipeline.targets.model import Goal, Pacing, Targets

PROGRESS_COLUMNS: tuple[str, ...] = (
    "site_id", "week_start", "iso_week", "kind", "item_id", "kgi_id", "name", "metric_id",
    "phase", "direction", "pacing", "cumulative", "start_date", "deadline", "baseline", "target",
    "expected", "actual", "elapsed_share", "progress", "pace_ratio", "status", "forecast",
    "forecast_low", "forecast_high", "verdict", "provisional_days", "note",
)
DEFAULT_BASELINE_DAYS = 28


def _text(lang: str, ja: str, en: str) -> str:
    return ja if lang == "ja" else en


def final_week(goal: Goal) -> date:
    """Monday of the week judged at the deadline: the last complete week ending by the deadline."""
    last_sunday = goal.deadline - timedelta(days=(goal.deadline.weekday() + 1) % 7)
    candidate = last_sunday - timedelta(days=6)
    return candidate if candidate >= monday(goal.start) else monday(goal.deadline)


def baseline_and_target(goal: Goal, history: MetricHistory) -> tuple[float | None, float | None]:
    """(baseline for the row, target) – both None-safe when the baseline window has no data.

    Weekly: baseline = weekly average (or given value), target = value or baseline × multiplier.
    Cumulative: baseline 0; a multiplier target is "× the baseline's weekly average over a
    period as long as this one".
    """
    weekly_base: float | None
    if goal.baseline is not None and goal.baseline.value is not None:
        weekly_base = goal.baseline.value
    else:
        window = goal.baseline.window if goal.baseline is not None else None
        if window is None:
            window = (goal.start - timedelta(days=DEFAULT_BASELINE_DAYS), goal.start - timedelta(days=1))
        weekly_base = history.weekly_average(goal.metric_id, *window)
    if goal.target.value is not None:
        target: float | None = goal.target.value
    elif weekly_base is None or goal.target.multiplier is None:
        target = None
    elif goal.cumulative:
        target = weekly_base * goal.days / 7 * goal.target.multiplier
    else:
        target = weekly_base * goal.target.multiplier
    return (0.0 if goal.cumulative else weekly_base), target


def _seasonal_shape(goal: Goal, history: MetricHistory) -> list[float | None] | None:
    if goal.pacing is not Pacing.SEASONAL:
        return None
    weeks = period_weeks(goal.start, goal.deadline)
    return history.weekly_values(goal.metric_id, [same_week_last_year(w) for w in weeks])


def _forecast(
    goal: Goal, history: MetricHistory, week_start: date, actual: float, target: float,
) -> dict[str, object]:
    weeks = history.recent_weeks(goal.metric_id, week_start, fc.FIT_WEEKS)
    recent = [v for _, v in weeks]
    if not weeks:
        return {}
    if goal.cumulative:
        left = (goal.deadline - week_end(week_start)).days
        weights = [1.0] * (left // 7) + ([left % 7 / 7] if left % 7 else [])
        found = fc.forecast_total(recent, actual, weights)
    else:
        steps = (final_week(goal) - weeks[-1][0]).days / 7  # from the last complete week
        ceiling = 1.0 if goal.metric.unit is Unit.RATE else None
        found = fc.forecast_value(recent, steps, ceiling=ceiling)
    if found is None:
        return {}
    return {
        "forecast": found.value, "forecast_low": found.low, "forecast_high": found.high,
        "verdict": fc.verdict(found, target, goal.direction),
    }


def weekly_actual(
    goal: Goal, week: WeekValue | None, final: bool, lang: str = "ja",
) -> tuple[float | None, list[str]]:
    """The week's value to compare with a weekly pace, and notes about missing days.

    A count (``sum`` metric: sessions, share events, orders …) from a week with missing days
    (an outage, the first week of data, the current week) is a partial sum, which a full-week
    pace would call off track: it is scaled by 7 / days present. A week with no day of data is
    no data. Ratios are already comparable across week lengths, and user counts are read at
    week grain, so neither is scaled; they only get a note. Cumulative goals never come here
    (a running total is not scaled).
    """
    if week is None:
        return None, []
    days = week.days_present
    if goal.aggregation is Aggregation.SUM:
        if days <= 0:
            return None, []
        if days < 7 and week.value is not None:
            return week.value * 7 / days, [_text(lang, f"欠損日あり: {days}日分から7日分に換算",
                                                   f"{days} of 7 days present: scaled to a week")]
        return week.value, []
    if 0 < days < 7 and not final:
        return week.value, [_text(lang, f"この週のデータは{days}日分のみです",
                                  f"only {days} days of data this week")]
    return week.value, []


def goal_row(
    goal: Goal, history: MetricHistory, site_id: str, week_start: date, today: date, lang: str = "ja",
) -> dict[str, object]:
    """One row of ``mart.kpi_progress`` for one goal and week."""
    end = week_end(week_start)
    notes: list[str] = []
    baseline, target = baseline_and_target(goal, history)
    if target is None and goal.baseline is not None and goal.baseline.window is not None:
        a, b = goal.baseline.window
        notes.append(_text(lang, f"基準期間 {a}〜{b} のデータがないため目標値を計算できません",
                           f"no data in the baseline window {a}..{b}: the target cannot be computed"))
    started, final = end >= goal.start, end >= goal.deadline
    expected = actual = None
    if goal.cumulative:
        at = min(end, goal.deadline)
        if started:
            actual = history.running_total(goal.metric_id, goal.start, at)
        provisional = history.provisional_days(goal.metric_id, goal.start, at)
        if started and target is not None:
            expected, pace_note = expected_total(
                goal.pacing, target, goal.start, goal.deadline, at, _seasonal_shape(goal, history), lang=lang)
            notes += [pace_note] if pace_note else []
    else:
        evaluated = final_week(goal) if final else week_start
        week = history.week(goal.metric_id, evaluated)
        actual, week_notes = weekly_actual(goal, week, final, lang)
        notes += week_notes
        provisional = week.provisional_days if week else 0
        if started and target is not None and baseline is not None:
            at = min(week_end(evaluated), goal.deadline)
            expected, pace_note = expected_value(
                goal.pacing, baseline, target, goal.start, goal.deadline, at,
                _seasonal_shape(goal, history), lang=lang)
            notes += [pace_note] if pace_note else []
    if end >= today:
        notes.append(_text(lang, "この週はまだ終わっていません", "this week is not over yet"))
    status, ratio = evaluate(goal.direction, actual, expected, target, goal.tolerances,
                             goal.start, goal.deadline, end)
    done = None
    if started and actual is not None and target is not None and baseline is not None:
        done = progress(actual, baseline, target)
    row: dict[str, object] = {
        "site_id": site_id, "week_start": week_start, "iso_week": iso_week_label(week_start),
        "kind": goal.kind, "item_id": goal.id, "kgi_id": goal.kgi_id, "name": goal.name,
        "metric_id": goal.metric_id, "phase": goal.phase.value, "direction": goal.direction.value,
        "pacing": goal.pacing.value, "cumulative": goal.cumulative, "start_date": goal.start,
        "deadline": goal.deadline, "baseline": baseline, "target": target, "expected": expected,
        "actual": actual, "elapsed_share": elapsed_share(goal.start, goal.deadline, end),
        "progress": done, "pace_ratio": ratio, "status": status.value, "forecast": None,
        "forecast_low": None, "forecast_high": None, "verdict": None,
        "provisional_days": int(provisional), "note": None,
    }
    if started and not final and actual is not None and target is not None:
        row.update(_forecast(goal, history, week_start, actual, target))
    row["note"] = " / ".join(notes) or None
    return row


def kpi_summary(statuses: list[str], lang: str = "ja") -> str | None:
    """``KPI: 順調 2・未達 1`` – how the KPIs under a KGI stand, in status order (labels from STATUS_NAMES)."""
    counts = Counter(statuses)
    parts = [f"{STATUS_NAMES[s]['ja' if lang == 'ja' else 'en']} {counts[s.value]}"
             for s in Status if counts[s.value]]
    return ("KPI: " + ("・" if lang == "ja" else ", ").join(parts)) if parts else None


def compute_progress(
    targets: Targets,
    site_id: str,
    week_start: date,
    daily: pd.DataFrame,
    weekly: pd.DataFrame,
    today: date,
    *,
    lang: str = "ja",
) -> pd.DataFrame:
    """Rows for ``mart.kpi_progress``: every KGI (with a summary of its KPIs in ``note``) and KPI."""
    if week_start.weekday() != 0:
        raise ValueError(f"week_start {week_start} is not a Monday")
    history = MetricHistory(daily, weekly, site_id)
    kpi_rows = [goal_row(k, history, site_id, week_start, today, lang) for k in targets.kpis]
    kgi_rows = []
    for kgi in targets.kgis:
        row = goal_row(kgi, history, site_id, week_start, today, lang)
        summary = kpi_summary([str(r["status"]) for r in kpi_rows if r["kgi_id"] == kgi.id], lang)
        row["note"] = " / ".join(n for n in (summary, row["note"]) if n) or None
        kgi_rows.append(row)
    frame = pd.DataFrame(kgi_rows + kpi_rows, columns=list(PROGRESS_COLUMNS))
    return frame.astype({"cumulative": bool, "provisional_days": "int64"})
