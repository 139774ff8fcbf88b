"""Google Ads and Search Console metrics of a GA4 property: asked for only when it has them.

The property's metadata (``getMetadata``) lists the metrics it serves; the advertiser and organic
search metrics appear there only when the property is linked to Google Ads / Search Console.
Days GA4 leaves out of a linked report had none (0); metrics of an unlinked product stay NULL.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from google.analytics.data_v1beta.types import GetMetadataRequest, Metadata

from kpi_pipeline.sources.base import LoadInfo
from kpi_pipeline.sources.ga4.fetch import ReportFetcher, ReportQuery
from kpi_pipeline.sources.ga4.specs import (
    INTEGER_METRICS,
    LINKED_METRICS,
    METRIC_COLUMNS,
    linked_reports,
)

GA4_ADS_DAILY_COLUMNS: tuple[str, ...] = (
    "site_id", "date", "ad_clicks", "ad_impressions", "ad_cost", "organic_clicks", "organic_impressions",
)
ALL_LINKED: tuple[str, ...] = tuple(m for metrics in LINKED_METRICS.values() for m in metrics)


def available_metrics(fetcher: ReportFetcher) -> set[str]:
    """Api names of the linked metrics the property serves, from its metadata."""
    request = GetMetadataRequest(name=f"properties/{fetcher.property_id}/metadata")
    response = fetcher._call(  # same retries and error messages as the reports
        "metadata", lambda: fetcher.client.get_metadata(request, timeout=fetcher.options.timeout))
    names = {m.api_name for m in Metadata.pb(response).metrics}
    return names & set(ALL_LINKED)


def empty_ads_frame(site_id: str, date_from: date, date_to: date) -> pd.DataFrame:
    """One row per day with every linked metric NULL (nothing linked)."""
    days = pd.date_range(date_from, date_to, freq="D")
    frame = pd.DataFrame({"site_id": site_id, "date": np.array(days.date, dtype=object)})
    for metric in ALL_LINKED:
        frame[METRIC_COLUMNS[metric]] = pd.array([None] * len(frame), dtype=_dtype(metric))
    return frame[list(GA4_ADS_DAILY_COLUMNS)]


def _dtype(metric: str) -> str:
    return "Int64" if metric in INTEGER_METRICS else "Float64"


def load_linked_days(
    fetcher: ReportFetcher, to_frame, site_id: str, date_from: date, date_to: date,
) -> tuple[pd.DataFrame, LoadInfo]:
    """``raw.ga4_ads_daily`` rows for [date_from, date_to]; ``to_frame(spec, page)`` converts pages."""
    frame = empty_ads_frame(site_id, date_from, date_to)
    served = available_metrics(fetcher)
    if not served:
        return frame, fetcher.info
    queries = [ReportQuery(spec, [(date_from, date_to, "")]) for spec in linked_reports(served)]
    index = pd.to_datetime(pd.Series(frame["date"]))
    for query, first in zip(queries, fetcher.first_pages(queries), strict=True):
        pages = [to_frame(query.spec, page) for page in fetcher.pages(query, first)]
        answer = pd.concat(pages, ignore_index=True).set_index("date")
        for metric in query.spec.metrics:
            column = METRIC_COLUMNS[metric]
            values = answer[column].groupby(level=0).sum().reindex(index, fill_value=0)
            frame[column] = pd.array(values.to_numpy(), dtype=_dtype(metric))
    return frame, fetcher.info
