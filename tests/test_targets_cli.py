"""``kpi-pipeline targets check`` and ``kpi-pipeline funnel`` as a marketer runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kpi_pipeline.cli.app import EXIT_USAGE, _register_commands, app
from kpi_pipeline.settings import EXAMPLE_TARGETS

FIXTURES = Path(__file__).parent / "fixtures" / "targets"
CLI = Path(sys.executable).parent / "kpi-pipeline"

_register_commands()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_check_accepts_a_valid_file_and_counts_its_goals(runner: CliRunner) -> None:
    result = runner.invoke(app, ["targets", "check", str(EXAMPLE_TARGETS)])
    assert result.exit_code == 0, result.output
    assert "OK: 3 KGIs, 6 KPIs" in result.stdout


def test_check_defaults_to_the_configured_file(runner: CliRunner, tmp_path: Path) -> None:
    chosen = tmp_path / "mine.yaml"
    chosen.write_text((FIXTURES / "valid_minimal.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(app, ["targets", "check"], env={"KPI_TARGETS": str(chosen)})
    assert result.exit_code == 0, result.output
    assert "OK: 1 KGIs, 1 KPIs" in result.stdout


def test_check_reports_every_mistake_with_file_line_and_field_on_stderr(runner: CliRunner) -> None:
    bad = FIXTURES / "many_mistakes.yaml"
    result = runner.invoke(app, ["targets", "check", str(bad)])
    assert result.exit_code == EXIT_USAGE
    assert f"{bad}:30: kpis[2].deadline: deadline 2026-08-31 is before start 2026-09-01" in result.stderr
    assert f"{bad}:28: kpis[2].metric: unknown metric 'bounce'" in result.stderr
    assert "4 problems" in result.stderr
    assert result.stdout == ""


def test_check_of_a_missing_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["targets", "check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == EXIT_USAGE
    assert "file not found" in result.stderr


def test_funnel_prints_the_whitepaper_chain_with_stage_names_and_rates(runner: CliRunner) -> None:
    result = runner.invoke(app, ["funnel", str(EXAMPLE_TARGETS), "--lang", "ja"])
    assert result.exit_code == 0, result.output
    assert "100 ← 200 ← 400 ← 4,000" in result.stdout
    assert "受注 ← 商談 ← アポイント ← 見込み顧客" in result.stdout
    assert "成約率 50%" in result.stdout and "商談化率 50%" in result.stdout
    assert "アポイント獲得率 10%" in result.stdout


def test_funnel_speaks_english_when_asked(runner: CliRunner) -> None:
    result = runner.invoke(app, ["funnel", str(EXAMPLE_TARGETS)], env={"REPORT_LANG": "en"})
    assert result.exit_code == 0, result.output
    assert "Orders ← Deals ← Appointments ← Leads" in result.stdout
    assert "close rate 50%" in result.stdout


def test_funnel_of_a_broken_file_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(app, ["funnel", str(FIXTURES / "funnel_out_of_order.yaml")])
    assert result.exit_code == EXIT_USAGE
    assert "kgis[0].funnel[1].stage" in result.stderr


def test_the_installed_command_exits_2_without_a_traceback() -> None:
    bad = FIXTURES / "deadline_before_start.yaml"
    done = subprocess.run([str(CLI), "targets", "check", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_USAGE
    assert f"{bad}:14: kpis[0].deadline:" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_of_an_impossible_date_exits_2_naming_file_line_and_field(runner: CliRunner) -> None:
    bad = FIXTURES / "impossible_date.yaml"
    result = runner.invoke(app, ["targets", "check", str(bad)])
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"{bad}:13: kpis[0].start: no such date: 2026-02-30" in result.stderr
    assert "1 problem in" in result.stderr


def test_the_installed_command_reports_an_impossible_date_without_a_traceback() -> None:
    bad = FIXTURES / "impossible_date.yaml"
    done = subprocess.run([str(CLI), "targets", "check", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_USAGE
    assert f"{bad}:13: kpis[0].start: no such date" in done.stderr
    assert "Traceback" not in done.stderr
