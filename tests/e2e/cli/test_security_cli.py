"""The promises of SECURITY.md that the CLI keeps, checked through the installed command:
values from files are escaped in the HTML report, the SMTP password a run logs in with is
nowhere in what the run leaves behind, and an unwritable report folder is a clear message."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fixtures.report.smtp import HOST, RecordingHandler, accept_login, smtp_server
from helpers.cli import run_cli
from helpers.paths import FIXTURES

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.slow]

TARGET_FIXTURES = FIXTURES / "targets"
WEEK = "2026-W47"
SCRIPT = "<script>alert(1)</script>"
PASSWORD = "s3cret-Pa55word-never-shown"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess[str]]:
    """One demo run of the week whose KPI is named with an HTML script tag, e-mailing its
    report through an SMTP server that asks for a login (instance kept under DAGSTER_HOME)."""
    cwd = tmp_path_factory.mktemp("cwd")
    targets = cwd / "kpi_targets.yaml"
    targets.write_text((TARGET_FIXTURES / "valid_minimal.yaml").read_text(encoding="utf-8").replace(
        "name: 2ヶ月でセッション数を1.25倍に", f"name: \"{SCRIPT}\""), encoding="utf-8")
    home = tmp_path_factory.mktemp("home")
    (home / "dagster").mkdir()
    handler = RecordingHandler()
    with smtp_server(handler, authenticator=accept_login("kpi", PASSWORD)) as port:
        result = run_cli(
            "run", "--week", WEEK, home=home, cwd=cwd, KPI_TARGETS=str(targets),
            DAGSTER_HOME=str(home / "dagster"), SMTP_HOST=HOST, SMTP_PORT=str(port),
            SMTP_SECURITY="none", SMTP_USERNAME="kpi", SMTP_PASSWORD=PASSWORD,
            REPORT_FROM="kpi@example.jp", REPORT_TO="team@example.jp")
    assert len(handler.received) == 1, result.stderr[-3000:]  # the run logged in and sent
    return home, cwd, result


def test_the_smtp_password_is_nowhere_in_the_run_output_instance_warehouse_or_reports(built) -> None:
    home, _, result = built
    assert result.returncode == 0, result.stderr[-3000:]
    assert PASSWORD not in result.stdout + result.stderr
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files)  # the Dagster instance's run and event storage
    assert [p for p in files if PASSWORD.encode() in p.read_bytes()] == []


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
