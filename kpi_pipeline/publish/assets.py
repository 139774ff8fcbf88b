"""The analyst copy as an asset: refreshed at the end of every weekly run."""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue

from kpi_pipeline.orchestration.asset_defaults import weekly_asset
from kpi_pipeline.orchestration.resources import WarehouseResource
from kpi_pipeline.publish.snapshot import publish_snapshot

MARTS = [AssetKey(["mart", name]) for name in
         ("aarrr_weekly", "kpi_progress", "funnel_plan", "metric_anomalies", "goal_drivers",
         "measure_effects", "do_check")]


@weekly_asset(
    key=["analyst", "published_snapshot"],
    group="analyst",
    kinds={"duckdb", "parquet"},
    deps=MARTS,
    description=(
        "Read-only copy of the marts for analysts: $KPI_HOME/published.duckdb and Parquet files "
        "under $KPI_HOME/published/, swapped in atomically (write new files, then rename), so an "
        "analyst session never blocks the pipeline and never sees a half-written snapshot. On a "
        "DuckLake warehouse (KPI_WAREHOUSE) analysts attach the catalog read-only instead and "
        "this step only records that."
    ),
)
def published_snapshot(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    location = warehouse.location
    if location.is_lake:
        # analysts ATTACH the catalog READ_ONLY and always read a committed snapshot: no copy
        context.log.info(f"warehouse is {location.label()}: analysts attach the catalog read-only "
                         "and see committed snapshots; no copy is published")
        return MaterializeResult(metadata={
            "skipped": MetadataValue.text(
                "DuckLake: analysts attach the catalog read-only (docs/ops.md); no copy needed"),
            "data_path": MetadataValue.text(location.data_path),
        })
    result = publish_snapshot(warehouse.path, warehouse.path.parent)
    context.log.info(f"published {len(result.tables)} tables to {result.database}")
    return MaterializeResult(
        metadata={
            "database": MetadataValue.path(str(result.database)),
            "parquet_dir": MetadataValue.path(str(result.parquet_dir)),
            "tables": MetadataValue.json(result.tables),
        }
    )
