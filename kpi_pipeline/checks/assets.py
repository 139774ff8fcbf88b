"""Data-quality asset checks on the weekly marts, built from the rules in ``rules.py``.

Checks are partitioned like their asset (ISO weeks) and bundled per asset (one step each), so
each looks at the weeks its run materialized (one week, or a whole single-run backfill range),
for every configured site.

Integrity problems (impossible values, duplicate keys, weeks that are not the sum of their days)
mean a bug or corrupt source data: those checks are blocking (severity ERROR) and stop the assets
downstream in the same run, so no report goes out on wrong numbers. Availability problems (a
missing day, stale data, a funnel out of order) are warnings (severity WARN): the report says
what it is based on, and one site's outage does not hold up the other sites.
"""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    PartitionsDefinition,
    PreviewWarning,
    get_dagster_logger,
    multi_asset_check,
)

from kpi_pipeline.checks import rules
from kpi_pipeline.checks.report import describe, rows_json, rows_markdown
from kpi_pipeline.checks.rules import Violation, Window
from kpi_pipeline.config.sites import SitesResource
from kpi_pipeline.orchestration.asset_defaults import WAREHOUSE_POOL
from kpi_pipeline.orchestration.partitions import PartitionCalendar
from kpi_pipeline.orchestration.resources import WarehouseResource
from kpi_pipeline.warehouse import connect

METRICS_DAILY = AssetKey(["mart", "metrics_daily"])
METRICS_WEEKLY = AssetKey(["mart", "metrics_weekly"])
AARRR_WEEKLY = AssetKey(["mart", "aarrr_weekly"])
KPI_PROGRESS = AssetKey(["mart", "kpi_progress"])

Finder = Callable[[duckdb.DuckDBPyConnection, Window], list[Violation]]


@dataclass(frozen=True)
class CheckRule:
    """One asset check: the asset it guards, what it checks, and whether a failure blocks."""

    name: str
    asset: AssetKey
    description: str
    find: Finder
    blocking: bool = True
    warn_only: bool = False
    sql_file: str | None = None


RULES: tuple[CheckRule, ...] = (
    CheckRule(
        "every_day_loaded", METRICS_DAILY,
        "Every day of the week up to yesterday has a row in raw.ga4_daily. A warning: the report "
        "still goes out and says how many days it is based on, and one site's outage does not "
        "hold up the other sites' reports. Fix: re-run daily_ingest for the days, then the week.",
        rules.missing_raw_days, blocking=False, warn_only=True,
        sql_file="sql/checks/missing_days.sql",
    ),
    CheckRule(
        "every_loaded_day_built", METRICS_DAILY,
        "Every day loaded into raw.ga4_daily has rows in mart.metrics_daily; otherwise the "
        "weekly numbers would silently leave out data that was loaded.",
        rules.unbuilt_days, sql_file="sql/checks/missing_days.sql",
    ),
    CheckRule(
        "sessions_at_least_engaged_sessions", METRICS_DAILY,
        "sessions >= engaged sessions >= 0 for every day in raw.ga4_daily.",
        rules.session_counts, sql_file="sql/checks/session_counts.sql",
    ),
    CheckRule(
        "rates_between_0_and_1", METRICS_DAILY,
        "Every rate metric (unit 'rate' in mart.metric_catalog) is between 0 and 1 on every day.",
        rules.daily_rates_out_of_range, sql_file="sql/checks/rates_daily.sql",
    ),
    CheckRule(
        "unique_keys", METRICS_DAILY,
        "No duplicate keys in raw.ga4_daily, raw.ga4_by_dimension, raw.crm_daily, "
        "raw.ga4_ads_daily, raw.custom_daily and mart.metrics_daily for the week's days.",
        partial(rules.duplicate_keys, tables=["raw.ga4_daily", "raw.ga4_by_dimension",
                                              "raw.crm_daily", "raw.ga4_ads_daily",
                                              "raw.custom_daily", "mart.metrics_daily"]),
    ),
    CheckRule(
        "raw_data_fresh", METRICS_DAILY,
        "The latest day in raw.ga4_daily (and raw.crm_daily, if loaded) is yesterday in the "
        "reporting time zone. Only checked when the run's weeks contain yesterday (the regular "
        "weekly run), not for older weeks (backfills, re-runs). A warning: the report is still "
        "built, from older data.",
        rules.stale_raw_tables, blocking=False, warn_only=True,
        sql_file="sql/checks/freshness.sql",
    ),
    CheckRule(
        "weekly_sums_match_daily", METRICS_WEEKLY,
        "Additive metrics of the week equal the sum of their daily rows; ratio metrics' "
        "numerators and denominators too.",
        rules.weekly_sums_differ, sql_file="sql/checks/weekly_vs_daily.sql",
    ),
    CheckRule(
        "rates_between_0_and_1", METRICS_WEEKLY,
        "Every rate metric (unit 'rate' in mart.metric_catalog) is between 0 and 1 for the week.",
        rules.weekly_rates_out_of_range, sql_file="sql/checks/rates_weekly.sql",
    ),
    CheckRule(
        "unique_keys", METRICS_WEEKLY,
        "No duplicate keys in raw.ga4_weekly_users and mart.metrics_weekly for the week.",
        partial(rules.duplicate_keys, tables=["raw.ga4_weekly_users", "mart.metrics_weekly"]),
    ),
    CheckRule(
        "funnel_narrows_downwards", METRICS_WEEKLY,
        "CRM stages of the week narrow down the funnel: leads >= appointments >= deals >= "
        "orders. A warning: timing between stages can legitimately break it for a week.",
        rules.funnel_widens, blocking=False, warn_only=True,
        sql_file="sql/checks/funnel_order.sql",
    ),
    CheckRule(
        "unique_keys", AARRR_WEEKLY,
        "No duplicate keys in mart.aarrr_weekly for the week.",
        partial(rules.duplicate_keys, tables=["mart.aarrr_weekly"]),
    ),
    CheckRule(
        "goal_days_loaded", KPI_PROGRESS,
        "Every day of each running KGI's and KPI's period so far (up to the week's end, or "
        "yesterday) has a row in the raw table its metric is read from: raw.ga4_daily for web "
        "metrics, raw.crm_daily for the sales funnel, raw.custom_daily for a custom CSV metric. "
        "A warning naming the goals, the table and the missing days; the report's data notes say "
        "the same. Fix: export the missing days (CRM or custom CSV: the next run reloads them) "
        "or re-run daily_ingest for them.",
        rules.goal_missing_days, blocking=False, warn_only=True,
        sql_file="sql/checks/goal_missing_days.sql",
    ),
)


