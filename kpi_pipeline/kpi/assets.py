"""KPI assets: progress against targets, the reverse funnel and anomalies, per ISO week.

The maths lives in pure modules beside this one (pacing, status, forecast, funnel, anomalies);
these assets only read the marts, call them week by week and replace the week's rows.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from collections.abc import Callable
from datetime import date

import duckdb
import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset

from kpi_pipeline.kpi.anomalies import detect_anomalies
from kpi_pipeline.kpi.funnel import funnel_progress
from kpi_pipeline.kpi.progress import compute_progress
from kpi_pipeline.marts.assets import metrics_daily, metrics_weekly
from kpi_pipeline.partitions import single_run, week_starts_between, weekly_partitions
from kpi_pipeline.resources import TargetsResource, WarehouseResource
from kpi_pipeline.warehouse import replace_rows
from kpi_pipeline.warehouse.metadata import table_metadata
from kpi_pipeline.windows import partition_days

GROUP = "kpi"
POOL = "warehouse"
_WEEK_RANGE = "site_id = ? AND week_start BETWEEN ? AND ?"


def _frame(con: duckdb.DuckDBPyConnection, table: str, site_id: str) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {table} WHERE site_id = ?", [site_id]).df()  # noqa: S608 (identifiers from code)


def _write_weeks(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    table: str,
    rows_for_week: Callable[[duckdb.DuckDBPyConnection, date], pd.DataFrame],
) -> MaterializeResult:
    """Compute ``table``'s rows for each week of the run's window and replace them at once."""
    date_from, date_to = partition_days(context)
    site_id = warehouse.site_id
    with warehouse.connection() as con:
        weeks = week_starts_between(date_from, date_to)
        frames = [rows_for_week(con, week) for week in weeks]
        frames = [f for f in frames if len(f)]
        rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        written = replace_rows(con, table, rows, _WEEK_RANGE, [site_id, date_from, date_to])
        context.log.info(f"{table}: {written} rows for {len(weeks)} week(s) of {site_id}")
        return MaterializeResult(
            metadata=table_metadata(con, table, where=_WEEK_RANGE,
                                    params=[site_id, date_from, date_to],
                                    order_by="week_start DESC")
        )


@asset(
    key_prefix="mart",
    group_name=GROUP,
    kinds={"duckdb", "python"},
    pool=POOL,
    partitions_def=weekly_partitions,
    backfill_policy=single_run,
    deps=[metrics_daily, metrics_weekly],
    description=(
        "Each KGI and KPI of kpi_targets.yaml against its target and pace for the week: "
        "baseline, target, expected value by the pace, actual, progress, status (on track / "
        "at risk / off track, respecting direction), forecast at the deadline and verdict."
    ),
)
def kpi_progress(
    context: AssetExecutionContext, warehouse: WarehouseResource, targets: TargetsResource
) -> MaterializeResult:
    plan = targets.load()
    today = warehouse.today()
    site_id = warehouse.site_id
    cache: dict[str, pd.DataFrame] = {}

    def rows(con: duckdb.DuckDBPyConnection, week: date) -> pd.DataFrame:
        if not cache:
            cache["daily"] = _frame(con, "mart.metrics_daily", site_id)
            cache["weekly"] = _frame(con, "mart.metrics_weekly", site_id)
        return compute_progress(plan, site_id, week, cache["daily"], cache["weekly"], today,
                                lang=warehouse.lang)

    return _write_weeks(context, warehouse, "mart.kpi_progress", rows)


@asset(
    key_prefix="mart",
    group_name=GROUP,
    kinds={"duckdb", "python"},
    pool=POOL,
    partitions_def=weekly_partitions,
    backfill_policy=single_run,
    deps=[metrics_daily],
    description=(
        "Reverse funnel (逆算) of each KGI with a funnel: required per stage for the period and "
        "to date (100 orders ← 200 deals ← 400 appointments ← 4,000 leads), actual to date, gap, "
        "and the bottleneck stage."
    ),
)
def funnel_plan(
    context: AssetExecutionContext, warehouse: WarehouseResource, targets: TargetsResource
) -> MaterializeResult:
    plan = targets.load()
    site_id = warehouse.site_id
    cache: dict[str, pd.DataFrame] = {}

    def rows(con: duckdb.DuckDBPyConnection, week: date) -> pd.DataFrame:
        if not cache:
            cache["daily"] = _frame(con, "mart.metrics_daily", site_id)
        return funnel_progress(plan, site_id, week, cache["daily"])

    return _write_weeks(context, warehouse, "mart.funnel_plan", rows)


@asset(
    key_prefix="mart",
    group_name=GROUP,
    kinds={"duckdb", "python"},
    pool=POOL,
    partitions_def=weekly_partitions,
    backfill_policy=single_run,
    deps=[metrics_weekly],
    description=(
        "Metric-weeks far from their recent history: robust z-score (median and MAD of the "
        "previous 12 complete weeks), |z| ≥ 3.5."
    ),
)
def metric_anomalies(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    site_id = warehouse.site_id
    cache: dict[str, pd.DataFrame] = {}

    def rows(con: duckdb.DuckDBPyConnection, week: date) -> pd.DataFrame:
        if not cache:
            cache["weekly"] = _frame(con, "mart.metrics_weekly", site_id)
        weekly = cache["weekly"]
        recent = weekly[pd.to_datetime(weekly["week_start"]) <= pd.Timestamp(week)]
        return detect_anomalies(recent, week)

    return _write_weeks(context, warehouse, "mart.metric_anomalies", rows)


__all__ = ["funnel_plan", "kpi_progress", "metric_anomalies"]
