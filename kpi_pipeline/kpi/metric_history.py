"""A metric's value over any window of days, aggregated the way DESIGN.md §6 defines it.

Reads frames shaped like ``mart.metrics_daily`` and ``mart.metrics_weekly``. How a window is
aggregated depends on the catalogue's ``aggregation``:

* ``sum`` (sessions, orders …): the sum of the days. A baseline's *weekly average* is
  ``sum / days with data × 7``.
* ``ratio`` (CVR, bounce rate …): ``Σ numerator / Σ denominator`` over the window, never an
  average of daily or weekly values (a quiet day must not weigh as much as a busy one).
* ``users`` (total, new, returning users): users are **not additive** – the same person
  visiting on Monday and Tuesday is one weekly user, not two – so daily counts cannot be
  summed. A window's user count is the mean of the ISO-week values (read from the source at
  week grain) of the weeks inside it: the distinct users of a several-week window are not in
  the marts (summing weeks would count a returning person once a week), and every use of a
  window here – a baseline, a goal's weekly value – wants a *typical week's* users, which the
  mean of the weekly counts is.
* ``last`` and ``mean`` (custom CSV levels such as followers): the window's last value, or
  the mean of its days.
* ``repeat_rate`` (users-based, but a ratio): never a mean of weekly rates (§6: ratios are
  never averaged). It is Σ returning users / Σ total users of the same weeks, both read at
  week grain (the weekly mart's numerator and denominator), so a busy week weighs more than
  a quiet one.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

import pandas as pd

from kpi_pipeline.calendar import monday
from kpi_pipeline.catalog import Aggregation, metric


@dataclass(frozen=True)
class WeekValue:
    """One metric-week: its value, how many days have data, how many are still provisional,
    and a ratio's summed denominator (None for other metrics)."""

    value: float | None
    days_present: int
    provisional_days: int
    denominator: float | None = None

    @property
    def complete(self) -> bool:
        """All 7 days are in, and there is a value: a week forecasts and noise may learn from."""
        return self.value is not None and self.days_present >= 7


def _ts(day: date) -> pd.Timestamp:
    return pd.Timestamp(day)


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


_Answer = TypeVar("_Answer")


def _remembered(method: Callable[..., _Answer]) -> Callable[..., _Answer]:
    """Keep a query's answer on the instance: the frames never change after ``__init__``, and a
    range run asks the same weeks and windows over and over (each of 104 weeks looks back at
    the weeks before it; every week re-reads each goal's baseline window). Answers are floats,
    ``None`` or frozen :class:`WeekValue`: safe to hand out twice."""

    @functools.wraps(method)
    def answer(self: MetricHistory, *args: Any) -> _Answer:
        key = (method.__name__, *args)
        try:
            return self._answers[key]
        except KeyError:
            found = self._answers[key] = method(self, *args)
            return found

    return answer


