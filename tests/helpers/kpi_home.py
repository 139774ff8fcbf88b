"""Whole KPI_HOME folders built once and copied: the warehouse file, the Dagster instance the
CLI records into (``dagster/``), the analyst copy and the reports, as a user's home holds them."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from helpers.cli import run_cli


@dataclass(frozen=True)
class RanWeek:
    """A KPI_HOME after ``kpi-pipeline run --week WEEK`` and what that command printed."""

    home: Path
    result: subprocess.CompletedProcess[str]


def run_week(week: str, home: Path, cwd: Path, **env: str) -> RanWeek:
    """``kpi-pipeline run --week`` on ``home`` (exit 0 checked): a state tests copy, not rebuild."""
    result = run_cli("run", "--week", week, home=home, cwd=cwd, **env)
    assert result.returncode == 0, result.stderr[-3000:]
    return RanWeek(home, result)


def copy_home(template: Path, target: Path) -> Path:
    """``target`` as a private copy of the KPI_HOME ``template`` (file times kept, so a test can
    still tell a file rewritten afterwards from one left alone). Only a home no process has
    open is copied: every CLI call the template came from has exited."""
    shutil.copytree(template, target, symlinks=True)
    return target
