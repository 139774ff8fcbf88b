"""The partition calendar comes from the settings the definitions are built with, not from
whatever the environment held when a module was imported."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

from dagster import AssetKey

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.definitions import build_definitions

ASSET_MODULES = ("raw.assets", "raw.ads_assets", "raw.custom_assets", "marts.assets", "kpi.assets",
                 "kpi.measure_assets", "publish.assets", "delivery.assets", "checks", "orchestration.schedules",
                 "orchestration.jobs", "orchestration.partitions", "orchestration.asset_defaults", "definitions")


def test_importing_every_module_reads_no_calendar_from_the_environment(tmp_path) -> None:
    """Broken KPI_START_DATE / KPI_TIMEZONE break nothing at import: only Settings reads them."""
    imports = "; ".join(f"import kpi_pipeline.{m}" for m in ASSET_MODULES)
    result = subprocess.run(
        [sys.executable, "-c", f"{imports}; print('imported')"], cwd=tmp_path, capture_output=True,
        text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "KPI_START_DATE": "not-a-date", "KPI_TIMEZONE": "Nowhere/Never"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "imported"


def test_assets_checks_and_schedules_follow_the_settings_calendar(tmp_path) -> None:
    defs = build_definitions(Settings.from_env({
        "KPI_HOME": str(tmp_path), "KPI_START_DATE": "2025-03-05", "KPI_TIMEZONE": "Europe/Berlin"}))
    graph = defs.resolve_asset_graph()

    weekly = graph.get(AssetKey(["mart", "aarrr_weekly"])).partitions_def
    ingest = graph.get(AssetKey(["raw", "ga4_daily"])).partitions_def
    assert weekly.timezone == ingest.timezone == "Europe/Berlin"
    assert weekly.get_first_partition_key() == "2025-03-10"  # the first Monday on or after the start
    assert weekly.start.date() == ingest.start.date() == date(2025, 3, 5)
    assert ingest.end_offset == 1 and weekly.end_offset == 0  # ingest includes the week in progress
    # every check is partitioned like the asset it guards (site checks sit on raw ingest too)
    mismatched = [key for key in graph.asset_check_keys
                  if graph.get(key).partitions_def != graph.get(key.asset_key).partitions_def]
    assert not mismatched
    assert {graph.get(key).partitions_def for key in graph.asset_check_keys} == {weekly, ingest}
    for name in ("daily_ingest_schedule", "weekly_report_schedule"):
        assert defs.resolve_schedule_def(name).execution_timezone == "Europe/Berlin", name


def test_two_settings_give_two_calendars_in_one_process(tmp_path) -> None:
    tokyo = build_definitions(Settings.from_env({"KPI_HOME": str(tmp_path)}))
    paris = build_definitions(Settings.from_env({"KPI_HOME": str(tmp_path), "KPI_TIMEZONE": "Europe/Paris"}))
    key = AssetKey(["mart", "kpi_progress"])
    assert tokyo.resolve_asset_graph().get(key).partitions_def.timezone == "Asia/Tokyo"
    assert paris.resolve_asset_graph().get(key).partitions_def.timezone == "Europe/Paris"


def test_daily_loads_are_due_every_morning_and_weekly_tables_on_monday(tmp_path) -> None:
    """The UI's freshness follows the schedules: raw ingest (loaded every day into its week's
    partition) is due at 08:00 daily, everything weekly at 12:00 on Monday, in the settings' zone."""
    graph = build_definitions(Settings.from_env({
        "KPI_HOME": str(tmp_path), "KPI_TIMEZONE": "Europe/Berlin"})).resolve_asset_graph()
    due = {key.to_user_string(): graph.get(key).freshness_policy
           for key in graph.get_all_asset_keys() if graph.get(key).freshness_policy}
    assert due["raw/ga4_daily"].deadline_cron == due["raw/crm_daily"].deadline_cron == "0 8 * * *"
    assert due["raw/ga4_weekly_users"].deadline_cron == "0 12 * * 1"  # loaded once a week
    assert due["mart/kpi_progress"].deadline_cron == "0 12 * * 1"
    assert {policy.timezone for policy in due.values()} == {"Europe/Berlin"}
