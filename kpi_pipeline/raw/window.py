"""The look-back window: which days a run re-reads, and which days are still provisional.

GA4 keeps changing the last ~72 hours. Every run re-reads ``lookback_days`` days before the
days it was asked for and replaces them, so a day loaded while provisional is corrected by the
next run. A day is provisional until it is older than the window: ``day >= today - lookback``.
"""

from __future__ import annotations

from datetime import date, timedelta

DEFAULT_LOOKBACK_DAYS = 3


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
