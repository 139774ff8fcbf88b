"""Write Google Ads / Search Console days (through GA4 or the demo) into ``raw.ga4_ads_daily``.

Like the other GA4 tables: the site's days of the range, widened by the look-back window, are
replaced in one transaction and the load is logged in ``meta.runs``.
"""

from __future__ import annotations

from datetime import date
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
    start = reload_from(date_from, lookback_days)
    started = _utcnow()
    frame, info = source.load_ads_days(start, date_to)
    rows = _PageCheck(source.site_id, "date", start, date_to)(_stamped(frame, ADS_COLUMNS, started))
    written = replace_rows(con, ADS_TABLE, rows, "site_id = ? AND date BETWEEN ? AND ?",
                           [source.site_id, start, date_to])
    _record(con, site_id=source.site_id, asset=ADS_TABLE, date_from=start, date_to=date_to,
            rows=written, info=info, requests=info.requests, tokens=info.quota_tokens_used,
            started=started, run_id=run_id)
    return written
