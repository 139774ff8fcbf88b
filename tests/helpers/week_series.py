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

from kpi_pipeline.kpi.judgement.calibration import weekly_frames

SITE = "demo"


def week_series(first_monday: date, values: Sequence[float]) -> dict[date, float]:
    """``{monday: value}`` for consecutive weeks from ``first_monday``."""
    return {first_monday + timedelta(weeks=i): v for i, v in enumerate(values)}


def frames(
    series: Mapping[str, Mapping[date, float]], trials: Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(daily, weekly) frames holding exactly these weekly values per metric; a ratio's daily
    denominator is ``trials[metric]`` (default 1,000). The calibration backtest builds its
    synthetic histories the same way."""
    return weekly_frames(series, site_id=SITE, trials=trials)
