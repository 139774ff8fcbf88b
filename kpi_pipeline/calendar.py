"""ISO weeks (Monday start), the grain of every mart from kpi_progress on."""

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
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks
