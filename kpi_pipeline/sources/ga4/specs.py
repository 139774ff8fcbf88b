"""Every GA4 request this pipeline makes, as data: dimensions, metrics, filters, and their columns.

This is the one place to read (or change) what is asked of GA4. The reports produce exactly the
raw tables the demo source produces (``sources/base.py``):

* ``raw.ga4_daily`` ← ``daily_totals`` (site totals per day, users read per day),
  ``daily_returning_users`` (totalUsers of returning users per day), and ``converted_sessions``
  = Σ sessionKeyEventRate × sessions over the rows of ``by_sessionDefaultChannelGroup``
  (the API gives the rate per row only; per-row products summed stay exact).
* ``raw.ga4_by_dimension`` ← one ``by_<dimension>`` report per ``BREAKDOWN_DIMENSIONS``. A metric a
  report does not request is stored as 0: page- and event-scoped dimensions do not carry
  session metrics (see ``BREAKDOWN_METRICS``).
* ``raw.ga4_weekly_users`` ← ``weekly_users`` and ``weekly_returning_users``, one date range per ISO
  week (Monday..Sunday) and no date dimension: users are not additive across days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from google.analytics.data_v1beta.types import (
    DateRange,
    Dimension,
    Filter,
    FilterExpression,
    Metric,
    OrderBy,
    RunReportRequest,
)

from kpi_pipeline.sources.base import BREAKDOWN_DIMENSIONS

MAX_DATE_RANGES = 4  # per request (Data API limit)
MAX_BATCH = 5  # requests per batchRunReports (Data API limit)
MAX_PAGE_ROWS = 250_000  # rows per request (Data API limit)

# GA4 metric api name -> raw column, and whether GA4 reports it as a whole number.
METRIC_COLUMNS: dict[str, str] = {
    "sessions": "sessions",
    "engagedSessions": "engaged_sessions",
    "screenPageViews": "screen_page_views",
    "userEngagementDuration": "user_engagement_duration",
    "eventCount": "event_count",
    "keyEvents": "key_events",
    "totalUsers": "total_users",
    "newUsers": "new_users",
    "sessionKeyEventRate": "session_key_event_rate",
    # served only when the property is linked to Google Ads / Search Console (LINKED_METRICS)
    "advertiserAdClicks": "ad_clicks",
    "advertiserAdImpressions": "ad_impressions",
    "advertiserAdCost": "ad_cost",
    "organicGoogleSearchClicks": "organic_clicks",
    "organicGoogleSearchImpressions": "organic_impressions",
}
INTEGER_METRICS: frozenset[str] = frozenset(
    {"sessions", "engagedSessions", "screenPageViews", "eventCount", "totalUsers", "newUsers",
     "advertiserAdClicks", "advertiserAdImpressions", "organicGoogleSearchClicks",
     "organicGoogleSearchImpressions"}
)
# Metrics of linked products, per report: the Google Ads link gives the advertiser metrics, the
# Search Console link the organic search ones. Each is asked for only when the property's
# metadata lists it (an unlinked property would answer INVALID_ARGUMENT).
LINKED_METRICS: dict[str, tuple[str, ...]] = {
    "daily_ads": ("advertiserAdClicks", "advertiserAdImpressions", "advertiserAdCost"),
    "daily_search": ("organicGoogleSearchClicks", "organicGoogleSearchImpressions"),
}


@dataclass(frozen=True)
class InListFilter:
    """Keep rows whose ``dimension`` is one of ``values`` (exact, case-sensitive)."""

    dimension: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class ReportSpec:
    """One GA4 report: what to ask for. Date ranges and paging are added per request."""

    name: str
    dimensions: tuple[str, ...]
    metrics: tuple[str, ...]
    dimension_filter: InListFilter | None = None

    def request(
        self,
        property_id: str,
        date_ranges: Sequence[tuple[date, date, str]],
        *,
        offset: int = 0,
        limit: int = 100_000,
    ) -> RunReportRequest:
        """The RunReportRequest for one page; rows are ordered by every dimension so pages are stable."""
        if not 1 <= len(date_ranges) <= MAX_DATE_RANGES:
            raise ValueError(f"a request takes 1..{MAX_DATE_RANGES} date ranges")
        request = RunReportRequest(
            property=f"properties/{property_id}",
            dimensions=[Dimension(name=d) for d in self.dimensions],
            metrics=[Metric(name=m) for m in self.metrics],
            date_ranges=[
                DateRange(start_date=start.isoformat(), end_date=end.isoformat(), name=name)
                for start, end, name in date_ranges
            ],
            order_bys=[OrderBy(dimension=OrderBy.DimensionOrderBy(dimension_name=d)) for d in self.dimensions],
            offset=offset,
            limit=min(limit, MAX_PAGE_ROWS),
            return_property_quota=True,
        )
        if self.dimension_filter is not None:
            request.dimension_filter = FilterExpression(
                filter=Filter(
                    field_name=self.dimension_filter.dimension,
                    in_list_filter=Filter.InListFilter(
                        values=list(self.dimension_filter.values), case_sensitive=True
                    ),
                )
            )
        return request


_RETURNING = InListFilter("newVsReturning", ("returning",))
_SESSION_METRICS = ("sessions", "engagedSessions", "screenPageViews", "eventCount", "keyEvents")

DAILY_TOTALS = ReportSpec(
    "daily_totals",
    ("date",),
    ("sessions", "engagedSessions", "screenPageViews", "userEngagementDuration",
     "eventCount", "keyEvents", "totalUsers", "newUsers"),
)
DAILY_RETURNING_USERS = ReportSpec(
    "daily_returning_users", ("date", "newVsReturning"), ("totalUsers",), _RETURNING
)

# Which metrics each breakdown carries. Page- and event-scoped dimensions have no session
# metrics in GA4 (they are incompatible or double count), so their sessions are stored as 0.
BREAKDOWN_METRICS: dict[str, tuple[str, ...]] = {
    "sessionDefaultChannelGroup": (*_SESSION_METRICS, "sessionKeyEventRate"),
    "landingPage": _SESSION_METRICS,
    "pagePath": ("screenPageViews", "eventCount", "keyEvents"),
    "eventName": ("eventCount", "keyEvents"),
    "sessionCampaignName": _SESSION_METRICS,
}
BREAKDOWNS: dict[str, ReportSpec] = {
    dim: ReportSpec(f"by_{dim}", ("date", dim), BREAKDOWN_METRICS[dim]) for dim in BREAKDOWN_DIMENSIONS
}
# The breakdown whose rows also give converted_sessions (Σ rate × sessions per row).
CONVERSION_BREAKDOWN = "sessionDefaultChannelGroup"

# The requests of one ``load_days``, batch by batch: the first (site totals) is read at once,
# the second as the loader consumes breakdown pages. Further pages are single requests.
DAY_BATCHES: tuple[tuple[ReportSpec, ...], ...] = (
    (DAILY_TOTALS, DAILY_RETURNING_USERS, BREAKDOWNS[CONVERSION_BREAKDOWN]),
    tuple(BREAKDOWNS[d] for d in BREAKDOWN_DIMENSIONS if d != CONVERSION_BREAKDOWN),
)

WEEKLY_USERS = ReportSpec("weekly_users", (), ("totalUsers", "newUsers"))
WEEKLY_RETURNING_USERS = ReportSpec(
    "weekly_returning_users", ("newVsReturning",), ("totalUsers",), _RETURNING
)

ALL_REPORTS: tuple[ReportSpec, ...] = (
    DAILY_TOTALS, DAILY_RETURNING_USERS, *BREAKDOWNS.values(), WEEKLY_USERS, WEEKLY_RETURNING_USERS,
)

assert all(len(batch) <= MAX_BATCH for batch in DAY_BATCHES)
assert set(BREAKDOWN_METRICS) == set(BREAKDOWN_DIMENSIONS), "every breakdown needs its metrics"
assert "sessionKeyEventRate" in BREAKDOWN_METRICS[CONVERSION_BREAKDOWN]


def linked_reports(available: set[str]) -> tuple[ReportSpec, ...]:
    """The ads / search reports for the linked metrics in ``available`` (the property's metadata)."""
    return tuple(
        ReportSpec(name, ("date",), tuple(m for m in metrics if m in available))
        for name, metrics in LINKED_METRICS.items()
        if any(m in available for m in metrics)
    )
