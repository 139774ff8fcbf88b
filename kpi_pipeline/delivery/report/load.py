"""Read one site's ISO week from the marts into a :class:`ReportData` (no rendering here)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from kpi_pipeline.checks.rules import Window, goal_missing_days
from kpi_pipeline.delivery.report.model import (
    Anomaly,
    ChangedDay,
    DoCheck,
    FunnelStage,
    GoalDriver,
    GoalGap,
    LoadFlags,
    MeasureEffect,
    PacePoint,
    PhaseMetric,
    ProgressItem,
    ReportData,
    WeeklyValue,
    phase_key,
)
from kpi_pipeline.delivery.report.view.shared import TREND_WEEKS
from kpi_pipeline.warehouse.catalog_table import register_site_metrics

_MEASURES_SQL = """
SELECT measure_id, measure_name, kpi_id, metric_id, measure_start, measure_end, before_value,
       after_value, change, noise, verdict, expected_value, effect, effect_limit, control_site
FROM mart.measure_effects
WHERE site_id = ? AND week_start = ?
ORDER BY measure_start, measure_id, kpi_id
"""
_DO_CHECK_SQL = """
SELECT d.measure_id, d.measure_name, d.kpi_id, d.planned, d.done, d.unit, d.do_met, d.kpi_status,
       d.quadrant
FROM mart.do_check d
LEFT JOIN mart.measure_effects e USING (site_id, week_start, measure_id, kpi_id)
WHERE d.site_id = ? AND d.week_start = ?
ORDER BY e.measure_start, d.measure_id, d.kpi_id
"""
_PROGRESS_SQL = """
SELECT kind, item_id, kgi_id, name, metric_id, phase, direction, pacing, cumulative,
       start_date, deadline, baseline, target, expected, actual, elapsed_share, progress,
       pace_ratio, status, forecast, forecast_low, forecast_high, verdict, provisional_days, note,
       goal_kind, expected_progress, noise, judgement, judged_weeks, coalesce(retired, FALSE) AS retired,
       p_reach, needed_per_week, recent_per_week
FROM mart.kpi_progress
WHERE site_id = ? AND week_start = ?
"""
_HISTORY_SQL = """
SELECT kind, item_id, week_start, expected, actual
FROM mart.kpi_progress
WHERE site_id = ? AND week_start <= ?
ORDER BY week_start
"""
_AARRR_SQL = """
SELECT metric_id, phase, value, prev_week_value, last_year_value, wow_change_pct, wow_change_pt,
       yoy_change_pct, yoy_change_pt
FROM mart.aarrr_weekly
WHERE site_id = ? AND week_start = ?
ORDER BY phase_order, metric_id
"""
_TREND_SQL = """
SELECT week_start, metric_id, value
FROM mart.metrics_weekly
WHERE site_id = ? AND week_start BETWEEN ? AND ?
ORDER BY week_start, metric_id
"""
_WEEK_COVERAGE_SQL = """
SELECT max(days_present), max(provisional_days)
FROM mart.metrics_weekly
WHERE site_id = ? AND week_start = ?
"""
_PROVISIONAL_SQL = """
SELECT DISTINCT date
FROM mart.metrics_daily
WHERE site_id = ? AND date BETWEEN ? AND ? AND is_provisional
ORDER BY date
"""
_FUNNEL_SQL = """
SELECT f.kgi_id, f.stage, f.stage_order, f.rate_to_next, f.required_total, f.required_to_date,
       f.actual_to_date, f.attainment, f.is_bottleneck, f.remaining_weeks, f.needed_per_week,
       f.actual_rate, f.remaining_need, f.bottleneck_reason, f.observed_need,
       f.observed_need_per_week, p.is_bottleneck AS was_bottleneck
FROM mart.funnel_plan AS f
LEFT JOIN mart.funnel_plan AS p
  ON p.site_id = f.site_id AND p.kgi_id = f.kgi_id AND p.stage = f.stage
 AND p.week_start = f.week_start - INTERVAL 7 DAY
