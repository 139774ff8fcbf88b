"""Run the installed ``kpi-pipeline`` as a user would: a clean environment, its own KPI_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

KPI_PIPELINE = Path(sys.executable).parent / "kpi-pipeline"
_OURS = ("KPI_", "GA4_", "SMTP_", "REPORT_", "CRM_", "DAGSTER_", "ALERT_", "SLACK_", "TEAMS_")


def run_cli(*args: str, home: Path, cwd: Path, timeout: float = 300,
            **env: str) -> subprocess.CompletedProcess[str]:
    """``kpi-pipeline ARGS`` in ``cwd`` with only ``env`` of the project's variables set."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    # a wide console, so rich does not wrap messages and paths in the middle
    environ.update(KPI_HOME=str(home), COLUMNS="250", **env)
    return subprocess.run([str(KPI_PIPELINE), *args], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=timeout)
