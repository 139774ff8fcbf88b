"""A site is addressable in Dagster: the run tag ``kpi/site`` (launchpad, backfill, CLI --site)
narrows ``weekly_pipeline`` and ``daily_ingest`` to that site, and every configured site has its
own status check (``site_<id>_fresh``) that fails when its GA4 load failed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, Definitions
from fakes.ga4_data import FakeProperty

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.config.sites import SitesError, load_sites_file
from kpi_pipeline.definitions import build_definitions
from kpi_pipeline.orchestration.runner import without_delivery

pytestmark = pytest.mark.slow

pytest_plugins = ("fakes.ga4_server",)
WEEK = date(2026, 11, 16)
LAST_WEEK = date(2026, 11, 9)
MARKED = -1.0  # a value no build writes: still there afterwards means "not touched"


def _defs(tmp_path: Path, sites: str, **env: str) -> tuple[Definitions, Path]:
    path = tmp_path / "kpi_sites.yaml"
    path.write_text(sites, encoding="utf-8")
    home = tmp_path / "home"
    return build_definitions(Settings.from_env({"KPI_HOME": str(home), "KPI_SITES": str(path),
                                                **env})), home / "warehouse.duckdb"


def _run(defs: Definitions, job: str, instance: DagsterInstance, week: date | None = None, *,
         weeks: tuple[date, date] | None = None, site: str | None = None,
         selection: list[AssetKey] | None = None):
    """``job`` as the UI launches it: a partition, or a single-run backfill range, plus tags
    (``selection``: only those assets of it, as a UI user may pick them)."""
    tags = {"kpi/site": site} if site else {}
    if weeks:
        tags |= {"dagster/asset_partition_range_start": weeks[0].isoformat(),
                 "dagster/asset_partition_range_end": weeks[1].isoformat()}
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance, partition_key=week.isoformat() if week else None, tags=tags,
        raise_on_error=False, asset_selection=selection)


def _state(warehouse: Path, site: str) -> tuple:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return (
            con.execute("SELECT max(loaded_at) FROM raw.ga4_daily WHERE site_id = ?", [site]).fetchone()[0],
            con.execute("SELECT count(*) FROM meta.runs WHERE site_id = ?", [site]).fetchone()[0],
            con.execute("SELECT bool_and(value = ?) FROM mart.metrics_weekly WHERE site_id = ?",
                        [MARKED, site]).fetchone()[0],
            con.execute("SELECT bool_and(actual = ?) FROM mart.kpi_progress WHERE site_id = ?",
                        [MARKED, site]).fetchone()[0],
        )
    finally:
        con.close()


def _mark(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse))
    con.execute("UPDATE mart.metrics_weekly SET value = ?", [MARKED])
    con.execute("UPDATE mart.kpi_progress SET actual = ?", [MARKED])
    con.close()


TWO_DEMO_SITES = "sites:\n  - {id: shop, source: demo}\n  - {id: corp, source: demo}\n"


def test_a_run_tagged_with_a_site_rebuilds_that_site_only_also_as_a_single_run_backfill(
    tmp_path: Path,
) -> None:
    defs, warehouse = _defs(tmp_path, TWO_DEMO_SITES)
    instance = DagsterInstance.ephemeral()
    assert _run(defs, "daily_ingest", instance, weeks=(LAST_WEEK, WEEK)).success
    # both sites' tables (what is marked and compared below; their reports are not looked at)
    assert _run(defs, "weekly_pipeline", instance, weeks=(LAST_WEEK, WEEK),
                selection=without_delivery(defs)).success
    _mark(warehouse)
    corp_before, shop_before = _state(warehouse, "corp"), _state(warehouse, "shop")

    ingest = _run(defs, "daily_ingest", instance, weeks=(LAST_WEEK, WEEK), site="shop")
    backfill = _run(defs, "weekly_pipeline", instance, weeks=(LAST_WEEK, WEEK), site="shop")

    assert ingest.success and backfill.success
    assert len(instance.get_runs()) == 4  # the tagged range is one run per job, as before
    assert _state(warehouse, "corp") == corp_before  # raw, meta.runs, marts, KPI: untouched
    shop_loaded, shop_runs, shop_marked, shop_kpi_marked = _state(warehouse, "shop")
    assert shop_loaded > shop_before[0] and shop_runs > shop_before[1]
    assert shop_marked is False and shop_kpi_marked is False  # shop's weeks were rebuilt


def test_an_unknown_site_tag_fails_the_run_naming_the_known_sites_and_writes_nothing(
    tmp_path: Path,
) -> None:
    defs, warehouse = _defs(tmp_path, TWO_DEMO_SITES)
    instance = DagsterInstance.ephemeral()

    result = _run(defs, "weekly_pipeline", instance, WEEK, site="blog")

    assert not result.success
    errors = " ".join(str(e.event_specific_data.error) for e in result.all_events
                      if e.is_failure and e.event_specific_data is not None
                      and getattr(e.event_specific_data, "error", None))
    assert "run tag kpi/site 'blog': known sites are shop, corp" in errors
    assert not result.get_asset_materialization_events()
    assert not warehouse.exists() or _state(warehouse, "shop")[1] == 0


def _evaluations(result) -> dict[tuple[str, str], object]:
    return {(e.asset_key.to_user_string(), e.check_name): e
            for e in result.get_asset_check_evaluations() if e.check_name.startswith("site_")}


def test_a_site_whose_ga4_load_failed_shows_a_failed_check_and_the_others_pass(
    tmp_path: Path, ga4_server
) -> None:
    ga4_server.add_property(FakeProperty.generate("424242", LAST_WEEK, 14))
    # property 777 is unknown to the fake server: GA4 answers PERMISSION_DENIED for it only
    defs, warehouse = _defs(tmp_path, (
        "sites:\n"
        "  - {id: shop, source: demo}\n"
        "  - {id: media, source: ga4, ga4_property_id: '424242'}\n"
        "  - {id: blog-jp, source: ga4, ga4_property_id: '777'}\n"
    ), GA4_API_ENDPOINT=ga4_server.endpoint)
    instance = DagsterInstance.ephemeral()

    ingest = _run(defs, "daily_ingest", instance, WEEK)
    weekly = _run(defs, "weekly_pipeline", instance, WEEK, selection=without_delivery(defs))

    assert ingest.success and weekly.success  # the other sites were built
    for run, asset in ((ingest, "raw/ga4_daily"), (weekly, "mart/kpi_progress")):
        checks = _evaluations(run)
        assert set(checks) == {(asset, "site_shop_fresh"), (asset, "site_media_fresh"),
                               (asset, "site_blog_jp_fresh")}
        assert checks[(asset, "site_shop_fresh")].passed
        assert checks[(asset, "site_media_fresh")].passed
        broken = checks[(asset, "site_blog_jp_fresh")]
        assert not broken.passed
        assert "2026-W47" in broken.description and "permission" in broken.description.lower()
        assert broken.metadata["weeks"].value == "2026-W47"
        assert "PERMISSION_DENIED" in broken.metadata["error"].value or \
            "permission" in broken.metadata["error"].value.lower()
    con = duckdb.connect(str(warehouse), read_only=True)
    failed = con.execute("SELECT site_id, asset, rows_loaded FROM meta.runs WHERE status = 'failed' "
                         "ORDER BY asset").fetchall()
    sessions = {r[0] for r in con.execute("SELECT DISTINCT site_id FROM mart.metrics_weekly "
                                          "WHERE week_start = ?", [WEEK]).fetchall()}
    con.close()
    assert ("blog-jp", "raw.ga4_daily", 0) in failed and {r[0] for r in failed} == {"blog-jp"}
    assert {"shop", "media"} <= sessions
    # what the UI shows: the newest evaluation of each site's check in the instance
    keys = [c for c in defs.resolve_asset_graph().asset_check_keys
            if c.asset_key == AssetKey(["raw", "ga4_daily"]) and c.name.startswith("site_")]
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    assert {key.name: record.evaluation.passed for key, record in latest.items()} == {
        "site_shop_fresh": True, "site_media_fresh": True, "site_blog_jp_fresh": False}


def test_a_stale_site_fails_its_check_with_the_day_it_reaches(tmp_path: Path) -> None:
    defs, warehouse = _defs(tmp_path, TWO_DEMO_SITES)
    instance = DagsterInstance.ephemeral()
    assert _run(defs, "daily_ingest", instance, LAST_WEEK).success
    assert _run(defs, "daily_ingest", instance, WEEK, site="shop").success  # corp not loaded

    weekly = _run(defs, "weekly_pipeline", instance, WEEK, selection=without_delivery(defs))

    checks = _evaluations(weekly)
    assert checks[("mart/kpi_progress", "site_shop_fresh")].passed
    corp = checks[("mart/kpi_progress", "site_corp_fresh")]
    assert not corp.passed
    assert "loaded up to 2026-11-15" in corp.description and "needs 2026-11-22" in corp.description


def test_site_ids_whose_check_names_would_collide_are_refused_with_file_and_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kpi_sites.yaml"
    path.write_text("sites:\n  - {id: blog-jp}\n  - {id: blog_jp}\n", encoding="utf-8")
    with pytest.raises(SitesError, match=r"kpi_sites.yaml:3: sites\[1\]\.id: 'blog_jp' differs "
                                         r"from another site only by '-' and '_'"):
        load_sites_file(path)
