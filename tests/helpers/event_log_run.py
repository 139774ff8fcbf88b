"""A CLI range run of the three SQL marts, then the process waits to be killed (SIGKILL).

Usage: ``event_log_run.py KPI_HOME FIRST_WEEK LAST_WEEK``. Records the run in the instance the
CLI opens (``runner.instance_for_cli``), prints ``stored <run id>`` and sleeps with the instance
still open: nothing is closed, checkpointed or synced before the kill.
"""

from __future__ import annotations

import sys
import time
from datetime import date

from dagster import AssetKey

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.definitions import build_definitions
from kpi_pipeline.orchestration.jobs import METRICS_DAILY, METRICS_WEEKLY
from kpi_pipeline.orchestration.runner import instance_for_cli, run_weeks

MARTS = [METRICS_DAILY, METRICS_WEEKLY, AssetKey(["mart", "aarrr_weekly"])]


def main() -> None:
    home, first, last = sys.argv[1], date.fromisoformat(sys.argv[2]), date.fromisoformat(sys.argv[3])
    settings = Settings.from_env({"KPI_HOME": home})
    instance = instance_for_cli(settings)
    summary = run_weeks(build_definitions(settings), instance, first, last, selection=MARTS)
    print(f"stored {summary.run_id}", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main()
