"""The ``warehouse`` pool, sized by where the warehouse lives.

Every step that writes the warehouse declares ``pool="warehouse"`` (:mod:`asset_defaults`).
How many such steps may run at once depends on the warehouse, not on the code:

* the DuckDB file allows one read-write process: one slot (the instance's
  ``concurrency: pools: default_limit: 1`` in the shipped ``dagster.yaml``);
* a DuckLake commits each writer's transaction on its own (a conflict is replayed by
  ``warehouse.duck.in_transaction``): ``KPI_LAKE_WRITERS`` slots (default 4), so site runs
  launched together overlap.

Dagster 1.13 keeps a pool's own limit in the instance storage, not in ``dagster.yaml`` (which
only has ``default_limit`` for pools without one); ``dagster instance concurrency set`` and the
UI (Deployment → Concurrency) write it there. :func:`size_warehouse_pool` does the same from
the settings: the CLI when it opens its instance, and every run when its warehouse resource
is set up, so the limit follows ``KPI_LAKE_WRITERS`` wherever runs start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kpi_pipeline.orchestration.asset_defaults import WAREHOUSE_POOL

if TYPE_CHECKING:
    from dagster import DagsterInstance

    from kpi_pipeline.config.warehouse_location import WarehouseLocation


def warehouse_writers(location: WarehouseLocation, lake_writers: int) -> int:
    """Steps that may write ``location`` at once: ``lake_writers`` on a DuckLake, else one."""
    return lake_writers if location.is_lake else 1


def _own_limit(instance: DagsterInstance) -> int | None:
    """The ``warehouse`` pool's own limit, None when it has none (the default limit applies)."""
    storage = instance.event_log_storage
    current = next((p for p in storage.get_pool_limits() if p.name == WAREHOUSE_POOL), None)
    return None if current is None or current.from_default else current.limit


def warehouse_slots(instance: DagsterInstance) -> int | None:
    """Steps that may hold the ``warehouse`` pool at once on ``instance``; None for a storage
    without pools (an old one) or an instance without a default limit."""
    if not instance.event_log_storage.supports_global_concurrency_limits:
        return None
    own = _own_limit(instance)
    return own if own is not None else instance.global_op_concurrency_default_limit


def size_warehouse_pool(instance: DagsterInstance, writers: int) -> None:
    """Make the instance's ``warehouse`` pool allow ``writers`` steps at once.

    Nothing is written when it already does, or when ``writers`` is the instance's default
    limit and no limit of its own was set (the file's one writer on a fresh instance). A
    storage without pools (an old one) is left as it is."""
    if not instance.event_log_storage.supports_global_concurrency_limits:
        return
    if warehouse_slots(instance) == writers:
        return
    instance.event_log_storage.set_concurrency_slots(WAREHOUSE_POOL, writers)
