"""The promises of SECURITY.md that the CLI keeps, checked through the installed command:
values from files are escaped in the HTML report, and an unwritable report folder is a clear
message."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers.cli import run_cli

pytestmark = pytest.mark.xdist_group("e2e")

FIXTURES = Path(__file__).parent / "fixtures" / "targets"
WEEK = "2026-W47"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    """One demo run of the week whose KPI is named with an HTML script tag."""
    cwd = tmp_path_factory.mktemp("cwd")
    targets = cwd / "kpi_targets.yaml"
    targets.write_text((FIXTURES / "valid_minimal.yaml").read_text(encoding="utf-8").replace(
        "name: 2ヶ月でセッション数を1.25倍に", f"name: \"{SCRIPT}\""), encoding="utf-8")
    home = tmp_path_factory.mktemp("home")
    result = run_cli("run", "--week", WEEK, home=home, cwd=cwd, KPI_TARGETS=str(targets))
    return home, cwd, result


def test_a_kpi_name_with_a_script_tag_is_escaped_in_the_html_report(built) -> None:
    home, _, result = built
    assert result.returncode == 0, result.stderr[-3000:]
    html = (home / "reports" / WEEK / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT not in html


def test_an_unwritable_report_folder_is_named_with_exit_2(built, tmp_path: Path) -> None:
    home, cwd, _ = built
    blocked = tmp_path / "home"
    blocked.mkdir()
    (blocked / "warehouse.duckdb").symlink_to(home / "warehouse.duckdb")
    (blocked / "reports").write_text("a file where the report folder should be\n")

    result = run_cli("report", "--week", WEEK, "--format", "html", home=blocked, cwd=cwd,
                     KPI_TARGETS=str(cwd / "kpi_targets.yaml"))

    assert result.returncode == 2, result.stderr[-3000:]
    assert str(blocked / "reports") in result.stderr
    assert "Traceback" not in result.stderr