WHERE f.site_id = ? AND f.week_start = ?
ORDER BY f.kgi_id, f.stage_order
"""
_DRIVERS_SQL = """
SELECT item_id, comparison, kind, driver, value_from, value_to, contribution, driver_from, driver_to
FROM mart.goal_drivers
WHERE site_id = ? AND week_start = ?
ORDER BY item_id, comparison, kind, abs(contribution) DESC, driver
"""
_ANOMALY_SQL = """
SELECT metric_id, value, median, robust_z, kind
FROM mart.metric_anomalies
WHERE site_id = ? AND week_start = ?
ORDER BY abs(robust_z) DESC
"""
# Changes to days before the week found by loads covering the week: first old, last new value.
_CHANGED_DAYS_SQL = """
SELECT c.asset, c.date, c.field, first(c.change ORDER BY c.changed_at) AS change,
       first(c.old_value ORDER BY c.changed_at) AS old_value,
       last(c.new_value ORDER BY c.changed_at) AS new_value
FROM meta.changed_days AS c
JOIN meta.runs AS r ON r.load_id = c.load_id
WHERE c.site_id = ? AND r.date_from <= ? AND r.date_to >= ? AND c.date < ?
GROUP BY c.asset, c.date, c.field
HAVING first(c.old_value ORDER BY c.changed_at) IS DISTINCT FROM last(c.new_value ORDER BY c.changed_at)
ORDER BY c.asset, c.date, c.field
"""
_RUNS_SQL = """
SELECT source, asset, date_from, date_to, sampled, thresholded, data_loss_from_other_row,
       finished_at
