"""``KPI_EVENT_LOG``: the CLI's batching event log sits behind one switch back to Dagster's stock
SQLite event log, and falls back to it by itself when Dagster's internals it builds on are gone.

Each path runs a real ``kpi-pipeline run`` on a copy of the session's ran-week home, and the
instance is then read the way the UI reads it (stock classes): the week's materializations are
there whichever class wrote them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance
from helpers.cli import KPI_PIPELINE, run_cli, user_environment
from helpers.kpi_home import copy_home

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.orchestration.event_log import BatchingSqliteEventLogStorage
from kpi_pipeline.orchestration.runner import instance_for_cli

pytestmark = pytest.mark.slow

WEEK, PARTITION = "2026-W46", "2026-11-09"
PROGRESS = AssetKey(["mart", "kpi_progress"])

# Dagster "upgraded" so that a name the batching class imports from dagster._core is gone (the
# stock classes bound it when they were imported, so they keep working, as after a real move).
UPGRADED_DAGSTER = """\
import dagster._core.storage.event_log.sqlite.consolidated_sqlite_event_log
import dagster._core.storage.event_log.sqlite.sqlite_event_log
import dagster._core.storage.sqlite as moved
del moved.SQLITE_BUSY_TIMEOUT_SECONDS
"""


def _materialized(home: Path) -> set[str]:
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        return set(instance.get_materialized_partitions(PROGRESS))


def test_the_switch_chooses_the_stock_or_the_batching_event_log(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with instance_for_cli(Settings(kpi_home=home)) as batching:
        assert type(batching.event_log_storage) is BatchingSqliteEventLogStorage
    with instance_for_cli(Settings(kpi_home=home, kpi_event_log="stock")) as stock:
        assert type(stock.event_log_storage).__name__ == "SqliteEventLogStorage"


@pytest.mark.parametrize("event_log", ["stock", "batching"])
def test_a_run_is_recorded_for_the_ui_on_either_event_log(ran_week_template, tmp_path: Path,
                                                          event_log: str) -> None:
    home = copy_home(ran_week_template.home, tmp_path / "home")
    assert PARTITION not in _materialized(home)

    done = run_cli("run", "--week", WEEK, home=home, cwd=tmp_path, KPI_EVENT_LOG=event_log)

    assert done.returncode == 0, done.stderr[-3000:]
    assert PARTITION in _materialized(home)


def test_a_dagster_without_the_internals_falls_back_to_the_stock_event_log(ran_week_template,
                                                                          tmp_path: Path) -> None:
    """A fresh interpreter (the console script) in which Dagster no longer has a name the batching
    class needs: the command warns once and records its run with the stock class."""
    home = copy_home(ran_week_template.home, tmp_path / "home")
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(UPGRADED_DAGSTER, encoding="utf-8")

    done = subprocess.run(
        [str(KPI_PIPELINE), "run", "--week", WEEK], cwd=tmp_path, capture_output=True, text=True,
        timeout=600, env=user_environment(KPI_HOME=str(home), PYTHONPATH=str(shim), COLUMNS="250"),
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert "using Dagster's stock event log (KPI_EVENT_LOG=stock)" in done.stderr
    assert PARTITION in _materialized(home)
