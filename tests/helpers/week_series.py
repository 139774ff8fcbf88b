"""``mart.metrics_daily`` / ``mart.metrics_weekly`` frames from weekly values, for status tests.

A count's week is spread evenly over its seven days (Σ = the weekly value); a rate's week is
``value × 1000 / 1000`` every day (Σ/Σ = the weekly value; ``trials`` sets another daily
denominator, the sessions or leads behind the rate, whose binomial noise the Check allows
for), so a test can state its fixture as the weekly numbers a marketer would read and work the
expectations out by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import pandas as pd

from kpi_pipeline.catalog import METRICS_BY_ID, Aggregation

SITE = "demo"
DAILY_COLUMNS = ["site_id", "date", "metric_id", "value", "numerator", "denominator", "is_provisional"]
WEEKLY_COLUMNS = ["site_id", "week_start", "iso_week", "metric_id", "value", "numerator", "denominator",
                  "days_present", "provisional_days"]


def week_series(first_monday: date, values: Sequence[float]) -> dict[date, float]:
    """``{monday: value}`` for consecutive weeks from ``first_monday``."""
    return {first_monday + timedelta(weeks=i): v for i, v in enumerate(values)}


def frames(
    series: Mapping[str, Mapping[date, float]], trials: Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(daily, weekly) frames holding exactly these weekly values per metric; a ratio's daily
    denominator is ``trials[metric]`` (default 1,000)."""
    daily, weekly = [], []
    for metric_id, weeks in series.items():
        ratio = METRICS_BY_ID[metric_id].aggregation is Aggregation.RATIO
        per_day = float((trials or {}).get(metric_id, 1000.0))
        for monday, value in weeks.items():
            for i in range(7):
                day = monday + timedelta(days=i)
                if ratio:
                    daily.append((SITE, day, metric_id, value, value * per_day, per_day, False))
                else:
                    daily.append((SITE, day, metric_id, value / 7, value / 7, None, False))
            year, week, _ = monday.isocalendar()
            weekly.append((SITE, monday, f"{year}-W{week:02d}", metric_id, value,
                           value * 7 * per_day if ratio else value, 7 * per_day if ratio else None, 7, 0))
    return pd.DataFrame(daily, columns=DAILY_COLUMNS), pd.DataFrame(weekly, columns=WEEKLY_COLUMNS)
