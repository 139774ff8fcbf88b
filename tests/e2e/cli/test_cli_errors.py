"""The CLI's error boundary as a user meets it: a mistake is one message and exit 2, a bug is
one line and exit 1, and a traceback only appears when asked for (--debug, KPI_DEBUG)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
from helpers.cli import run_cli
from typer.testing import CliRunner

from kpi_pipeline.cli.app import ErrorBoundary, global_options
from kpi_pipeline.config.settings import EXAMPLE_TARGETS


def _app_with_a_broken_command() -> typer.Typer:
    """The real boundary and global options around a command that fails like a bug would."""
    broken = typer.Typer(cls=ErrorBoundary, pretty_exceptions_enable=False)
    broken.callback()(global_options)

    @broken.command()
    def crash() -> None:
        {}["missing"]  # noqa: B018 - the KeyError a bug would raise

    return broken


@pytest.mark.parametrize(
    ("args", "env", "traceback"),
    [(["crash"], {}, False), (["--debug", "crash"], {}, True), (["crash"], {"KPI_DEBUG": "1"}, True)],
)
def test_an_unexpected_error_is_one_line_and_the_traceback_only_on_request(
    args: list[str], env: dict[str, str], traceback: bool,
) -> None:
    result = CliRunner().invoke(_app_with_a_broken_command(), args, env=env)
    assert result.exit_code == 1
    assert "this is a bug in kpi-pipeline (KeyError); please report it" in result.stderr
    assert "--debug" in result.stderr
    assert ("Traceback" in result.stderr) is traceback


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("KPI_START_DATE", "garbage", "'garbage' is not a date"),
        ("GA4_PROPERTY_ID", "abc", "'abc' is not a GA4 property id"),
        ("KPI_SITE_ID", "../../evil", "'../../evil': use letters, digits"),
        ("REPORT_TO", "team@example.jp\nBcc: thief@evil.example", "must be one line"),
        ("REPORT_FROM", "kpi@example.jp\r\nBcc: thief@evil.example", "must be one line"),
        ("DAGSTER_HOME", "/nonexistent/dagster", "/nonexistent/dagster is not an existing folder"),
    ],
)
def test_a_bad_environment_variable_is_named_with_exit_2(
    tmp_path: Path, variable: str, value: str, says: str,
) -> None:
    result = run_cli("targets", "check", str(EXAMPLE_TARGETS), home=tmp_path / "home",
                     cwd=tmp_path, timeout=60, **{variable: value})
    assert result.returncode == 2
    assert f"configuration error: {variable}: {says}" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p.write_bytes("sites:\n  - id: shop\n    name: 本店\n".encode("shift_jis")),
         ":3: not UTF-8 text"),
        (lambda p: p.mkdir(), ": is a directory, not a file"),
    ],
)
def test_an_unreadable_sites_file_is_named_with_exit_2(tmp_path: Path, make, says: str) -> None:
    sites = tmp_path / "kpi_sites.yaml"
    make(sites)
    result = run_cli("report", "--week", "2026-W47", home=tmp_path / "home", cwd=tmp_path,
                     timeout=120, KPI_SITES=str(sites))
    assert result.returncode == 2
    assert "sites file has errors:\n" in result.stderr
    assert f"\n{sites}{says}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_that_is_not_a_warehouse_is_named_with_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "warehouse.duckdb").write_text("date,orders\n2026-11-16,3\n")
    result = run_cli("report", "--week", "2026-W47", home=home, cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert f"{home / 'warehouse.duckdb'}: cannot open the warehouse" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_debug_never_adds_a_traceback_to_a_users_mistake(tmp_path: Path) -> None:
    bad = tmp_path / "kpi_targets.yaml"
    bad.write_text("kgis: []\n", encoding="utf-8")
    result = run_cli("--debug", "targets", "check", str(bad), home=tmp_path / "home", cwd=tmp_path,
                     timeout=60)
    assert result.returncode == 2
    assert f"{bad}:1: kgis: needs at least one item" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dotenv_file_in_the_working_folder_is_read_and_the_real_environment_wins(
    tmp_path: Path,
) -> None:
    mine = tmp_path / "mine.yaml"  # the example, under another name (with the CSV it reads)
    mine.write_text(EXAMPLE_TARGETS.read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copy(EXAMPLE_TARGETS.parent / "followers.example.csv", tmp_path)
    (tmp_path / ".env").write_text(f"KPI_TARGETS={mine}\nGA4_PROPERTY_ID=abc\n", encoding="utf-8")

    from_dotenv = run_cli("targets", "check", home=tmp_path / "home", cwd=tmp_path, timeout=60)
    real_wins = run_cli("targets", "check", home=tmp_path / "home", cwd=tmp_path, timeout=60,
                        GA4_PROPERTY_ID="123456789")

    assert from_dotenv.returncode == 2
    assert "configuration error: GA4_PROPERTY_ID: 'abc' is not a GA4 property id" in from_dotenv.stderr
    assert real_wins.returncode == 0, real_wins.stderr
    assert str(mine) in real_wins.stdout  # KPI_TARGETS came from .env


@pytest.mark.parametrize(
    ("args", "usage", "says"),
    [
        (["nosuchcommand"], "Usage: kpi-pipeline [OPTIONS] COMMAND [ARGS]...",
         "No such command 'nosuchcommand'."),
        (["run", "--weeek", "2026-W01"], "Usage: kpi-pipeline run [OPTIONS]",
         "No such option: --weeek"),
    ],
)
def test_a_mistyped_command_or_option_gets_the_usage_and_exit_2(
    tmp_path: Path, args: list[str], usage: str, says: str,
) -> None:
    result = run_cli(*args, home=tmp_path / "home", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert usage in result.stderr and says in result.stderr
    assert "this is a bug" not in result.stderr


def test_a_kpi_home_that_cannot_be_a_folder_is_named_with_exit_2(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    result = run_cli("run", "--week", "2026-W47", home=not_a_folder / "home", cwd=tmp_path)
    assert result.returncode == 2
    assert f"error: {not_a_folder / 'home'}" in result.stderr and "Not a directory" in result.stderr
    assert "this is a bug" not in result.stderr


@pytest.mark.parametrize(("command", "says"), [
    (["report", "--week", "2026-W47"], "no warehouse at {home}/warehouse.duckdb"),
    (["query", "SELECT 1"], "{home}/published.duckdb does not exist yet"),
])
def test_reading_a_missing_kpi_home_says_to_run_first(tmp_path: Path, command: list[str],
                                                      says: str) -> None:
    home = tmp_path / "never_made"
    result = run_cli(*command, home=home, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert says.format(home=home) in " ".join(result.stderr.split())
    assert "run first" in " ".join(result.stderr.split()) or "first" in result.stderr
    assert not home.exists()
