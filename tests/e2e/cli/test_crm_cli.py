"""The CRM export through ``kpi-pipeline run``: mistakes stop the run before Dagster starts,
and an export that lacks days the warehouse has never erases them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers.cli import run_cli
from helpers.kpi_home import copy_home, run_week

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.slow]

WEEK = "2026-W47"
MONDAY = date(2026, 11, 16)
HEADER = "date,leads,appointments,deals,orders,revenue\n"


def _week_csv(path: Path) -> Path:
    rows = [f"{MONDAY + timedelta(days=i)},{10 + i},2,1,1,500000" for i in range(7)]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _crm_rows(home: Path) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(
            "SELECT date, leads, orders FROM raw.crm_daily WHERE date BETWEEN ? AND ? ORDER BY date",
            [MONDAY, MONDAY + timedelta(days=6)]).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def ran_with_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KPI_HOME where `run --week WEEK` loaded a whole week's CRM export (read-only: copied)."""
    cwd = tmp_path_factory.mktemp("cwd")
    crm = _week_csv(cwd / "crm.csv")
    return run_week(WEEK, tmp_path_factory.mktemp("crm") / "home", cwd, CRM_CSV=str(crm)).home


@pytest.fixture
def home(ran_with_export: Path, tmp_path: Path) -> Path:
    """Each test's own copy of that home, for its second run."""
    return copy_home(ran_with_export, tmp_path / "home")


def test_a_header_only_export_keeps_the_weeks_crm_rows_and_says_so(home: Path, tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    before = _crm_rows(home)
    assert len(before) == 7 and before[0][1] == 10

    crm.write_text(HEADER, encoding="utf-8")  # the CRM's export ran before anything was entered
    again = run_cli("run", "--week", WEEK, home=home, cwd=tmp_path, CRM_CSV=str(crm))

    assert again.returncode == 0, again.stderr[-3000:]
    assert _crm_rows(home) == before
    message = " ".join(again.stderr.split())
    assert "the CRM export has no rows for" in message and "kept the stored rows" in message
    assert str(MONDAY) in message


def test_an_export_with_some_days_replaces_those_and_keeps_the_others(home: Path, tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text(HEADER + f"{MONDAY},99,2,1,0,0\n", encoding="utf-8")  # a corrected Monday only

    again = run_cli("run", "--week", WEEK, home=home, cwd=tmp_path, CRM_CSV=str(crm))

    assert again.returncode == 0, again.stderr[-3000:]
    rows = _crm_rows(home)
    assert len(rows) == 7
    assert rows[0][1:] == (99, 0) and rows[1][1] == 11


@pytest.mark.parametrize(
    ("line", "says"),
    [("2026-11-16,99999999999999999999,0,0,0,0", ":3: leads: '99999999999999999999' is too large"),
     ("2026-11-16,1,x,0,0,0", ":3: appointments: 'x' is not a whole number")],
)
def test_a_crm_mistake_stops_run_before_dagster_with_file_line_and_column(
    tmp_path: Path, line: str, says: str,
) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text(HEADER + "2026-11-15,1,0,0,0,0\n" + line + "\n", encoding="utf-8")
    home = tmp_path / "home"

    result = run_cli("run", "--week", WEEK, home=home, cwd=tmp_path, CRM_CSV=str(crm))

    assert result.returncode == 2
    assert f"{crm}{says}" in result.stderr
    assert "Traceback" not in result.stderr and "dagster" not in result.stderr.lower()
    assert not (home / "warehouse.duckdb").exists()
