"""Shared fixtures: a real DuckDB warehouse file per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from kpi_pipeline.warehouse import connect, ensure_schema
from kpi_pipeline.warehouse.catalog_table import write_metric_catalog


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh warehouse file with every table and the metric catalogue."""
    con = connect(tmp_path / "warehouse.duckdb")
    ensure_schema(con)
    write_metric_catalog(con)
    yield con
    con.close()
