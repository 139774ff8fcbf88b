"""The tests' CLI runner (``helpers.cli.run_cli``: commands forked from a warm CLI) prints and
exits as the console script started from scratch does, also where a setting is read from the
environment only when the command runs (the console's width and colours)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers.cli import KPI_PIPELINE, run_cli, user_environment

from kpi_pipeline.config.settings import EXAMPLE_TARGETS


@pytest.mark.parametrize(("args", "env"), [
    (("run", "--week", "2026-W99"), {"COLUMNS": "40"}),  # an error, wrapped at 40 columns
    (("run", "--week", "2026-W99"), {"NO_COLOR": "1", "TERM": "dumb"}),
    (("query", "SELECT 1"), {}),  # no warehouse yet: exit 2, what to run first
    (("targets", "check", str(EXAMPLE_TARGETS)), {}),
    (("funnel", str(EXAMPLE_TARGETS)), {"COLUMNS": "60"}),
], ids=["narrow-error", "no-colour-error", "query-before-run", "targets-check", "narrow-funnel"])
def test_a_forked_command_prints_and_exits_as_the_console_script(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str],
) -> None:
    home = tmp_path / "home"
    forked = run_cli(*args, home=home, cwd=tmp_path, timeout=120, **env)
    scratch = subprocess.run(
        [str(KPI_PIPELINE), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env=user_environment(**{"KPI_HOME": str(home), "COLUMNS": "250", **env}),
    )
    assert forked.stdout + forked.stderr  # it said something
    assert (forked.returncode, forked.stdout, forked.stderr) == \
        (scratch.returncode, scratch.stdout, scratch.stderr)


def test_a_variable_read_only_at_start_up_is_refused() -> None:
    with pytest.raises(ValueError, match="PYTHONHASHSEED.*start the console script"):
        run_cli("--help", home=Path("unused"), cwd=Path("."), PYTHONHASHSEED="0")