FROM meta.runs
WHERE site_id = ? AND date_from <= ? AND date_to >= ? AND status IS DISTINCT FROM 'failed'
ORDER BY finished_at DESC
"""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _rows_if_built(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """Rows of a table newer than the warehouse (a report read-only from a warehouse the
    current code has not run on yet): none, rather than an error."""
    try:
        return _rows(con, sql, params)
    except (duckdb.CatalogException, duckdb.BinderException):
        return []


def _days(start: date, end: date) -> set[date]:
    return {start + timedelta(days=i) for i in range((end - start).days + 1)}


def current_loads(rows: list[dict[str, Any]], week_start: date) -> tuple[LoadFlags, ...]:
    """Loads whose data for the week is still in use: a later load of the same asset covering
    the same days replaces an earlier one (and its flags). ``rows`` are newest first."""
    week = _days(week_start, week_start + timedelta(days=6))
    covered: dict[str, set[date]] = {}
    kept = []
    for r in rows:
        days = _days(r["date_from"], r["date_to"]) & week
        seen = covered.setdefault(r["asset"], set())
        if days - seen:
            kept.append(LoadFlags(
                source=r["source"], asset=r["asset"], date_from=max(r["date_from"], week_start),
                date_to=min(r["date_to"], week_start + timedelta(days=6)),
                sampled=bool(r["sampled"]), thresholded=bool(r["thresholded"]),
                data_loss_from_other_row=bool(r["data_loss_from_other_row"]),
            ))
        seen |= days
    return tuple(sorted(kept, key=lambda f: (f.asset, f.date_from)))


def load_report_data(
    con: duckdb.DuckDBPyConnection,
    site_id: str,
    week_start: date,
    *,
    site_label: str | None = None,
    trend_weeks: int = TREND_WEEKS,
    generated_at: datetime | None = None,
    timezone: str = "Asia/Tokyo",
) -> ReportData:
    """Everything the report for ``site_id`` and the ISO week starting ``week_start`` shows.

    ``generated_at`` (the report's 作成日時) defaults to now in ``timezone``, the reporting
    time zone (``KPI_TIMEZONE``), whatever the server's own zone is.
    """
    zone = ZoneInfo(timezone)  # an unknown zone fails here, before any query
    generated_at = generated_at or datetime.now(zone)
    if week_start.weekday() != 0:
        raise ValueError(f"week_start must be a Monday (ISO week start), got {week_start}")
    week_end = week_start + timedelta(days=6)
    key = [site_id, week_start]
    register_site_metrics(con, site_id)  # names and units of the site's custom metrics

    history: dict[tuple[str, str], list[PacePoint]] = {}
    for r in _rows(con, _HISTORY_SQL, key):
        history.setdefault((r["kind"], r["item_id"]), []).append(
            PacePoint(r["week_start"], r["expected"], r["actual"])
        )
    items = []
    for r in _rows(con, _PROGRESS_SQL, key):
        r["cumulative"] = bool(r["cumulative"])
        r["provisional_days"] = int(r["provisional_days"] or 0)
        r["goal_kind"], r["retired"] = r["goal_kind"] or "reach", bool(r["retired"])
        points = [p for p in history.get((r["kind"], r["item_id"]), [])
                  if p.week_start >= r["start_date"] - timedelta(days=6)]
        items.append(ProgressItem(**r, history=tuple(points)))
    items.sort(key=lambda i: (i.kind != "kgi", phase_key(i.phase), i.item_id))

    coverage = con.execute(_WEEK_COVERAGE_SQL, key).fetchone() or (None, None)
    days_present, weekly_provisional = coverage
    provisional = tuple(
        r["date"] for r in _rows(con, _PROVISIONAL_SQL, [site_id, week_start, week_end])
    )
    item_provisional = max((i.provisional_days for i in items), default=0)

    return ReportData(
        site_id=site_id,
        week_start=week_start,
        items=tuple(items),
        phase_metrics=tuple(PhaseMetric(**r) for r in _rows(con, _AARRR_SQL, key)),
        trend=tuple(
            WeeklyValue(**r) for r in _rows(
                con, _TREND_SQL,
                [site_id, week_start - timedelta(weeks=trend_weeks - 1), week_start],
            )
        ),
        funnel=tuple(
            FunnelStage(**{**r, "is_bottleneck": bool(r["is_bottleneck"]),
                            "was_bottleneck": None if r["was_bottleneck"] is None else bool(r["was_bottleneck"])})
            for r in _rows(con, _FUNNEL_SQL, key)
        ),
        anomalies=tuple(Anomaly(**r) for r in _rows(con, _ANOMALY_SQL, key)),
        previous_anomalies=tuple(
            Anomaly(**r) for r in _rows(con, _ANOMALY_SQL, [site_id, week_start - timedelta(weeks=1)])),
        drivers=tuple(GoalDriver(**r) for r in _rows(con, _DRIVERS_SQL, key)),
        loads=current_loads(_rows(con, _RUNS_SQL, [site_id, week_end, week_start]), week_start),
        provisional_dates=provisional,
        provisional_days=max(len(provisional), int(weekly_provisional or 0), item_provisional),
        missing_days=0 if days_present is None else max(0, 7 - int(days_present)),
        site_label=site_label,
        generated_at=generated_at,
        measures=tuple(MeasureEffect(**r) for r in _rows_if_built(con, _MEASURES_SQL, key)),
        do_checks=tuple(DoCheck(**{**r, "do_met": bool(r["do_met"])})
                        for r in _rows_if_built(con, _DO_CHECK_SQL, key)),
        changed_days=tuple(ChangedDay(**r) for r in _rows_if_built(
            con, _CHANGED_DAYS_SQL, [site_id, week_end, week_start, week_start])),
        goal_gaps=goal_gaps(con, site_id, week_start, generated_at.date()),
    )


def goal_gaps(con: duckdb.DuckDBPyConnection, site_id: str, week_start: date, today: date) -> tuple[GoalGap, ...]:
    """Days missing inside the week's goals' periods: the ``goal_days_loaded`` check's query."""
    window = Window(sites=(site_id,), date_from=week_start, date_to=week_start + timedelta(days=6),
                    today=today)
    try:
        found = goal_missing_days(con, window)
    except (duckdb.CatalogException, duckdb.BinderException):  # a warehouse older than the code
        return ()
    return tuple(GoalGap(item_id=v.values["item_id"], name=v.values["name"],
                         source_table=v.values["source_table"],
                         custom_metrics=v.values["custom_metrics"],
                         missing_dates=tuple(v.values["missing_dates"])) for v in found)
