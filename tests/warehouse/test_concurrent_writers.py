"""Two processes writing one warehouse file at once: the second waits for the lock, both land.

DuckDB allows one read-write process per file. ``kpi_pipeline.warehouse.connect`` waits for the
lock (with a log line) instead of failing, so a CLI load started while a scheduled run writes
simply queues behind it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers.processes import finish, running, wait_for_line

from kpi_pipeline.warehouse import connect

pytestmark = pytest.mark.slow

HELD_DAYS = (date(2026, 10, 1), date(2026, 10, 7))  # the direct loader (no look-back)
DAGSTER_DAYS = (date(2026, 11, 2), date(2026, 11, 8))  # one ISO week, re-reading 3 days before
LOCK_LOG = "is locked by another process; waiting"


def _days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def test_a_dagster_ingest_waits_for_a_direct_loader_and_both_loads_land(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    release = tmp_path / "release"
    held_args = (str(warehouse), *(d.isoformat() for d in HELD_DAYS), str(release))
    with running("held_loader", *held_args) as direct:
        wait_for_line(direct, "locked")
        with running("ingest_run", *(d.isoformat() for d in DAGSTER_DAYS),
                     env={"KPI_HOME": str(tmp_path)}, merge_stderr=True) as dagster_run:
            # the Dagster run reached the warehouse while the loader holds it, and waits
            assert "warehouse" in wait_for_line(dagster_run, LOCK_LOG, contains=True)
            release.touch()
            assert finish(direct).strip() == "done 7"
            assert "done " in finish(dagster_run)

    con = connect(warehouse, read_only=True)
    web_days = {d for (d,) in con.execute("SELECT DISTINCT date FROM raw.ga4_daily").fetchall()}
    breakdown_days = {d for (d,) in con.execute(
        "SELECT DISTINCT date FROM raw.ga4_by_dimension").fetchall()}
    crm_days = {d for (d,) in con.execute("SELECT date FROM raw.crm_daily").fetchall()}
    loads = con.execute("SELECT asset, run_id IS NOT NULL FROM meta.runs ORDER BY ALL").fetchall()
    con.close()

    dagster_days = _days(DAGSTER_DAYS[0] - timedelta(days=3), DAGSTER_DAYS[1])
    assert web_days == _days(*HELD_DAYS) | dagster_days
    assert breakdown_days == web_days
    assert crm_days == _days(*DAGSTER_DAYS)
    assert loads == [
        ("raw.crm_daily", True), ("raw.custom_daily", True), ("raw.ga4_ads_daily", True),
        ("raw.ga4_by_dimension", False), ("raw.ga4_by_dimension", True),
        ("raw.ga4_daily", False), ("raw.ga4_daily", True),
    ]
