"""Shared fixtures: a real DuckDB warehouse file per test; two years of demo weeks and one CLI
run of the default week per session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest
from helpers.demo_warehouse import build_demo_file
from helpers.kpi_home import RanWeek, run_week

from kpi_pipeline.warehouse import connect, ensure_schema
from kpi_pipeline.warehouse.catalog_table import write_metric_catalog


def pytest_configure(config: pytest.Config) -> None:
    """Keep the module order of :func:`pytest_collection_modifyitems` under ``--dist loadfile``.

    pytest-xdist otherwise hands modules out by their number of tests, most first: the
    end-to-end modules (a few tests behind a CLI or Dagster run of 20 s and more each) would
    start last, and the last of them would run alone while the other worker sits idle."""
    if hasattr(config.option, "loadscopereorder"):  # only where pytest-xdist is loaded
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a ``slow`` test first, then the rest, each group in file order: the long
    modules start early on both workers and the many short ones fill the end."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)  # stable: the order inside a module stays


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh warehouse file with every table and the metric catalogue."""
    con = connect(tmp_path / "warehouse.duckdb")
    ensure_schema(con)
    write_metric_catalog(con)
    yield con
    con.close()


# Two years of demo weeks, 2024-W47..2026-W46 (104 ISO weeks, the CLI demo's span on a day of
# 2026-W47): raw rows and the three SQL marts, no KPI rows. Tests that need more weeks add them.
DEMO_FIRST_WEEK = date(2024, 11, 18)
DEMO_LAST_WEEK = date(2026, 11, 9)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed warehouse file with :data:`DEMO_FIRST_WEEK`..:data:`DEMO_LAST_WEEK` built once per
    test process (each pytest-xdist worker builds its own, under its own tmp directory); tests
    copy it (``helpers.demo_warehouse.open_copy`` or ``copy_demo``), never write to it."""
    path = tmp_path_factory.mktemp("demo_template") / "warehouse.duckdb"
    return build_demo_file(path, DEMO_FIRST_WEEK, DEMO_LAST_WEEK)


# The week most end-to-end modules run: on the demo source with the bundled example targets and
# no other setting, `kpi-pipeline run --week RAN_WEEK` on an empty KPI_HOME.
RAN_WEEK = "2026-W47"


@pytest.fixture(scope="session")
def ran_week_template(tmp_path_factory: pytest.TempPathFactory) -> RanWeek:
    """The KPI_HOME of one ``kpi-pipeline run --week RAN_WEEK`` with default settings (and its
    output), run once per test process instead of once per module. Read-only: a test that
    runs a command on it, or changes a file in it, first copies it (``helpers.kpi_home.copy_home``)."""
    cwd = tmp_path_factory.mktemp("ran_week_cwd")
    return run_week(RAN_WEEK, tmp_path_factory.mktemp("ran_week_home"), cwd)
