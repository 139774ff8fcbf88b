"""KPI assets: progress against targets, the reverse funnel and anomalies, per ISO week.

The maths lives in pure modules beside this one (pacing, status, forecast, funnel, anomalies);
these assets only read the marts, call them week by week and replace the week's rows.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from collections.abc import Callable
from datetime import date

import duckdb
import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult

from kpi_pipeline.config.sites import SiteConfig, SitesResource
from kpi_pipeline.kpi import drivers
from kpi_pipeline.kpi.anomalies import ANOMALY_COLUMNS, detect_anomalies
from kpi_pipeline.kpi.funnel.plan import FUNNEL_COLUMNS, funnel_rows
from kpi_pipeline.kpi.judgement.progress import progress_frame, progress_rows
from kpi_pipeline.kpi.metric_history import MetricHistory
from kpi_pipeline.marts.rebuild_window import mark_applied, site_window, widened
from kpi_pipeline.orchestration.asset_defaults import weekly_asset
from kpi_pipeline.orchestration.jobs import METRICS_DAILY, METRICS_WEEKLY
from kpi_pipeline.orchestration.partitions import week_starts_between
from kpi_pipeline.orchestration.resources import WarehouseResource
from kpi_pipeline.orchestration.run_window import rebuild_days
from kpi_pipeline.orchestration.site_runs import for_each_site
from kpi_pipeline.targets import timezone_mismatch
from kpi_pipeline.targets.for_site import site_targets
from kpi_pipeline.warehouse import replace_rows
from kpi_pipeline.warehouse.metadata import table_metadata

GROUP = "kpi"
_WEEK_RANGE = "site_id = ? AND week_start BETWEEN ? AND ?"


def _frame(con: duckdb.DuckDBPyConnection, table: str, site_id: str) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {table} WHERE site_id = ?", [site_id]).df()  # noqa: S608 (identifiers from code)


# The column is one of kpi.drivers.DIMENSION_COLUMNS (code); GA4's values are only ever bound.
_SEGMENTS_SQL = """
SELECT dimension_value, sum({column})
FROM raw.ga4_by_dimension
WHERE site_id = ? AND dimension = ? AND date BETWEEN ? AND ?
GROUP BY dimension_value
HAVING sum({column}) <> 0
"""


def _segments(con: duckdb.DuckDBPyConnection, site_id: str) -> drivers.Segments:
    """Sums of one raw.ga4_by_dimension column per dimension value over a window (cached)."""
    cache: dict[tuple[str, str, date, date], dict[str, float]] = {}

    def segments(dimension: str, column: str, start: date, end: date) -> dict[str, float]:
        if column not in drivers.DIMENSION_COLUMNS.values():
            raise ValueError(f"not a raw.ga4_by_dimension metric column: {column!r}")
        key = (dimension, column, start, end)
        if key not in cache:
            sql = _SEGMENTS_SQL.format(column=column)  # noqa: S608 (column checked above)
            rows = con.execute(sql, [site_id, dimension, start, end]).fetchall()
            cache[key] = {str(name): float(total) for name, total in rows}
        return cache[key]

    return segments


Records = list[dict[str, object]]


def columns(names: tuple[str, ...]) -> Callable[[Records], pd.DataFrame]:
    """A table's frame of records: its columns in order, dtypes as pandas infers them."""
    return lambda rows: pd.DataFrame(rows, columns=list(names))


def _write_weeks(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    sites: SitesResource,
    table: str,
    rows_for: Callable[[duckdb.DuckDBPyConnection, SiteConfig], Callable[[date], Records]],
    frame: Callable[[Records], pd.DataFrame],
) -> MaterializeResult:
    """Compute ``table``'s rows for each site and week of the run's window; replace per site.

    ``rows_for(con, site)`` gives the records of one week; ``frame`` makes the table's frame of
    all the weeks' records at once (one frame per run, not one per week: 104 weeks of frames
    cost more than the maths; and a week with an all-empty column cannot decide its dtype).
    """
    date_from, date_to = rebuild_days(context, warehouse.lookback_days)
    with warehouse.connection() as con:

        def write(site: SiteConfig) -> int:
            # the run's weeks, and back to a stored day a corrected export changed since
            window = site_window(con, table, "week_start", site.id, (date_from, date_to))
            weeks = week_starts_between(window.date_from, window.date_to)
            rows_for_week = rows_for(con, site)
            rows = frame([r for week in weeks for r in rows_for_week(week)])
            written = replace_rows(con, table, rows, _WEEK_RANGE, [site.id, window.date_from, window.date_to])
            mark_applied(con, table, site.id, window)
            context.log.info(f"{table}: {written} rows for {len(weeks)} week(s) of {site.id}{widened(window)}")
            return written

        # a site whose targets file is broken keeps its previous rows; the others go on
        failed = for_each_site(context, sites, write).metadata()
        return MaterializeResult(metadata={
            **table_metadata(con, table, where="week_start BETWEEN ? AND ?",
                             params=[date_from, date_to], order_by="week_start DESC"),
            **failed,
        })


