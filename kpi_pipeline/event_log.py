"""SQLite event log that writes a range run's per-partition asset events in one transaction.

A single-run backfill over 104 weeks records one materialization per partition and asset
(the UI's partition status is built from them): ~1,500 events in the demo. The stock SQLite
event log opens, commits (a disk sync) and closes two SQLite files for *each* of them, which
set the demo's pace. Dagster already hands such events over as a batch
(``DAGSTER_EVENT_BATCH_SIZE``, :data:`kpi_pipeline.settings.DAGSTER_ENV_DEFAULTS`), but only
its PostgreSQL storage writes a batch at once; this subclass does the same for SQLite.

The rows written are the stock ones (same tables, same columns, one event row per partition in
the run's file and in the index, the asset's tags per event, the asset's row pointing at its
last event); only the number of transactions changes. The CLI's instance uses it (:func:`kpi_pipeline.runner.instance_for_cli`);
the UI reads the files with the stock class.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._serdes import ConfigurableClassData

# Batches written at once: a range run's materializations of one asset, and the run's planned
# materializations and checks; anything else goes event by event, as Dagster does.
_ASSET_EVENTS = frozenset({
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_OBSERVATION,
    DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
})
_CHECK_PLANNED = DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED


class BatchingSqliteEventLogStorage(SqliteEventLogStorage):
    """:class:`SqliteEventLogStorage` whose ``store_event_batch`` uses one transaction per file."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict,
    ) -> BatchingSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """The stock rows of ``store_event`` for each event, in one transaction per SQLite file
        (the run's and the index); check-planned rows follow the index transaction."""
        kinds = {event.dagster_event_type for event in events}
        if len({event.run_id for event in events}) != 1 or not kinds <= {*_ASSET_EVENTS, _CHECK_PLANNED}:
            super().store_event_batch(events)
            return
        statements = [self.prepare_insert_event(event) for event in events]
        with self.run_connection(events[0].run_id) as conn:
            for statement in statements:
                conn.execute(statement)
        with self.index_transaction() as conn:
            event_ids = [conn.execute(statement).inserted_primary_key[0] for statement in statements]
            assets = [(e, i) for e, i in zip(events, event_ids, strict=True)
                      if e.dagster_event_type in _ASSET_EVENTS]
            if assets:
                self._store_asset_event_tags(conn, [e for e, _ in assets], [i for _, i in assets])
            # the asset row keeps the last event of each asset: written once, not 104 times over
            last = {(e.dagster_event.asset_key, e.dagster_event_type): (e, i) for e, i in assets}
            for event, event_id in last.values():
                self._store_asset_event(conn, event, event_id)
        for event, event_id in zip(events, event_ids, strict=True):
            if event.dagster_event_type == _CHECK_PLANNED:
                self.store_asset_check_event(event, event_id)


__all__ = ["BatchingSqliteEventLogStorage"]
