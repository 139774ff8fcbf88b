"""``ingest_days`` in its own process, as `kpi-pipeline` would run it (KPI_HOME from the env).

Usage: ingest_run.py FIRST_DAY LAST_DAY. Prints ``done <run id>``.
"""

from __future__ import annotations

import sys
from datetime import date

from dagster import DagsterInstance

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.definitions import build_definitions
from kpi_pipeline.orchestration.runner import ingest_days


def main() -> None:
    first, last = (date.fromisoformat(x) for x in sys.argv[1:3])
    summary = ingest_days(build_definitions(Settings.from_env()), DagsterInstance.ephemeral(),
                          first, last)
    print(f"done {summary.run_id}", flush=True)


if __name__ == "__main__":
    main()
