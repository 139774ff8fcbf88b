"""Turn a Dagster partition time window into the day range a step works on."""

from __future__ import annotations

from datetime import date, timedelta

from dagster import AssetExecutionContext


def partition_days(context: AssetExecutionContext) -> tuple[date, date]:
    """First and last day covered by the run's partition(s): one partition or a backfill range."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()
