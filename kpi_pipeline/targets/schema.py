"""The JSON Schema of the targets file, generated from the pydantic specs that validate it.

Shipped beside the example (``kpi_targets.schema.json``) so an editor with a YAML language
server validates a targets file while it is typed; ``targets check`` stays the authority (it
also checks what a schema cannot: references between goals, dates in order, CSV files).
Regenerate after changing a spec: ``python -m kpi_pipeline.targets.schema``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import create_model

from kpi_pipeline.config.package_data import targets_schema
from kpi_pipeline.targets.spec import (
    FileSpec,
    KgiSpec,
    KpiSpec,
    MeasureSpec,
    MetricSpec,
    PeriodSpec,
)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


# FileSpec with its lists typed by the specs their items must meet (the loader validates the
# items one by one instead, so that every mistake is reported, not the first per list)
TargetsFile = create_model(
    "TargetsFile",
    __base__=FileSpec,
    __doc__="kpi_targets.yaml: the KGIs and KPIs of a site (docs/targets.md).",
    periods=(list[PeriodSpec], []),
    kgis=(list[KgiSpec], ...),
    kpis=(list[KpiSpec], []),
    metrics=(list[MetricSpec], []),
    measures=(list[MeasureSpec] | str, []),
)


def targets_json_schema() -> dict[str, Any]:
    """The JSON Schema of :data:`TargetsFile`."""
    return {"$schema": SCHEMA_DIALECT, **TargetsFile.model_json_schema(mode="validation")}


def schema_text() -> str:
    """The schema as the shipped file holds it."""
    return json.dumps(targets_json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    targets_schema().write_text(schema_text(), encoding="utf-8")
    print(f"wrote {targets_schema()}")
