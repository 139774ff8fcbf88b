"""`dg check defs` (dagster-dg-cli) finds the project through `[tool.dg]` in pyproject.toml.

Run as ops would in the repository: the real `dg` console script, a clean environment with
this virtualenv active and KPI_HOME in tmp. A broken sites file must make it fail, naming the
file, so the check is a real gate on the code location.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import user_environment
from helpers.paths import REPO_ROOT

pytestmark = pytest.mark.slow

ROOT = REPO_ROOT
BIN = Path(sys.executable).parent


def _dg_check_defs(home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = user_environment(**{"KPI_HOME": str(home), "VIRTUAL_ENV": str(BIN.parent),
                                  "COLUMNS": "250", **env})
    environ["PATH"] = f"{BIN}{os.pathsep}{environ.get('PATH', '')}"
    return subprocess.run([str(BIN / "dg"), "check", "defs"], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=600)


def test_dg_check_defs_loads_the_code_location(tmp_path: Path) -> None:
    done = _dg_check_defs(tmp_path / "home")

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "All definitions loaded successfully" in done.stdout + done.stderr


def test_dg_check_defs_fails_on_a_broken_sites_file(tmp_path: Path) -> None:
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites:\n  - id: shop\n    bogus_field: 1\n", encoding="utf-8")

    done = _dg_check_defs(tmp_path / "home", KPI_SITES=str(sites))

    assert done.returncode != 0
    assert "All definitions loaded successfully" not in done.stdout + done.stderr
    assert "sites.yaml" in done.stdout + done.stderr
