"""``kpi-pipeline run|backfill --site ID`` works on that site only: its raw rows, marts, KPI
progress and report are rebuilt; every other site's rows and report stay exactly as they were."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from helpers.cli import run_cli
from helpers.kpi_home import copy_home, run_week

pytestmark = pytest.mark.slow

WEEK = "2026-W47"
MARKED = -1.0  # a value no build writes: still there afterwards means "not touched"


def _sites(tmp_path: Path) -> dict[str, str]:
    sites = tmp_path / "kpi_sites.yaml"
    sites.write_text("sites:\n  - {id: shop, source: demo}\n  - {id: corp, source: demo}\n",
                     encoding="utf-8")
    return {"KPI_SITES": str(sites)}


def _mark_every_site(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse))
    con.execute("UPDATE mart.metrics_weekly SET value = ? WHERE metric_id = 'sessions'", [MARKED])
    con.execute("UPDATE mart.kpi_progress SET actual = ?", [MARKED])
    con.close()


def _state(warehouse: Path) -> dict[str, tuple]:
    """Per site: newest raw load, meta.runs rows, and whether its marked mart rows survived."""
    con = duckdb.connect(str(warehouse), read_only=True)
    state = {}
    for site in ("shop", "corp"):
        state[site] = (
            con.execute("SELECT max(loaded_at) FROM raw.ga4_daily WHERE site_id = ?", [site]).fetchone()[0],
            con.execute("SELECT count(*) FROM meta.runs WHERE site_id = ?", [site]).fetchone()[0],
            con.execute("SELECT bool_and(value = ?) FROM mart.metrics_weekly WHERE site_id = ? "
                        "AND metric_id = 'sessions'", [MARKED, site]).fetchone()[0],
            con.execute("SELECT bool_and(actual = ?) FROM mart.kpi_progress WHERE site_id = ?",
                        [MARKED, site]).fetchone()[0],
        )
    con.close()
    return state


@pytest.fixture(scope="module")
def two_sites_ran(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KPI_HOME where `run --week WEEK` built and rendered both sites (read-only: copied)."""
    cwd = tmp_path_factory.mktemp("cwd")
    return run_week(WEEK, tmp_path_factory.mktemp("two_sites") / "home", cwd, **_sites(cwd)).home


@pytest.mark.parametrize("command", [("run", "--week", WEEK), ("backfill", "--from", WEEK, "--to", WEEK,
                                                               "--with-reports")])
def test_a_site_option_rebuilds_that_site_and_leaves_the_others_untouched(
    two_sites_ran: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    home, env = copy_home(two_sites_ran, tmp_path / "home"), _sites(tmp_path)
    warehouse = home / "warehouse.duckdb"
    reports = {site: next((home / "reports" / site / WEEK).glob("report*.html")) for site in ("shop", "corp")}
    written = {site: path.stat().st_mtime_ns for site, path in reports.items()}
    _mark_every_site(warehouse)
    before = _state(warehouse)

    again = run_cli(*command, "--site", "shop", home=home, cwd=tmp_path, **env)

    assert again.returncode == 0, again.stderr
    after = _state(warehouse)
    assert after["corp"] == before["corp"]  # raw, meta.runs, marts, KPI of corp: untouched
    shop_loaded, shop_runs, shop_marked, shop_kpi_marked = after["shop"]
    assert shop_loaded > before["shop"][0] and shop_runs > before["shop"][1]
    assert not shop_marked and not shop_kpi_marked  # shop's marts and KPI were rebuilt
    assert reports["corp"].stat().st_mtime_ns == written["corp"]
    assert reports["shop"].stat().st_mtime_ns > written["shop"]
    assert (home / "reports" / "index.html").exists()  # the archive still lists both sites
    assert 'href="corp/' in (home / "reports" / "index.html").read_text(encoding="utf-8")


def test_an_unknown_site_exits_2_naming_the_known_ones(tmp_path: Path) -> None:
    result = run_cli("run", "--week", WEEK, "--site", "blog", home=tmp_path / "home", cwd=tmp_path,
                     **_sites(tmp_path))
    assert result.returncode == 2
    assert "--site 'blog': known sites are shop, corp" in " ".join(result.stderr.split())
