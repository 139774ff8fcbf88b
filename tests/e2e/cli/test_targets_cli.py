"""``kpi-pipeline targets check`` and ``kpi-pipeline funnel`` as a marketer runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers.paths import FIXTURES
from typer.testing import CliRunner

from kpi_pipeline.cli.app import EXIT_USAGE, _register_commands, app
from kpi_pipeline.config.settings import EXAMPLE_TARGETS

TARGET_FIXTURES = FIXTURES / "targets"
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
    chosen.write_text((TARGET_FIXTURES / "valid_minimal.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(app, ["targets", "check"], env={"KPI_TARGETS": str(chosen)})
    assert result.exit_code == 0, result.output
    assert "OK: 1 KGIs, 1 KPIs" in result.stdout


def test_check_reports_every_mistake_with_file_line_and_field_on_stderr(runner: CliRunner) -> None:
    bad = TARGET_FIXTURES / "many_mistakes.yaml"
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
    result = runner.invoke(app, ["funnel", str(TARGET_FIXTURES / "funnel_out_of_order.yaml")])
    assert result.exit_code == EXIT_USAGE
    assert "kgis[0].funnel[1].stage" in result.stderr


def test_the_installed_command_exits_2_without_a_traceback() -> None:
    bad = TARGET_FIXTURES / "deadline_before_start.yaml"
    done = subprocess.run([str(CLI), "targets", "check", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_USAGE
    assert f"{bad}:14: kpis[0].deadline:" in done.stderr
    assert "Traceback" not in done.stderr


def test_check_of_an_impossible_date_exits_2_naming_file_line_and_field(runner: CliRunner) -> None:
    bad = TARGET_FIXTURES / "impossible_date.yaml"
    result = runner.invoke(app, ["targets", "check", str(bad)])
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"{bad}:13: kpis[0].start: no such date: 2026-02-30" in result.stderr
    assert "1 problem in" in result.stderr


def test_the_installed_command_reports_an_impossible_date_without_a_traceback() -> None:
    bad = TARGET_FIXTURES / "impossible_date.yaml"
    done = subprocess.run([str(CLI), "targets", "check", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_USAGE
    assert f"{bad}:13: kpis[0].start: no such date" in done.stderr
    assert "Traceback" not in done.stderr


MINIMAL = (TARGET_FIXTURES / "valid_minimal.yaml").read_text(encoding="utf-8")


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    assert old in MINIMAL
    path = tmp_path / "kpi_targets.yaml"
    path.write_text(MINIMAL.replace(old, new), encoding="utf-8")
    return path


MERGED = """\
kgis:
  - id: orders_fy
    name: 1年で受注100件
    metric: orders
    period: {start: 2026-04-01, end: 2027-03-31}
    target: {value: 100}
kpis:
  - &base
    id: sessions_a
    name: セッション
    kgi: orders_fy
    metric: sessions
    start: 2026-10-01
    deadline: 2026-11-30
    baseline: {value: 1000}
    target: {multiplier: 1.25}
  - <<: *base
    id: sessions_b
    start: 2026-12-01
"""


def test_a_mistake_brought_in_by_a_merge_key_names_the_line_where_it_is_written(
    runner: CliRunner, tmp_path: Path,
) -> None:
    path = tmp_path / "merged.yaml"
    path.write_text(MERGED, encoding="utf-8")
    result = runner.invoke(app, ["targets", "check", str(path)])
    assert result.exit_code == EXIT_USAGE, result.output
    # kpis[1] merges deadline 2026-11-30 (line 14) from kpis[0] but starts on 2026-12-01
    assert f"{path}:14: kpis[1].deadline: deadline 2026-11-30 is before start 2026-12-01" in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        ("target: {value: 100}", "target: {value: 1e308}", ":8: kgis[0].target.value:", "too large"),
        ("target: {value: 100}", "target: {value: -5}", ":8: kgis[0].target.value:", "above 0"),
        ("target: {value: 100}", "target: {value: 0}", ":8: kgis[0].target.value:", "above 0"),
        ("target: {multiplier: 1.25}", "target: {multiplier: 1e306}\n    pacing: compound",
         ":17: kpis[0].target.multiplier:", "out of range"),
        ("baseline: {from: 2026-08-01, to: 2026-09-30}", "baseline: {value: -3}",
         ":16: kpis[0].baseline.value:", "0 or more"),
        ("baseline: {from: 2026-08-01, to: 2026-09-30}", "baseline: {value: 0}",
         ":17: kpis[0].target.multiplier:", "baseline of 0"),
        ("target: {multiplier: 1.25}", "target: {at_least: -1}", ":17: kpis[0].target.at_least:",
         "0 or more"),
        ("target: {multiplier: 1.25}", "target: {at_most: 1e20}", ":17: kpis[0].target.at_most:",
         "too large"),
    ],
)
def test_targets_the_run_could_not_compute_are_refused_by_check(
    runner: CliRunner, tmp_path: Path, old: str, new: str, where: str, says: str,
) -> None:
    path = _variant(tmp_path, old, new)
    result = runner.invoke(app, ["targets", "check", str(path)])
    assert result.exit_code == EXIT_USAGE, result.output
    line = next(line for line in result.stderr.splitlines() if line.startswith(f"{path}{where}"))
    assert says in line


def test_a_funnel_whose_stages_would_overflow_is_refused_at_the_rate(
    runner: CliRunner, tmp_path: Path,
) -> None:
    path = _variant(tmp_path, "target: {value: 100}",
                    "target: {value: 1e14}\n    funnel:\n      - {stage: deals, rate: 0.001}")
    result = runner.invoke(app, ["targets", "check", str(path)])
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"{path}:10: kgis[0].funnel[0].rate: the target 1e+14 needs 1e+17 deals" in result.stderr


def test_a_file_without_kgis_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("timezone: Asia/Tokyo\nkgis: []\n", encoding="utf-8")
    result = runner.invoke(app, ["targets", "check", str(path)])
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"{path}:2: kgis: needs at least one item" in result.stderr


@pytest.mark.parametrize(
    ("content", "says"),
    [("timezone: Asia/Tokyo\n# 目標\nkgis: []\n".encode("shift_jis"), ":2: not UTF-8 text"),
     (None, ": is a directory")],
)
def test_an_unreadable_targets_file_is_named(
    runner: CliRunner, tmp_path: Path, content: bytes | None, says: str,
) -> None:
    path = tmp_path / "targets.yaml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    result = runner.invoke(app, ["targets", "check", str(path)])
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"{path}{says}" in result.stderr
