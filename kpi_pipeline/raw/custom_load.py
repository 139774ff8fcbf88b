"""Write custom CSV metrics into ``raw.custom_daily``, one site and range of days at a time.

Like the CRM export: the site's rows of the range are replaced in one transaction (a failure
leaves the previous rows), the whole files are compared with the stored days (a corrected day
of an earlier week is reloaded and recorded in ``meta.changed_days``), and the load is logged in
``meta.runs``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from kpi_pipeline.raw.corrections import DailyTable
from kpi_pipeline.raw.load import ReloadSummary, reload_days
from kpi_pipeline.sources.custom import read_metric_csv
from kpi_pipeline.sources.custom.csv_file import CUSTOM_DAILY_COLUMNS
from kpi_pipeline.targets.model import CsvMetric

CUSTOM_TABLE = "raw.custom_daily"


CUSTOM_RELOAD = DailyTable(CUSTOM_TABLE, tuple(CUSTOM_DAILY_COLUMNS), ("value",), series="metric_id")


def read_csv_metrics(metrics: Sequence[CsvMetric], site_id: str) -> pd.DataFrame:
    """Every row of every CSV metric's file; a bad file raises its own error."""
    frames = [read_metric_csv(Path(m.path), m.column, m.metric_id, site_id) for m in metrics]
    if not frames:
        return pd.DataFrame(columns=list(CUSTOM_DAILY_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def load_custom_days(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    site_id: str,
    date_from: date,
    date_to: date,
    *,
    run_id: str | None = None,
    whole_export: bool = False,
    warn: Callable[[str], None] | None = None,
) -> ReloadSummary:
    """Replace the site's ``raw.custom_daily`` rows of ``date_from``..``date_to`` (a day left
    out of a CSV has no value); with ``whole_export`` (``frame`` holds the whole files) every
    other stored day the files change is reloaded too."""
    return reload_days(con, CUSTOM_RELOAD, frame, site_id, date_from, date_to, source="csv", run_id=run_id, whole_export=whole_export, warn=warn)
