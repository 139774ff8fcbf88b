"""The calendar of the pipeline: ISO weeks (Monday start), the grain of every mart from
kpi_progress on, and the look-back window (which days a run re-reads, which are provisional).

GA4 keeps changing the last ~72 hours. Every run re-reads ``lookback_days`` days before the
days it was asked for and replaces them, so a day loaded while provisional is corrected by the
next run. A day is provisional until it is older than the window: ``day >= today - lookback``.
Pure functions of dates: no Dagster, no settings.
"""

from __future__ import annotations

from datetime import date, timedelta


def monday(day: date) -> date:
    """Monday of the ISO week containing ``day``."""
    return day - timedelta(days=day.weekday())


def week_end(week_start: date) -> date:
    """Sunday of the ISO week starting on ``week_start``."""
    return week_start + timedelta(days=6)


def iso_week_label(day: date) -> str:
    """``2026-11-16`` → ``2026-W47``."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def same_week_last_year(week_start: date) -> date:
    """Monday of the same ISO week number one ISO year earlier (W53 maps to W52)."""
    year, week, _ = week_start.isocalendar()
    weeks_last_year = date(year - 1, 12, 28).isocalendar()[1]
    return date.fromisocalendar(year - 1, min(week, weeks_last_year), 1)


def week_starts_between(first: date, last: date) -> list[date]:
    """Mondays of the ISO weeks from the week containing ``first`` to the one containing ``last``."""
    start = monday(first)
    weeks = []
    while start <= last:
        weeks.append(start)
        start += timedelta(days=7)
    return weeks


def last_complete_week(today: date) -> date:
    """Monday of the last ISO week that ended before ``today``."""
    return monday(today) - timedelta(days=7)

DEFAULT_LOOKBACK_DAYS = 3  # GA4's ~72 hours of changing data


def reload_from(date_from: date, lookback_days: int = DEFAULT_LOOKBACK_DAYS) -> date:
    """First day a run for ``date_from``.. re-reads."""
    if lookback_days < 0:
        raise ValueError("lookback_days must be >= 0")
    return date_from - timedelta(days=lookback_days)


def provisional_since(today: date, lookback_days: int = DEFAULT_LOOKBACK_DAYS) -> date:
    """First provisional day as of ``today`` (in the reporting time zone)."""
    return today - timedelta(days=lookback_days)


def is_provisional(day: date, today: date, lookback_days: int = DEFAULT_LOOKBACK_DAYS) -> bool:
    return day >= provisional_since(today, lookback_days)
