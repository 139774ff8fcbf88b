"""Write ``mart.metric_catalog`` from the catalogue in code, so SQL and reports read one table."""

from __future__ import annotations

import duckdb
import pandas as pd

from kpi_pipeline.catalog import METRICS, Phase
from kpi_pipeline.warehouse.duck import replace_rows

PHASE_ORDER = {phase: i for i, phase in enumerate(Phase, start=1)}


def catalog_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "metric_id": m.id,
                "name_ja": m.name_ja,
                "name_en": m.name_en,
                "unit": m.unit.value,
                "phase": m.phase.value,
                "phase_order": PHASE_ORDER[m.phase],
                "direction": m.direction.value,
                "aggregation": m.aggregation.value,
                "source": m.source,
                "definition": m.definition,
            }
            for m in METRICS
        ]
    )


def write_metric_catalog(con: duckdb.DuckDBPyConnection) -> int:
    return replace_rows(con, "mart.metric_catalog", catalog_frame(), "TRUE")
