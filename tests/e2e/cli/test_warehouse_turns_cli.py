"""A ``kpi-pipeline run`` that finds the DuckDB warehouse busy waits asleep, before its Dagster
run starts, says so, and runs as soon as the other command lets go (the console script, a
fresh KPI_HOME on the demo source)."""

from __future__ import annotations

import os
import queue
import subprocess
import threading
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance
from helpers.cli import KPI_PIPELINE, user_environment

from kpi_pipeline.orchestration.warehouse_turns import _try_lock, turn_file

pytestmark = pytest.mark.slow

WAITING = "waiting for another run to finish with the warehouse"


def _lines(stream) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)
        lines.put("")  # end of the stream

    threading.Thread(target=read, daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue[str], text: str, seen: list[str]) -> bool:
    while True:
        try:
            line = lines.get(timeout=300)
        except queue.Empty:
            return False
        seen.append(line)
        if not line:
            return False
        if text in line:
            return True


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds_over_one_second(pid: int) -> float:
    time.sleep(0.5)  # past the log line, into the wait
    before = _cpu_seconds(pid)
    time.sleep(1.0)
    return _cpu_seconds(pid) - before


def test_a_run_waits_asleep_for_the_warehouse_and_runs_once_it_is_free(tmp_path: Path) -> None:
    home = tmp_path / "home"
    instance_dir = home / "dagster"
    instance_dir.mkdir(parents=True)
    other_run = _try_lock(turn_file(instance_dir, 0))  # another command's run holds the file
    assert other_run is not None
    sites = tmp_path / "kpi_sites.yaml"
    sites.write_text("sites:\n  - {id: s1, source: demo}\n", encoding="utf-8")
    process = subprocess.Popen(
        [str(KPI_PIPELINE), "run", "--week", "2026-W47"], cwd=tmp_path, text=True,
        env=user_environment(KPI_HOME=str(home), KPI_SITES=str(sites)),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        seen: list[str] = []
        assert _wait_for(_lines(process.stderr), WAITING, seen), "".join(seen)[-3000:]
        assert process.poll() is None  # still there, waiting
        with DagsterInstance.from_config(str(instance_dir)) as instance:
            assert instance.get_runs() == []  # no Dagster run started, none shows as blocked
        assert _cpu_seconds_over_one_second(process.pid) < 0.2  # asleep, not spinning on a core
    finally:
        os.close(other_run)  # the other command finishes
    assert process.wait(timeout=600) == 0, "".join(seen)[-3000:]
    assert (home / "reports" / "2026-W47" / "report.html").exists()
    with DagsterInstance.from_config(str(instance_dir)) as instance:
        assert {run.job_name for run in instance.get_runs()} >= {"weekly_pipeline"}
