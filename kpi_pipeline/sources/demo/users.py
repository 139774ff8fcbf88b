"""Users read at ISO-week grain: fewer than the sum of the days, because people come back.

GA4 counts a user once per week however many days they visit, so the weekly count lies between
the busiest day and the sum of the seven days. The demo derives it from the week's daily users
with a deduplication factor drawn per (site, week), so repeated calls agree.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from kpi_pipeline.sources.base import GA4_WEEKLY_USERS_COLUMNS
from kpi_pipeline.sources.demo.noise import CounterNoise
from kpi_pipeline.sources.demo.traffic import Stream, Traffic, as_date_objects

TOTAL_DEDUP = 0.80  # weekly users ≈ 80 % of the summed daily users
NEW_DEDUP = 0.95  # a new user is new on one day only; a few are counted on two devices


def week_days(week_starts: list[date]) -> pd.DatetimeIndex:
    """The 7 days of each week, in order (Mondays are required: ISO weeks)."""
    for start in week_starts:
        if start.weekday() != 0:
            raise ValueError(
                f"week start {start.isoformat()} is not a Monday (ISO weeks start on Monday)"
            )
    return pd.DatetimeIndex(
        [pd.Timestamp(start + timedelta(days=i)) for start in week_starts for i in range(7)]
    )


def weekly_users_frame(
    site_id: str, week_starts: list[date], traffic: Traffic, noise: CounterNoise
) -> pd.DataFrame:
    """raw.ga4_weekly_users rows; ``traffic`` holds the 7 days of each week, in order."""
    shape = (len(week_starts), 7)
    total = traffic.total_users.reshape(shape)
    new = traffic.new_users.reshape(shape)
    weeks = pd.DatetimeIndex([pd.Timestamp(w) for w in week_starts])
    o = traffic.ordinals.reshape(shape)[:, 0]
    total_factor = np.clip(TOTAL_DEDUP * noise.factor(o, Stream.WEEK_TOTAL, 0.02), 0.72, 0.88)
    new_factor = np.clip(NEW_DEDUP * noise.factor(o, Stream.WEEK_NEW, 0.01), 0.9, 0.99)
    week_total = np.clip(
        np.round(total.sum(axis=1) * total_factor), total.max(axis=1), total.sum(axis=1)
    )
    week_new = np.clip(np.round(new.sum(axis=1) * new_factor), new.max(axis=1), new.sum(axis=1))
    week_new = np.minimum(week_new, week_total)
    frame = pd.DataFrame(
        {
            "site_id": site_id,
            "week_start": as_date_objects(weeks),
            "total_users": week_total.astype(np.int64),
            "new_users": week_new.astype(np.int64),
            "returning_users": (week_total - week_new).astype(np.int64),
        }
    )
    return frame[list(GA4_WEEKLY_USERS_COLUMNS)]
