"""Write Google Ads / Search Console days (through GA4 or the demo) into ``raw.ga4_ads_daily``.

Like the other GA4 tables: the site's days of the range, widened by the look-back window, are
replaced in one transaction and the load is logged in ``meta.runs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

import duckdb
import pandas as pd

from kpi_pipeline.calendar import reload_from
from kpi_pipeline.raw.load import _PageCheck, _record, _stamped, _utcnow
from kpi_pipeline.sources.base import LoadInfo
from kpi_pipeline.warehouse import replace_rows

ADS_TABLE = "raw.ga4_ads_daily"
ADS_COLUMNS: tuple[str, ...] = (
    "site_id", "date", "ad_clicks", "ad_impressions", "ad_cost", "organic_clicks", "organic_impressions",
)


class AdsSource(Protocol):
    site_id: str

    def load_ads_days(self, date_from: date, date_to: date) -> tuple[pd.DataFrame, LoadInfo]: ...


@dataclass
class FetchedAds:
    """A site's ads and search days, read but not yet written."""

    site_id: str
    date_from: date
    date_to: date
    frame: pd.DataFrame
    info: LoadInfo
    started: datetime


def fetch_ads_days(source: AdsSource, date_from: date, date_to: date, *,
                   lookback_days: int = 0) -> FetchedAds:
    """Ask the source for the (widened) range; no DuckDB here, so it can run in a thread."""
    start = reload_from(date_from, lookback_days)
    started = _utcnow()
    frame, info = source.load_ads_days(start, date_to)
    return FetchedAds(source.site_id, start, date_to, frame, info, started)


def write_ads_days(con: duckdb.DuckDBPyConnection, fetched: FetchedAds, *,
                   run_id: str | None = None) -> int:
    """Replace the site's ``raw.ga4_ads_daily`` rows of the fetched range; rows written."""
    site_id, start, date_to, info = fetched.site_id, fetched.date_from, fetched.date_to, fetched.info
    rows = _PageCheck(site_id, "date", start, date_to)(_stamped(fetched.frame, ADS_COLUMNS, fetched.started))
    written = replace_rows(con, ADS_TABLE, rows, "site_id = ? AND date BETWEEN ? AND ?",
                           [site_id, start, date_to])
    _record(con, site_id=site_id, asset=ADS_TABLE, date_from=start, date_to=date_to,
            rows=written, info=info, requests=info.requests, tokens=info.quota_tokens_used,
            started=fetched.started, run_id=run_id)
    return written


def load_ads_days(
    con: duckdb.DuckDBPyConnection,
    source: AdsSource,
    date_from: date,
    date_to: date,
    *,
    lookback_days: int = 0,
    run_id: str | None = None,
) -> int:
    """Replace the site's ``raw.ga4_ads_daily`` rows of the (widened) range; rows written."""
    fetched = fetch_ads_days(source, date_from, date_to, lookback_days=lookback_days)
    return write_ads_days(con, fetched, run_id=run_id)
