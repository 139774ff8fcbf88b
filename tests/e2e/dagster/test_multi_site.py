"""Several sites in one warehouse (KPI_SITES): separate rows and reports; one failing GA4
property does not stop the others."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import grpc
import pytest
from dagster import AssetKey, DagsterInstance
from fakes.ga4_data import FakeProperty
from helpers.paths import DOCS

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.config.sites import SitesError, load_sites_file
from kpi_pipeline.definitions import build_definitions
from kpi_pipeline.orchestration.runner import ingest_days, run_weeks

pytestmark = pytest.mark.slow

pytest_plugins = ("fakes.ga4_server",)
WEEK = date(2026, 11, 16)
SUNDAY = date(2026, 11, 22)


def _sites_file(folder: Path, text: str) -> Path:
    path = folder / "kpi_sites.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_two_sites_get_separate_rows_and_reports_while_a_broken_ga4_site_fails_alone(
    tmp_path: Path, ga4_server
) -> None:
    ga4_server.add_property(FakeProperty.generate("424242", WEEK, 7))
    ga4_server.fail(grpc.StatusCode.PERMISSION_DENIED, "User does not have sufficient permissions",
                    times=1000)
    sites = _sites_file(tmp_path, (
        "sites:\n"
        "  - {id: shop, name: オンラインショップ, source: demo}\n"
        "  - {id: corp, name: コーポレート, source: demo, report_lang: en}\n"
        "  - {id: media, source: ga4, ga4_property_id: '424242'}\n"
    ))
    home = tmp_path / "home"
    settings = Settings.from_env({"KPI_HOME": str(home), "KPI_SITES": str(sites),
                                  "GA4_API_ENDPOINT": ga4_server.endpoint})
    defs = build_definitions(settings)
    instance = DagsterInstance.ephemeral()
    ingest_days(defs, instance, WEEK, SUNDAY)
    run_weeks(defs, instance, WEEK, WEEK)

    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    sessions = dict(con.execute(
        "SELECT site_id, value FROM mart.metrics_weekly WHERE metric_id = 'sessions' "
        "AND week_start = ?", [WEEK]).fetchall())
    progress_sites = {r[0] for r in con.execute("SELECT DISTINCT site_id FROM mart.kpi_progress").fetchall()}
    con.close()
    assert set(sessions) == {"shop", "corp"}  # the GA4 site loaded nothing...
    assert sessions["shop"] != sessions["corp"]  # ...and the demo sites are not copies
    assert progress_sites == {"shop", "corp", "media"}

    shop = (home / "reports" / "shop" / "2026-W47" / "report.html").read_text(encoding="utf-8")
    # English reports are named for their language (they sit beside Japanese ones)
    corp = (home / "reports" / "corp" / "2026-W47" / "report.en.html").read_text(encoding="utf-8")
    assert "オンラインショップ" in shop and "コーポレート" not in shop
    assert "Weekly KPI check report" in corp  # corp reads its report in English
    assert "週次KPIチェックレポート" in shop
    assert f"{int(sessions['shop']):,}" in shop
    assert (home / "reports" / "media" / "2026-W47" / "report.html").exists()
    # the archive: one index per site, and a top index linking each site's newest week
    top = (home / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="shop/index.html"' in top and 'href="corp/2026-W47/report.en.html"' in top
    assert 'href="2026-W47/report.html"' in (home / "reports" / "shop" / "index.html").read_text(
        encoding="utf-8")

    runs = instance.get_runs()
    ingest_run = next(r for r in runs if r.job_name == "daily_ingest")
    materializations = instance.fetch_materializations(
        records_filter=AssetKey(["raw", "ga4_daily"]), limit=1).records
    failed = materializations[0].asset_materialization.metadata["failed_sites"].value
    assert list(failed) == ["media"] and "permission" in failed["media"].lower()
    assert ingest_run.is_success


def test_a_sites_file_mistake_names_file_line_and_field(tmp_path: Path) -> None:
    sites = _sites_file(tmp_path, (
        "sites:\n"
        "  - {id: shop, source: demo}\n"
        "  - id: corp\n"
        "    source: bigquery\n"
    ))
    with pytest.raises(SitesError, match=r"kpi_sites.yaml:4: sites\[1\]\.source"):
        load_sites_file(sites)


def test_duplicate_site_ids_are_rejected(tmp_path: Path) -> None:
    sites = _sites_file(tmp_path, "sites:\n  - {id: shop}\n  - {id: shop}\n")
    with pytest.raises(SitesError, match=r":3: sites\[1\]\.id: duplicate site id 'shop'"):
        load_sites_file(sites)


def test_the_sites_file_example_in_the_ops_guide_is_valid(tmp_path: Path) -> None:
    import re

    guide = (DOCS / "ops.md").read_text(encoding="utf-8")
    example = re.search(r"## Several sites.*?```yaml\n(.*?)```", guide, re.S).group(1)
    sites = load_sites_file(_sites_file(tmp_path, example))
    assert [s.id for s in sites] == ["corp", "shop"]
    assert sites[0].targets == str(tmp_path / "targets" / "corp.yaml")  # relative to the file
    assert sites[1].key_paths == ["/cart/thanks", "/contact"]


def test_a_site_without_targets_runs_on_the_file_targets_check_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KPI_SITES, a site with no ``targets:`` and a ``kpi_targets.yaml`` where the user stands:
    the CLI check and the run must read the same file."""
    from typer.testing import CliRunner

    from kpi_pipeline.cli.app import _register_commands, app
    from kpi_pipeline.config.settings import EXAMPLE_TARGETS
    from kpi_pipeline.config.sites import configured_sites
    from kpi_pipeline.targets.for_site import site_targets

    monkeypatch.chdir(tmp_path)
    local = tmp_path / "kpi_targets.yaml"
    local.write_text(EXAMPLE_TARGETS.read_text(encoding="utf-8"), encoding="utf-8")
    for csv in EXAMPLE_TARGETS.parent.glob("*.csv"):  # the example's custom metric data
        (tmp_path / csv.name).write_bytes(csv.read_bytes())
    sites = _sites_file(tmp_path, "sites:\n  - {id: shop, source: demo}\n")
    env = {"KPI_HOME": str(tmp_path / "home"), "KPI_SITES": str(sites)}

    _register_commands()
    checked = CliRunner().invoke(app, ["targets", "check"], env=env)
    (site,) = configured_sites(Settings.from_env(env))

    assert checked.exit_code == 0, checked.output
    assert f"({local.name})" in checked.output or f"({local})" in checked.output
    assert Path(site_targets(site).source).resolve() == local.resolve()
