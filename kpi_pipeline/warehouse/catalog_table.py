"""Write ``mart.metric_catalog`` from the catalogue in code, so SQL and reports read one table.

Built-in metrics are rows with ``site_id`` NULL; a site's custom metrics (``metrics:`` in its
targets file) are rows with its ``site_id``. Each part is replaced on its own, so preparing a
warehouse (built-ins) never erases the custom metrics a site's run wrote.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from kpi_pipeline.catalog import (
    METRICS,
    Aggregation,
    Direction,
    Metric,
    Phase,
    Unit,
    register_custom,
)
from kpi_pipeline.warehouse.duck import replace_rows

PHASE_ORDER = {phase: i for i, phase in enumerate(Phase, start=1)}


def catalog_frame(metrics: Iterable[Metric] = METRICS, site_id: str | None = None) -> pd.DataFrame:
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
                "site_id": site_id,
                "numerator_metric": m.numerator,
                "denominator_metric": m.denominator,
            }
            for m in metrics
        ],
        columns=["metric_id", "name_ja", "name_en", "unit", "phase", "phase_order", "direction",
                 "aggregation", "source", "definition", "site_id", "numerator_metric",
                 "denominator_metric"],
    ).astype({"site_id": object})


def write_metric_catalog(con: duckdb.DuckDBPyConnection) -> int:
    """Replace the built-in rows (``site_id`` NULL)."""
    return replace_rows(con, "mart.metric_catalog", catalog_frame(), "site_id IS NULL")


def write_site_metrics(con: duckdb.DuckDBPyConnection, site_id: str, metrics: Iterable[Metric]) -> int:
    """Replace ``site_id``'s custom rows with ``metrics`` (none: the site declares none)."""
    return replace_rows(con, "mart.metric_catalog", catalog_frame(metrics, site_id), "site_id = ?", [site_id])


def site_metrics(con: duckdb.DuckDBPyConnection, site_id: str) -> list[Metric]:
    """The site's custom metrics as the warehouse holds them (a report run without the targets
    file still names and formats them)."""
    try:
        rows = con.execute(
            "SELECT metric_id, name_ja, name_en, unit, phase, direction, aggregation, source, "
            "definition, numerator_metric, denominator_metric FROM mart.metric_catalog WHERE site_id = ?",
            [site_id],
        ).fetchall()
    except duckdb.BinderException:  # a warehouse from before custom metrics: it has none
        return []
    return [Metric(mid, ja, en, Unit(unit), Phase(phase), Direction(direction), Aggregation(agg), src,
                   definition, num, den)
            for mid, ja, en, unit, phase, direction, agg, src, definition, num, den in rows]


def register_site_metrics(con: duckdb.DuckDBPyConnection, site_id: str) -> None:
    """Make the site's custom metrics in the warehouse known to this process."""
    register_custom(site_metrics(con, site_id))