class MetricHistory:
    """One site's metric rows, indexed by metric and day for fast window lookups."""

    def __init__(
        self, daily: pd.DataFrame, weekly: pd.DataFrame | None = None, site_id: str | None = None,
    ) -> None:
        self._daily = self._split(daily, "date", site_id)
        self._weekly = self._split(weekly, "week_start", site_id) if weekly is not None else {}
        self._answers: dict[tuple[Any, ...], Any] = {}

    @classmethod
    def empty(cls) -> MetricHistory:
        """No history at all (no warehouse yet)."""
        daily = pd.DataFrame(columns=["site_id", "date", "metric_id", "value", "numerator",
                                      "denominator", "is_provisional"])
        return cls(daily)

    @staticmethod
    def _split(frame: pd.DataFrame, key: str, site_id: str | None) -> dict[str, pd.DataFrame]:
        if site_id is not None:
            frame = frame[frame["site_id"] == site_id]
        days = frame[key]
        if not pd.api.types.is_datetime64_any_dtype(days):  # DuckDB's frames already are:
            days = pd.to_datetime(days)  # re-parsing them cost ~0.1 s per week built (demo)
        frame = frame.assign(**{key: days.dt.normalize()})
        return {m: g.sort_values(key).set_index(key) for m, g in frame.groupby("metric_id")}

    def days(self, metric_id: str, start: date, end: date) -> pd.DataFrame:
        """Daily rows of the metric in [start, end]."""
        rows = self._daily.get(metric_id)
        if rows is None:
            return pd.DataFrame(columns=["value", "numerator", "denominator", "is_provisional"])
        return rows.loc[_ts(start):_ts(end)]

    def last_day(self, metric_id: str) -> date | None:
        """The last day the metric has a row (None: never)."""
        rows = self._daily.get(metric_id)
        return None if rows is None or rows.empty else rows.index.max().date()

    def _weeks(self, metric_id: str, start: date, end: date) -> pd.DataFrame:
        rows = self._weekly.get(metric_id)
        if rows is None:
            return pd.DataFrame(columns=["value", "days_present", "provisional_days"])
        return rows.loc[_ts(start):_ts(end)]

    def _ratio(self, rows: pd.DataFrame) -> float | None:
        denominator = rows["denominator"].sum()
        return _finite(rows["numerator"].sum() / denominator) if denominator else None

    @_remembered
    def window_value(self, metric_id: str, start: date, end: date) -> float | None:
        """The metric over [start, end]: sum, recomputed ratio, mean weekly users, Σ/Σ repeat rate,
        or a level's last value or mean."""
        aggregation = metric(metric_id).aggregation
        if aggregation is Aggregation.USERS:
            return self._users(metric_id, start, end)
        rows = self.days(metric_id, start, end)
        if rows.empty:
            return None
        if aggregation is Aggregation.RATIO:
            return self._ratio(rows)
        if aggregation is Aggregation.LAST:  # a level (followers): where it stands at the end
            values = rows["value"].dropna()
            return _finite(values.iloc[-1]) if len(values) else None
        if aggregation is Aggregation.MEAN:
            values = rows["value"].dropna()
            return _finite(values.mean()) if len(values) else None
        return _finite(rows["value"].sum())

    @_remembered
    def weekly_average(self, metric_id: str, start: date, end: date) -> float | None:
        """A baseline: the metric's typical weekly value over [start, end]."""
        aggregation = metric(metric_id).aggregation
        if aggregation is not Aggregation.SUM:
            return self.window_value(metric_id, start, end)
        rows = self.days(metric_id, start, end)
        present = rows["value"].notna().sum()
        return _finite(rows["value"].sum() / present * 7) if present else None

    @_remembered
    def running_total(self, metric_id: str, start: date, end: date) -> float | None:
        """Sum of an additive metric from ``start`` to ``end`` (None when no day has data)."""
        rows = self.days(metric_id, start, end)
        return _finite(rows["value"].sum()) if rows["value"].notna().any() else None

    @_remembered
    def ratio_sums(self, metric_id: str, start: date, end: date) -> tuple[float, float] | None:
        """(Σ numerator, Σ denominator) of a ratio metric's days in [start, end] (None without days)."""
        rows = self.days(metric_id, start, end).dropna(subset=["numerator", "denominator"])
        if rows.empty:
            return None
        return float(rows["numerator"].sum()), float(rows["denominator"].sum())

    @_remembered
    def provisional_days(self, metric_id: str, start: date, end: date) -> int:
        rows = self.days(metric_id, start, end)
        return int(rows["is_provisional"].astype(bool).sum()) if not rows.empty else 0

    def _users_weeks(self, metric_id: str, start: date, end: date) -> pd.DataFrame:
        """Weekly rows of the ISO weeks inside [start, end] (the weeks it overlaps if none is)."""
        first_inside = start + timedelta(days=(7 - start.weekday()) % 7)
        last_inside = end - timedelta(days=(end.weekday() + 1) % 7 + 6)
        weeks = self._weeks(metric_id, first_inside, last_inside)
        if weeks.empty:  # window shorter than a week: the weeks it overlaps
            weeks = self._weeks(metric_id, monday(start), end)
        return weeks

    def _users(self, metric_id: str, start: date, end: date) -> float | None:
        if metric_id == "repeat_rate":
            return self._repeat_rate(start, end)
        values = self._users_weeks(metric_id, start, end)["value"].dropna()
        return _finite(values.mean()) if len(values) else None

    def _repeat_rate(self, start: date, end: date) -> float | None:
        """Σ returning users / Σ total users over the weeks of the window (each read at week grain).

        From the repeat_rate rows' numerator and denominator (as ``mart.metrics_weekly`` writes
        them); without those, from the returning_users and total_users rows of the same weeks.
        """
        weeks = self._users_weeks("repeat_rate", start, end)
        pairs = pd.DataFrame(columns=["numerator", "denominator"], dtype=float)
        if {"numerator", "denominator"} <= set(weeks.columns):
            pairs = weeks[["numerator", "denominator"]].astype(float).dropna()
        if pairs.empty:
            returning = self._users_weeks("returning_users", start, end)["value"]
            total = self._users_weeks("total_users", start, end)["value"]
            pairs = pd.concat({"numerator": returning, "denominator": total}, axis=1).astype(float).dropna()
        denominator = pairs["denominator"].sum()
        return _finite(pairs["numerator"].sum() / denominator) if denominator else None

    @_remembered
    def week(self, metric_id: str, week_start: date) -> WeekValue | None:
        """One ISO week: from the weekly mart, else recomputed from the days (not for users)."""
        rows = self._weekly.get(metric_id)
        ts = _ts(week_start)
        if rows is not None and ts in rows.index:
            row = rows.loc[ts]
            value = row["value"]
            return WeekValue(
                None if pd.isna(value) else float(value),
                int(row["days_present"]), int(row["provisional_days"]),
                _finite(row["denominator"]) if "denominator" in row.index and pd.notna(row["denominator"]) else None,
            )
        days = self.days(metric_id, week_start, week_start + timedelta(days=6))
        if days.empty or metric(metric_id).aggregation is Aggregation.USERS:
            return None
        value = self.window_value(metric_id, week_start, week_start + timedelta(days=6))
        provisional = int(days["is_provisional"].astype(bool).sum())
        denominator = _finite(days["denominator"].sum()) if days["denominator"].notna().any() else None
        return WeekValue(value, len(days), provisional, denominator)

    def week_value(self, metric_id: str, week_start: date) -> float | None:
        found = self.week(metric_id, week_start)
        return found.value if found else None

    def weekly_values(self, metric_id: str, week_starts: Sequence[date]) -> list[float | None]:
        return [self.week_value(metric_id, w) for w in week_starts]

    @_remembered
    def first_week(self, metric_id: str) -> date | None:
        """Monday of the first ISO week with a day (or a weekly row) of the metric."""
        starts = [rows.index.min() for rows in (self._daily.get(metric_id), self._weekly.get(metric_id))
                  if rows is not None and len(rows)]
        return monday(min(starts).date()) if starts else None

    @_remembered
    def last_complete_week(self, metric_id: str) -> date | None:
        """Monday of the newest ISO week with all 7 days of the metric (None without one)."""
        weekly = self._weekly.get(metric_id)
        if weekly is not None and len(weekly):
            complete = weekly[weekly["days_present"] >= 7]
            return complete.index.max().date() if len(complete) else None
        daily = self._daily.get(metric_id)
        if daily is None or not len(daily):
            return None
        newest = daily.index.max().date()
        return monday(newest) if newest.weekday() == 6 else monday(newest) - timedelta(weeks=1)

    @_remembered
    def week_series(self, metric_id: str, last_week_start: date) -> tuple[float, ...]:
        """Every ISO week's value from the metric's first week to ``last_week_start``, oldest
        first; NaN for a week without 7 days of data (what a forecast may learn from)."""
        first = self.first_week(metric_id)
        if first is None or first > last_week_start:
            return ()
        values = []
        for i in range((last_week_start - first).days // 7 + 1):
            week = self.week(metric_id, first + timedelta(weeks=i))
            values.append(float(week.value) if week is not None and week.complete else math.nan)
        return tuple(values)

    def recent_weeks(self, metric_id: str, last_week_start: date, count: int) -> list[tuple[date, float]]:
        """Up to ``count`` complete weeks (7 days of data) ending with ``last_week_start``."""
        return [(start, w.value) for start, w in self._complete_weeks(metric_id, last_week_start, count)]

    def recent_denominators(self, metric_id: str, last_week_start: date, count: int) -> list[float]:
        """The summed denominators of a ratio's :meth:`recent_weeks` (the trials behind a rate)."""
        return [w.denominator for _, w in self._complete_weeks(metric_id, last_week_start, count)
                if w.denominator is not None]

    def _complete_weeks(self, metric_id: str, last_week_start: date, count: int) -> list[tuple[date, WeekValue]]:
        """(Monday, week) of the complete weeks among the ``count`` ending with ``last_week_start``."""
        starts = (last_week_start - timedelta(weeks=i) for i in range(count - 1, -1, -1))
        return [(start, week) for start in starts
                if (week := self.week(metric_id, start)) is not None and week.complete]