@weekly_asset(
    group=GROUP,
    kinds={"duckdb", "python"},
    deps=[METRICS_DAILY, METRICS_WEEKLY],
    description=(
        "Each KGI and KPI of each site's kpi_targets.yaml against its target and pace for the "
        "week: baseline, target, expected value by the pace, actual, progress, status (on track "
        "/ at risk / off track, respecting direction), forecast at the deadline and verdict."
    ),
)
def kpi_progress(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource
) -> MaterializeResult:
    today = warehouse.today()

    def rows_for(con: duckdb.DuckDBPyConnection, site: SiteConfig) -> Callable[[date], Records]:
        plan = site_targets(site)
        mismatch = timezone_mismatch(plan, warehouse.timezone)
        if mismatch:
            context.log.warning(f"{site.id}: {mismatch}")
        history = MetricHistory(_frame(con, "mart.metrics_daily", site.id),
                                _frame(con, "mart.metrics_weekly", site.id), site.id)  # once for all the run's weeks
        return lambda week: progress_rows(plan, site.id, week, history, today)

    return _write_weeks(context, warehouse, sites, "mart.kpi_progress", rows_for, progress_frame)


@weekly_asset(
    group=GROUP,
    kinds={"duckdb", "python"},
    deps=[METRICS_DAILY],
    description=(
        "Reverse funnel (逆算) of each KGI with a funnel: required per stage for the period and "
        "to date at the KGI's pacing (100 orders ← 200 deals ← 400 appointments ← 4,000 leads), "
        "actual to date, gap, the remaining need chained down through the planned rates and, "
        "beside it, through the actual rates so far, actual step rates beside the planned ones, "
        "and the bottleneck stage with its reason."
    ),
)
def funnel_plan(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource
) -> MaterializeResult:
    def rows_for(con: duckdb.DuckDBPyConnection, site: SiteConfig) -> Callable[[date], Records]:
        plan = site_targets(site)
        history = MetricHistory(_frame(con, "mart.metrics_daily", site.id), None, site.id)
        return lambda week: funnel_rows(plan, site.id, week, history)

    return _write_weeks(context, warehouse, sites, "mart.funnel_plan", rows_for, columns(FUNNEL_COLUMNS))


@weekly_asset(
    group=GROUP,
    kinds={"duckdb", "python"},
    deps=[METRICS_WEEKLY],
    description=(
        "Metric-weeks far from their recent history: robust z-score (median and MAD of the "
        "previous 12 complete weeks), |z| ≥ 3.5; counts that wobble no more than counting noise "
        "by their Poisson probability (a drop to 0 from a median of 10 is flagged)."
    ),
)
def metric_anomalies(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource
) -> MaterializeResult:
    def rows_for(con: duckdb.DuckDBPyConnection, site: SiteConfig) -> Callable[[date], Records]:
        # every week judged in one pass (a week's reference is the weeks before it only), then
        # handed out week by week: the same rows as one call per week, without 104 groupbys
        found = detect_anomalies(_frame(con, "mart.metrics_weekly", site.id))
        by_week = {week: rows.to_dict("records") for week, rows in found.groupby("week_start")}
        return lambda week: by_week.get(week, [])

    return _write_weeks(context, warehouse, sites, "mart.metric_anomalies", rows_for, columns(ANOMALY_COLUMNS))


@weekly_asset(
    group=GROUP,
    kinds={"duckdb", "python"},
    deps=[METRICS_DAILY, AssetKey(["raw", "ga4_by_dimension"])],
    description=(
        "Why each KGI and KPI moved: the change of its metric against the previous week, "
        "against its baseline (a running total: since the start) and, for a KGI with a funnel, "
        "against its plan, split into contributions that add up exactly – multiplicative "
        "factors for goals on the sales path (受注 = セッション × CV率 × 見込み顧客/CV × "
        "アポイント獲得率 × 商談化率 × 成約率), a rate's numerator and denominator, and GA4 "
        "channels, landing pages and campaigns for additive GA4 metrics."
    ),
)
def goal_drivers(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource
) -> MaterializeResult:
    def rows_for(con: duckdb.DuckDBPyConnection, site: SiteConfig) -> Callable[[date], Records]:
        plan = site_targets(site)
        history = MetricHistory(_frame(con, "mart.metrics_daily", site.id), None, site.id)
        segments = _segments(con, site.id)
        return lambda week: drivers.driver_rows(plan, site.id, week, history, segments)

    return _write_weeks(context, warehouse, sites, "mart.goal_drivers", rows_for, columns(drivers.DRIVER_COLUMNS))
