"""The wheel is the product: built from the repository, installed into a fresh virtualenv outside
the source tree, it validates targets and runs a week from an empty folder.

The fresh venv gets the wheel alone (``--no-deps``, offline); its dependencies come from the
project venv's site-packages through a ``.pth`` line, so nothing is downloaded and the
package's own files can only come from the wheel.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from helpers.cli import user_environment
from helpers.paths import REPO_ROOT

ROOT = REPO_ROOT
WEEK = "2026-W47"

pytestmark = pytest.mark.slow


def _clean_env(home: Path) -> dict[str, str]:
    environ = {k: v for k, v in user_environment().items()
               if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}  # only the installed wheel's
    return {**environ, "KPI_HOME": str(home), "COLUMNS": "250"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(out), str(ROOT)], check=True, capture_output=True, text=True,
                   timeout=300)
    (built,) = out.glob("kpi_pipeline-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``bin/`` of a fresh venv holding the wheel; dependencies from the project venv."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "project_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True,
                   text=True, timeout=300)
    return venv / "bin"


def test_the_wheel_carries_sql_templates_styles_the_example_targets_and_instance_config(
    wheel: Path,
) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"kpi_pipeline/sql/{p.relative_to(ROOT / 'sql').as_posix()}"
               for p in (ROOT / "sql").rglob("*.sql")}
    shipped |= {f"kpi_pipeline/reports/{p.name}" for p in (ROOT / "reports").iterdir()
                if p.suffix in {".j2", ".css"}}
    shipped |= {"kpi_pipeline/dagster.yaml", "kpi_pipeline/targets/kpi_targets.example.yaml",
                "kpi_pipeline/targets/kpi_targets.schema.json"}
    assert shipped <= names, sorted(shipped - names)


def test_installed_wheel_checks_targets_and_runs_a_week_from_an_empty_folder(
    installed: Path, tmp_path: Path,
) -> None:
    cwd = tmp_path / "empty"
    cwd.mkdir()
    home = tmp_path / "home"
    env = _clean_env(home)
    where = subprocess.run([str(installed / "python"), "-c",
                            "import kpi_pipeline; print(kpi_pipeline.__file__)"],
                           cwd=cwd, env=env, capture_output=True, text=True, check=True)
    assert not where.stdout.strip().startswith(str(ROOT)), where.stdout  # not the source tree

    check = subprocess.run([str(installed / "kpi-pipeline"), "targets", "check"], cwd=cwd,
                           env=env, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stderr[-3000:]
    assert check.stdout.startswith("OK: ")

    run = subprocess.run([str(installed / "kpi-pipeline"), "run", "--week", WEEK], cwd=cwd,
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (home / "reports" / WEEK / "report.html").exists()
    assert (home / "dagster" / "dagster.yaml").exists()
    assert list(cwd.iterdir()) == []  # nothing written where the user stood
