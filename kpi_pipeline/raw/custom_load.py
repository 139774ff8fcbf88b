"""Write custom CSV metrics into ``raw.custom_daily``, one site and range of days at a time.

Like the CRM export: the site's rows of the range are replaced in one transaction (a failure
leaves the previous rows), and the load is logged in ``meta.runs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from kpi_pipeline.raw.load import _PageCheck, _record, _stamped, _utcnow
from kpi_pipeline.sources.base import LoadInfo
from kpi_pipeline.sources.custom import read_metric_csv
from kpi_pipeline.sources.custom.csv_file import CUSTOM_DAILY_COLUMNS
from kpi_pipeline.targets.model import CsvMetric
from kpi_pipeline.warehouse import replace_rows

CUSTOM_TABLE = "raw.custom_daily"


def read_csv_metrics(metrics: Sequence[CsvMetric], site_id: str, date_from: date, date_to: date) -> pd.DataFrame:
    """Every CSV metric's rows in [date_from, date_to]; a bad file raises its own error."""
    frames = [read_metric_csv(Path(m.path), m.column, m.metric_id, site_id) for m in metrics]
    if not frames:
        return pd.DataFrame(columns=list(CUSTOM_DAILY_COLUMNS))
    frame = pd.concat(frames, ignore_index=True)
    days = pd.to_datetime(frame["date"]).dt.date
    return frame[(days >= date_from) & (days <= date_to)].reset_index(drop=True)


def load_custom_days(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    site_id: str,
    date_from: date,
    date_to: date,
    *,
    run_id: str | None = None,
) -> int:
    """Replace the site's ``raw.custom_daily`` rows of ``date_from``..``date_to``; rows written."""
    started = _utcnow()
    rows = _PageCheck(site_id, "date", date_from, date_to)(_stamped(frame, CUSTOM_DAILY_COLUMNS, started))
    written = replace_rows(con, CUSTOM_TABLE, rows, "site_id = ? AND date BETWEEN ? AND ?",
                           [site_id, date_from, date_to])
    _record(con, site_id=site_id, asset=CUSTOM_TABLE, date_from=date_from, date_to=date_to,
            rows=written, info=LoadInfo(source="csv"), requests=0, tokens=None, started=started,
            run_id=run_id)
    return written
