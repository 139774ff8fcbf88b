"""Turn a Dagster partition time window into the day range a step works on."""

from __future__ import annotations

from datetime import date, timedelta

from dagster import AssetExecutionContext

from kpi_pipeline.calendar import monday


def partition_days(context: AssetExecutionContext) -> tuple[date, date]:
    """First and last day covered by the run's partition(s): one partition or a backfill range."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()


def ingest_days_of(context: AssetExecutionContext, today: date) -> tuple[date, date] | None:
    """The days a raw ingest run loads: its weeks up to yesterday (None: no day complete yet,
    e.g. the week in progress launched on its Monday)."""
    first, last = partition_days(context)
    last = min(last, today - timedelta(days=1))
    return (first, last) if first <= last else None


def rebuild_days(context: AssetExecutionContext, lookback_days: int) -> tuple[date, date]:
    """The run's days widened back to the Monday of the week holding the look-back window.

    GA4 revises the last ``lookback_days`` days, so the week before a weekly run ended with
    provisional days; the raw ingest re-read them, and the weekly steps rebuild that week too so
    its marts, KPI rows and weekly users never keep early GA4 values.
    """
    first, last = partition_days(context)
    start = first - timedelta(days=lookback_days)
    return monday(start), last
