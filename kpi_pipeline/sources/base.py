"""The contract every web-analytics source keeps, so that everything downstream is unchanged.

A source returns pandas frames whose columns are exactly those of the raw tables in ``sql/raw``
(without ``loaded_at``, which the loader stamps), plus a :class:`LoadInfo` saying how the data
was obtained. Large results come as an iterator of frames (one per API page) so memory stays
bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import pandas as pd

GA4_DAILY_COLUMNS: tuple[str, ...] = (
    "site_id", "date", "sessions", "engaged_sessions", "screen_page_views",
    "user_engagement_duration", "event_count", "key_events", "converted_sessions",
    "total_users", "new_users", "returning_users",
)
GA4_BY_DIMENSION_COLUMNS: tuple[str, ...] = (
    "site_id", "date", "dimension", "dimension_value", "sessions", "engaged_sessions",
    "screen_page_views", "event_count", "key_events",
)
GA4_WEEKLY_USERS_COLUMNS: tuple[str, ...] = (
    "site_id", "week_start", "total_users", "new_users", "returning_users",
)
CRM_DAILY_COLUMNS: tuple[str, ...] = (
    "site_id", "date", "leads", "appointments", "deals", "orders", "revenue",
)

# Dimensions broken down in raw.ga4_by_dimension (GA4 api names).
BREAKDOWN_DIMENSIONS: tuple[str, ...] = (
    "sessionDefaultChannelGroup", "landingPage", "pagePath", "eventName", "sessionCampaignName",
)


@dataclass
class LoadInfo:
    """How a load went: recorded per load in ``meta.runs`` and shown as data notes."""

    source: str
    requests: int = 0
    quota_tokens_used: int | None = None
    sampled: bool = False
    thresholded: bool = False
    data_loss_from_other_row: bool = False
    property_time_zone: str | None = None
    currency: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class DailyLoad:
    """Raw rows for a range of days: site totals, and dimension breakdowns as pages of rows."""

    ga4_daily: pd.DataFrame
    ga4_by_dimension: Iterator[pd.DataFrame]
    info: LoadInfo


class WebAnalyticsSource(Protocol):
    """GA4 and the demo generator both implement this."""

    site_id: str

    def load_days(self, date_from: date, date_to: date) -> DailyLoad:
        """Site totals and dimension breakdowns for every day in [date_from, date_to]."""
        ...

    def load_weekly_users(self, week_starts: list[date]) -> tuple[pd.DataFrame, LoadInfo]:
        """User counts read at ISO-week grain for each Monday given."""
        ...
