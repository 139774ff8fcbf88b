"""The metric catalogue is one table: code, warehouse and docs agree."""

from __future__ import annotations

import duckdb
from helpers.paths import DOCS

from kpi_pipeline.catalog import METRICS, Direction

METRICS_DOC = DOCS / "metrics.md"


def test_every_catalogue_metric_is_documented_for_analysts() -> None:
    text = METRICS_DOC.read_text(encoding="utf-8")
    for m in METRICS:
        assert f"| `{m.id}` | {m.name_ja} | {m.name_en} |" in text, m.id


def test_metric_catalog_table_matches_the_code(warehouse: duckdb.DuckDBPyConnection) -> None:
    rows = warehouse.execute(
        "SELECT metric_id, name_ja, phase, direction FROM mart.metric_catalog ORDER BY metric_id"
    ).fetchall()
    assert rows == sorted((m.id, m.name_ja, m.phase.value, m.direction.value) for m in METRICS)


def test_bounce_and_exit_rate_and_ad_costs_are_lower_is_better() -> None:
    lower = {m.id for m in METRICS if m.direction is Direction.LOWER}
    assert lower == {"bounce_rate", "exit_rate", "ad_cost", "cpc", "cpa"}


def test_every_warehouse_table_and_column_is_documented(warehouse: duckdb.DuckDBPyConnection) -> None:
    undocumented_tables = warehouse.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE schema_name IN ('raw', 'mart', 'meta') AND (comment IS NULL OR comment = '')"
    ).fetchall()
    undocumented_columns = warehouse.execute(
        "SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns() "
        "WHERE schema_name IN ('raw', 'mart', 'meta') AND (comment IS NULL OR comment = '')"
    ).fetchall()
    assert undocumented_tables == []
    assert undocumented_columns == []
