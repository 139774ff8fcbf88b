"""One place for what every weekly asset shares: ISO-week partitions, single-run backfills and
the warehouse pool (one writer at a time). Assets only say what is theirs."""

from collections.abc import Sequence
from typing import Any

from dagster import asset

from kpi_pipeline.partitions import single_run, weekly_partitions

WAREHOUSE_POOL = "warehouse"


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
    """``@asset`` partitioned by ISO week, backfilled in one run over the partition window."""
    return asset(
        key=list(key) if key else None,
        key_prefix=None if key else key_prefix,
        group_name=group,
        kinds=kinds,
        pool=pool,
        partitions_def=weekly_partitions,
        backfill_policy=single_run,
        deps=list(deps),
        description=description,
    )
