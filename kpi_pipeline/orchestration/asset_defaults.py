"""One place for what every asset shares: ISO-week partitions, single-run backfills and the
warehouse pool (one writer at a time) for the weekly ones; owners, tags, documented columns,
the partitions of the settings' calendar and freshness for all (:func:`with_house_policy`, run
by the definitions loader). Assets only say what is theirs."""

from collections.abc import Sequence
from datetime import timedelta
from functools import cache
from typing import Any

from dagster import (
    AssetSpec,
    DailyPartitionsDefinition,
    FreshnessPolicy,
    asset,
    map_asset_specs,
)

from kpi_pipeline.orchestration.partitions import (
    INGEST,
    PARTITIONS_TAG,
    WEEKLY,
    PartitionCalendar,
    single_run,
)
from kpi_pipeline.warehouse.metadata import declared_column_schemas

WAREHOUSE_POOL = "warehouse"
OWNERS = ["team:kpi-data"]  # who answers for the pipeline in the UI's catalogue



@cache
def freshness(cadence: str, timezone: str) -> FreshnessPolicy:
    """When each cadence must have landed (the schedules run at 05:00 daily and Monday 09:00; a
    failed or skipped run turns the asset's freshness red in the UI the same morning). One
    policy per cadence and zone, shared by every asset (building one costs a cron parse)."""
    deadline = {"daily": "0 8 * * *", "weekly": "0 12 * * 1"}[cadence]
    return FreshnessPolicy.cron(deadline_cron=deadline, lower_bound_delta=timedelta(hours=3),
                                timezone=timezone)


def weekly_asset(
    *,
    group: str,
    description: str,
    kinds: set[str],
    deps: Sequence[Any] = (),
    key: Sequence[str] | None = None,
    key_prefix: str = "mart",
    pool: str | None = WAREHOUSE_POOL,
):
    """``@asset`` partitioned by ISO week (the definitions loader attaches the calendar's
    partitions, see its ``partitions`` tag), backfilled in one run over the partition window."""
    return asset(
        key=list(key) if key else None,
        key_prefix=None if key else key_prefix,
        group_name=group,
        kinds=kinds,
        pool=pool,
        tags={PARTITIONS_TAG: WEEKLY},
        backfill_policy=single_run,
        deps=list(deps),
        description=description,
    )


def _house_policy(spec: AssetSpec, calendar: PartitionCalendar) -> AssetSpec:
    table = ".".join(spec.key.path)
    columns = declared_column_schemas().get(table)
    metadata = {**spec.metadata}
    if columns is not None:
        # Dagster's table keys (TableMetadataSet, not exported at the top level in 1.13)
        metadata.update({"dagster/table_name": table, "dagster/column_schema": columns})
    partitions = spec.partitions_def
    if partitions is None and PARTITIONS_TAG in spec.tags:
        partitions = calendar.by_tag(spec.tags[PARTITIONS_TAG])
    policy = spec.freshness_policy
    if policy is None and partitions is not None:
        # raw ingest is partitioned by week but loaded every day (the daily_ingest schedule)
        daily = (spec.tags.get(PARTITIONS_TAG) == INGEST
                 or isinstance(partitions, DailyPartitionsDefinition))
        policy = freshness("daily" if daily else "weekly", calendar.timezone)
    return spec.replace_attributes(
        owners=[*spec.owners, *(o for o in OWNERS if o not in spec.owners)],
        tags={"layer": spec.group_name or "default", **spec.tags},
        metadata=metadata,
        freshness_policy=policy,
        partitions_def=partitions,
    )


def with_house_policy(assets: Sequence[Any], calendar: PartitionCalendar) -> list[Any]:
    """Owners, a ``layer`` tag, the documented columns (``COMMENT ON`` from ``sql/``), the
    ``calendar``'s partitions (by each asset's ``partitions`` tag) and a freshness policy per
    cadence on every asset: what the UI's catalogue shows before any run."""
    return list(map_asset_specs(lambda spec: _house_policy(spec, calendar), assets))
