"""``mart.measure_effects`` and ``mart.do_check``: the measures log (施策ログ) against its KPIs,
per ISO week.

The maths is :mod:`kpi_pipeline.kpi.measures.effects` and :mod:`kpi_pipeline.kpi.measures.do_check`;
these assets read the marts, call it week by week and replace the week's rows per site, like
the other KPI assets.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from collections.abc import Callable
from datetime import date

import duckdb
from dagster import AssetExecutionContext, MaterializeResult

from kpi_pipeline.config.sites import SiteConfig, SitesResource
from kpi_pipeline.kpi.assets import GROUP, Records, _frame, _write_weeks, columns
from kpi_pipeline.kpi.measures.do_check import DO_CHECK_COLUMNS, do_check_rows
from kpi_pipeline.kpi.measures.effects import EFFECT_COLUMNS, ControlSite, effect_rows
from kpi_pipeline.kpi.metric_history import MetricHistory
from kpi_pipeline.orchestration.asset_defaults import weekly_asset
from kpi_pipeline.orchestration.jobs import KPI_PROGRESS, METRICS_DAILY, METRICS_WEEKLY
from kpi_pipeline.orchestration.resources import WarehouseResource
from kpi_pipeline.targets import TargetsError
from kpi_pipeline.targets.for_site import site_targets


@weekly_asset(
    group=GROUP,
    kinds={"duckdb", "python"},
    deps=[METRICS_DAILY, METRICS_WEEKLY],
    description=(
        "Did each measure of the measures log (施策ログ: measures: in the targets file) move the "
        "KPIs it names? The KPI metric over the 4 weeks before the start vs up to 4 weeks after, "
        "and against what the trend of the 12 weeks before predicted for them (with another "
        "site's same metric as a control where one serves), with the 95 % prediction interval "
        "and a verdict: improved (効果あり), worsened (悪化), in line with the trend "
        "(トレンドどおり) or within noise (誤差の範囲)."
    ),
)
def measure_effects(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource
) -> MaterializeResult:
    histories: dict[str, MetricHistory] = {}

    def history_of(con: duckdb.DuckDBPyConnection, site_id: str) -> MetricHistory:
        if site_id not in histories:  # read once per run, for the site and as a control
            histories[site_id] = MetricHistory(_frame(con, "mart.metrics_daily", site_id),
                                               _frame(con, "mart.metrics_weekly", site_id), site_id)
        return histories[site_id]

    def controls(con: duckdb.DuckDBPyConnection, site: SiteConfig) -> list[ControlSite]:
        """Every other configured site (not only the run's): each may serve as a control."""
        found = []
        for other in sites.sites:
            if other.id == site.id:
                continue
            try:
                found.append(ControlSite.of(other.id, site_targets(other), history_of(con, other.id)))
            except TargetsError as exc:  # its own steps report it; it is just not a control
                context.log.warning(f"{other.id}: not a control for {site.id}'s measures: {exc}")
        return found

    def rows_for(con: duckdb.DuckDBPyConnection, site: SiteConfig) -> Callable[[date], Records]:
        plan = site_targets(site)
        history = history_of(con, site.id)
        others = controls(con, site) if plan.measures else []
        return lambda week: effect_rows(plan, site.id, week, history, others)

    return _write_weeks(context, warehouse, sites, "mart.measure_effects", rows_for, columns(EFFECT_COLUMNS))


_KPI_STATUS_SQL = """
SELECT week_start, item_id, status FROM mart.kpi_progress WHERE site_id = ? AND kind = 'kpi'
"""


@weekly_asset(
    group=GROUP,
    kinds={"duckdb", "python"},
    deps=[KPI_PROGRESS],
    description=(
        "The Do check (PDCA): for each measure with a plan (measures[].plan: per week or a total "
        "by its end) and each KPI it names, the amount planned and done since its start "
        "(measures[].done: inline or a CSV), whether the Do was done (done ≥ planned), the "
        "KPI's status that week and the quadrant: do_met_kpi_met, do_met_kpi_missed, "
        "do_missed_kpi_met or do_missed_kpi_missed (the report's Act follows it)."
    ),
)
def do_check(
    context: AssetExecutionContext, warehouse: WarehouseResource, sites: SitesResource
) -> MaterializeResult:
    def rows_for(con: duckdb.DuckDBPyConnection, site: SiteConfig) -> Callable[[date], Records]:
        plan = site_targets(site)
        statuses: dict[date, dict[str, str]] = {}
        for week, kpi_id, status in con.execute(_KPI_STATUS_SQL, [site.id]).fetchall():
            statuses.setdefault(week, {})[kpi_id] = status
        return lambda week: do_check_rows(plan, site.id, week, statuses.get(week, {}))

    return _write_weeks(context, warehouse, sites, "mart.do_check", rows_for, columns(DO_CHECK_COLUMNS))