def check_window(context: AssetCheckExecutionContext, warehouse: WarehouseResource,
                 sites: SitesResource) -> Window:
    """The weeks of the run (one partition or a backfill range) for every configured site."""
    span = context.partition_time_window
    return Window(
        sites=tuple(site.id for site in sites.selected),
        date_from=span.start.date(),
        date_to=(span.end - timedelta(days=1)).date(),
        today=warehouse.today(),
    )


@contextmanager
def read_warehouse(warehouse: WarehouseResource) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection: checks never write (waits, with a log line, while a writer holds
    the file lock)."""
    con = connect(warehouse.location, read_only=True, logger=get_dagster_logger())
    try:
        yield con
    finally:
        con.close()


def _result(rule: CheckRule, window: Window, violations: list[Violation]) -> AssetCheckResult:
    title = f"{rule.asset.to_user_string()} {rule.name}"
    metadata = {
        "check": MetadataValue.text(title),
        "sites": MetadataValue.text(", ".join(window.sites)),
        "weeks": MetadataValue.text(", ".join(window.weeks)),
        "violations": MetadataValue.int(len(violations)),
        "offending_rows": MetadataValue.md(rows_markdown(violations)),
        "offending_rows_json": MetadataValue.json(rows_json(violations)),
    }
    if rule.sql_file:
        metadata["sql_file"] = MetadataValue.path(rule.sql_file)
    return AssetCheckResult(
        passed=not violations,
        asset_key=rule.asset,
        check_name=rule.name,
        severity=AssetCheckSeverity.WARN if rule.warn_only else AssetCheckSeverity.ERROR,
        description=describe(title, window, violations),
        metadata=metadata,
    )


def partitioned_check_spec(name: str, asset: AssetKey, partitions: PartitionsDefinition,
                           description: str, blocking: bool) -> AssetCheckSpec:
    """An ``AssetCheckSpec`` partitioned like its asset (every check of ours is)."""
    with warnings.catch_warnings():
        # partitioned asset checks are a preview feature in Dagster 1.13; we rely on them on purpose
        warnings.filterwarnings("ignore", category=PreviewWarning,
                                message=".*partitions_def on an AssetCheckSpec.*")
        return AssetCheckSpec(name, asset=asset, description=description, blocking=blocking,
                              partitions_def=partitions)


def _spec(rule: CheckRule, calendar: PartitionCalendar) -> AssetCheckSpec:
    return partitioned_check_spec(rule.name, rule.asset, calendar.weekly, rule.description,
                                  rule.blocking)


def build_checks(asset: AssetKey, rules_of_asset: Sequence[CheckRule],
                 calendar: PartitionCalendar) -> AssetChecksDefinition:
    """One step running every check of ``asset`` on one read-only connection, partitioned by
    the ``calendar``'s ISO weeks like the asset.

    One step per check cost a step (and, launched, a process with its imports and resources)
    each; bundled, a run pays that once per guarded asset. A failing blocking check still
    stops what is built on the asset; every other check of the bundle still reports.
    """
    by_name = {rule.name: rule for rule in rules_of_asset}

    @multi_asset_check(
        name=f"{'__'.join(asset.path)}_checks",
        specs=[_spec(rule, calendar) for rule in rules_of_asset],
        description=f"Data-quality checks on {asset.to_user_string()} for the run's weeks.",
        can_subset=True,
        pool=WAREHOUSE_POOL,
    )
    def _checks(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource, sites: SitesResource
    ) -> Iterator[AssetCheckResult]:
        window = check_window(context, warehouse, sites)
        selected = [by_name[key.name] for key in context.selected_asset_check_keys
                    if key.asset_key == asset]
        with read_warehouse(warehouse) as con:
            found = [(rule, rule.find(con, window)) for rule in selected]
        for rule, violations in found:
            result = _result(rule, window, violations)
            if violations:
                context.log.warning(result.description)
            yield result

    return _checks


def build_check(rule: CheckRule, calendar: PartitionCalendar) -> AssetChecksDefinition:
    """A single rule as its own check definition (tests, or a check on its own)."""
    return build_checks(rule.asset, [rule], calendar)


def all_checks(calendar: PartitionCalendar, rules_: Sequence[CheckRule] = RULES) -> list[AssetChecksDefinition]:
    """Every rule, bundled per asset, on the ``calendar``'s partitions (the definitions loader)."""
    assets = dict.fromkeys(rule.asset for rule in rules_)
    return [build_checks(a, [r for r in rules_ if r.asset == a], calendar) for a in assets]
