"""``GA4Source``: the GA4 Data API as a :class:`WebAnalyticsSource` (same raw tables as the demo).

Requests per ``load_days``: one batch for the site totals (daily totals, daily returning users,
the channel breakdown that gives converted sessions), one batch for the other breakdowns, plus
one request per further page of any report (``specs.DAY_BATCHES``). Breakdown pages are fetched
as the loader consumes ``DailyLoad.ga4_by_dimension``, one page ahead in a background thread,
so memory holds a few pages, never a whole property.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.protobuf.message import Message

from kpi_pipeline.sources.base import (
    GA4_BY_DIMENSION_COLUMNS,
    GA4_DAILY_COLUMNS,
    GA4_WEEKLY_USERS_COLUMNS,
    DailyLoad,
    LoadInfo,
)
from kpi_pipeline.sources.ga4.errors import GA4DataError
from kpi_pipeline.sources.ga4.fetch import FetchOptions, ReportFetcher, ReportQuery
from kpi_pipeline.sources.ga4.frames import date_array, metric_array, raw_columns
from kpi_pipeline.sources.ga4.prefetch import prefetch
from kpi_pipeline.sources.ga4.specs import (
    CONVERSION_BREAKDOWN,
    DAILY_RETURNING_USERS,
    DAILY_TOTALS,
    DAY_BATCHES,
    MAX_DATE_RANGES,
    METRIC_COLUMNS,
    WEEKLY_RETURNING_USERS,
    WEEKLY_USERS,
    ReportSpec,
)

SOURCE_NAME = "ga4"
_BY_DIMENSION_METRICS = GA4_BY_DIMENSION_COLUMNS[4:]  # sessions .. key_events


class GA4Source:
    """One GA4 property read through the official client; ``site_id`` defaults to the property id."""

    source_name = SOURCE_NAME

    def __init__(
        self,
        client: BetaAnalyticsDataClient,
        property_id: str,
        *,
        site_id: str | None = None,
        expected_timezone: str | None = None,
        options: FetchOptions | None = None,
    ) -> None:
        property_id = str(property_id).strip().removeprefix("properties/")
        if not property_id.isdigit():
            raise ValueError(f"GA4_PROPERTY_ID must be the numeric property id, not {property_id!r}")
        self.client = client
        self.property_id = property_id
        self.site_id = site_id or property_id
        self.expected_timezone = expected_timezone
        self.options = options or FetchOptions()

    def _fetcher(self, info: LoadInfo) -> ReportFetcher:
        return ReportFetcher(
            self.client, self.property_id, info, self.options, expected_timezone=self.expected_timezone
        )

    def load_days(self, date_from: date, date_to: date) -> DailyLoad:
        """Site totals for every day in range now; breakdown pages as the iterator is consumed."""
        if date_from > date_to:
            raise ValueError(f"date_from {date_from} is after date_to {date_to}")
        info = LoadInfo(source=SOURCE_NAME)
        fetcher = self._fetcher(info)
        ranges = [(date_from, date_to, "")]
        queries = [ReportQuery(spec, ranges) for spec in DAY_BATCHES[0]]
        totals_first, returning_first, channel_first = fetcher.first_pages(queries)

        totals = pd.concat(
            [self._frame(DAILY_TOTALS, p) for p in fetcher.pages(queries[0], totals_first)],
            ignore_index=True,
        )
        returning = pd.concat(
            [self._frame(DAILY_RETURNING_USERS, p) for p in fetcher.pages(queries[1], returning_first)],
            ignore_index=True,
        )
        channel_pages = [self._frame(queries[2].spec, p) for p in fetcher.pages(queries[2], channel_first)]
        daily = _daily_frame(self.site_id, totals, returning, channel_pages)
        # the next breakdown page is fetched and converted while the loader inserts this one
        by_dimension = prefetch(self._by_dimension(fetcher, ranges, channel_pages))
        return DailyLoad(ga4_daily=daily, ga4_by_dimension=by_dimension, info=info)

    def _by_dimension(
        self, fetcher: ReportFetcher, ranges: list[tuple[date, date, str]], channel_pages: list[pd.DataFrame]
    ) -> Iterator[pd.DataFrame]:
        for frame in channel_pages:
            yield _breakdown_frame(self.site_id, CONVERSION_BREAKDOWN, frame)
        channel_pages.clear()
        queries = [ReportQuery(spec, ranges) for spec in DAY_BATCHES[1]]
        firsts: list[Message | None] = list(fetcher.first_pages(queries))
        for i, query in enumerate(queries):
            pages = fetcher.pages(query, firsts[i])
            firsts[i] = None  # each page is dropped as soon as it is converted
            dimension = query.spec.dimensions[1]
            for page in pages:
                frame = _breakdown_frame(self.site_id, dimension, self._frame(query.spec, page))
                del page
                yield frame

    def load_ads_days(self, date_from: date, date_to: date) -> tuple[pd.DataFrame, LoadInfo]:
        """Google Ads and Search Console metrics per day, if the property is linked (else NULL)."""
        from kpi_pipeline.sources.ga4.linked import load_linked_days

        info = LoadInfo(source=SOURCE_NAME)
        return load_linked_days(self._fetcher(info), self._frame, self.site_id, date_from, date_to)

    def load_weekly_users(self, week_starts: list[date]) -> tuple[pd.DataFrame, LoadInfo]:
        """Users of whole ISO weeks read at week grain: 4 weeks per request, requests batched."""
        weeks = sorted(set(week_starts))
        for monday in weeks:
            if monday.isoweekday() != 1:
                raise ValueError(f"week start {monday} is not a Monday")
        info = LoadInfo(source=SOURCE_NAME)
        fetcher = self._fetcher(info)
        queries: list[ReportQuery] = []
        for start in range(0, len(weeks), MAX_DATE_RANGES):
            ranges = [(m, m + timedelta(days=6), m.isoformat()) for m in weeks[start : start + MAX_DATE_RANGES]]
            queries += [ReportQuery(WEEKLY_USERS, ranges), ReportQuery(WEEKLY_RETURNING_USERS, ranges)]
        firsts = fetcher.first_pages(queries) if queries else []
        users, returning = [], []
        for query, first in zip(queries, firsts, strict=True):
            for page in fetcher.pages(query, first):
                frame = _with_week(self._frame(query.spec, page), query.date_ranges)
                (users if query.spec is WEEKLY_USERS else returning).append(frame)
        return _weekly_frame(self.site_id, users, returning), info

    def _frame(self, spec: ReportSpec, page: Message) -> pd.DataFrame:
        """A page as a frame: dimensions by api name (date parsed), metrics by raw column name."""
        columns = raw_columns(page)
        missing = [name for name in (*spec.dimensions, *spec.metrics) if name not in columns]
        if missing:
            raise GA4DataError(f"GA4 report {spec.name} came back without {', '.join(missing)}")
        data: dict[str, object] = {}
        for name, values in columns.items():
            if name == "date":
                data[name] = date_array(values)
            elif name in METRIC_COLUMNS:
                data[METRIC_COLUMNS[name]] = metric_array(name, values)
            else:
                data[name] = np.array(values, dtype=object)
        return pd.DataFrame(data, copy=False)


def _daily_frame(
    site_id: str, totals: pd.DataFrame, returning: pd.DataFrame, channel_pages: Sequence[pd.DataFrame]
) -> pd.DataFrame:
    daily = totals.drop_duplicates("date", keep="last").set_index("date")
    returning_users = returning.groupby("date")["total_users"].sum()
    converted = pd.Series(dtype="float64")
    if channel_pages:
        channel = pd.concat(channel_pages, ignore_index=True)
        converted = (channel["session_key_event_rate"] * channel["sessions"]).groupby(channel["date"]).sum()
    daily["returning_users"] = returning_users.reindex(daily.index, fill_value=0).astype("int64")
    daily["converted_sessions"] = converted.reindex(daily.index, fill_value=0.0).astype("float64")
    daily = daily.reset_index()
    daily["site_id"] = site_id
    return daily.loc[:, list(GA4_DAILY_COLUMNS)].sort_values("date", ignore_index=True)


def _breakdown_frame(site_id: str, dimension: str, page: pd.DataFrame) -> pd.DataFrame:
    n = len(page)
    data: dict[str, object] = {
        "site_id": np.full(n, site_id, dtype=object),
        "date": page["date"].to_numpy(),
        "dimension": np.full(n, dimension, dtype=object),
        "dimension_value": page[dimension].to_numpy(),
    }
    for column in _BY_DIMENSION_METRICS:
        if column in page:
            data[column] = page[column].to_numpy()
        else:  # not requested for this dimension (see specs.BREAKDOWN_METRICS)
            data[column] = np.zeros(n, dtype="float64" if column == "key_events" else "int64")
    return pd.DataFrame(data, columns=list(GA4_BY_DIMENSION_COLUMNS), copy=False)


def _with_week(frame: pd.DataFrame, ranges: Sequence[tuple[date, date, str]]) -> pd.DataFrame:
    """Name each row's week: GA4 adds a ``dateRange`` dimension when a request has several ranges."""
    by_name = {name: start for start, _, name in ranges}
    if "dateRange" in frame:
        unknown = set(frame["dateRange"]) - set(by_name)
        if unknown:
            raise GA4DataError("GA4 answered with a date range that was not asked for")
        weeks = frame["dateRange"].map(by_name)
    elif len(ranges) == 1:
        weeks = pd.Series([ranges[0][0]] * len(frame), index=frame.index, dtype=object)
    else:
        raise GA4DataError("GA4 answered a multi-week request without the dateRange dimension")
    return frame.assign(week_start=pd.to_datetime(weeks))


def _weekly_frame(site_id: str, users: list[pd.DataFrame], returning: list[pd.DataFrame]) -> pd.DataFrame:
    if not users:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in GA4_WEEKLY_USERS_COLUMNS})
    weekly = pd.concat(users, ignore_index=True).drop_duplicates("week_start", keep="last")
    weekly = weekly.set_index("week_start")
    ret = pd.concat(returning, ignore_index=True) if returning else pd.DataFrame(columns=["week_start", "total_users"])
    returning_users = ret.groupby("week_start")["total_users"].sum()
    weekly["returning_users"] = returning_users.reindex(weekly.index, fill_value=0).astype("int64")
    weekly = weekly.reset_index()
    weekly["site_id"] = site_id
    return weekly.loc[:, list(GA4_WEEKLY_USERS_COLUMNS)].sort_values("week_start", ignore_index=True)
