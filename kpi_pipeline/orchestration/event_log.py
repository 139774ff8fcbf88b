"""The CLI's SQLite event log: the stock rows, written with fewer connections, syncs and batches.

Every Dagster event of a CLI run is a row in the run's SQLite file, and asset, check and run
events a second row in the index file. The stock ``SqliteEventLogStorage`` pays for each event a
new SQLAlchemy engine, a new SQLite connection, a commit with a disk sync and, when that
connection closes, a checkpoint of the write-ahead log (two more syncs): a few milliseconds an
event on a quiet disk, tens of milliseconds on a busy one, for ~1,700 events in the demo. This
subclass keeps the rows and cuts that cost:

* **One connection per file.** Each SQLite file gets one engine and keeps one connection open
  (the index, and the last few runs' files); transactions still begin and commit per call.
  Every call still holds the stock class's lock, so threads take turns as before
  (``check_same_thread`` is off because of that lock).
* **No sync per commit.** The connections run ``synchronous=NORMAL`` in WAL mode (the stock
  class already puts every file in WAL mode). SQLite then syncs at checkpoints, not at each
  commit: a file is never corrupted, and a process that dies (even by SIGKILL) loses nothing;
  only a power cut or an OS crash during a run may roll back that run's last events. Closing the
  instance (the CLI does, when its runs end) checkpoints and syncs every file.
* **Live UI.** The UI follows a running run by watching the run's ``.db`` file for changes,
  which the stock class's checkpoint-on-close made for every event. A write here touches the
  file's modification time instead, so the UI streams a CLI run's events as before.
* **Batches.** Dagster hands a range run's per-partition asset events over as a batch
  (``DAGSTER_EVENT_BATCH_SIZE``, :data:`kpi_pipeline.config.settings.DAGSTER_ENV_DEFAULTS`), which only
  its PostgreSQL storage writes at once; here a batch is one transaction per file, the asset's
  row is written for its last event instead of once per partition, and a planned check's
  per-partition rows share one serialized event instead of serializing it once per partition.
  Step, run and check-evaluation events are not handed over as batches (Dagster stores them as
  they happen, and reads some back during the run), so they keep going one by one.

The rows are the stock ones (same tables, columns and values); the UI reads the files with the
stock class (``tests/orchestration/test_event_log.py``). The CLI's instance uses this class
(:func:`kpi_pipeline.orchestration.runner.instance_for_cli`); ``bench/event_log.py`` measures it.
"""

from __future__ import annotations

import os
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as db
from dagster import DagsterEventType
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData, serialize_value
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# Batches written at once: a range run's materializations of one asset, and the run's planned
# materializations and checks; anything else goes event by event, as Dagster does.
_ASSET_EVENTS = frozenset({
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.ASSET_OBSERVATION,
    DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
})
_CHECK_PLANNED = DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED

# Run files kept open besides the index: a CLI command makes up to four runs.
OPEN_RUN_FILES = 4


def _sqlite_settings(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    """WAL before the first table (the stock class switches after creating them, one synced
    commit per table), and syncs at checkpoints only."""
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class BatchingSqliteEventLogStorage(SqliteEventLogStorage):
    """:class:`SqliteEventLogStorage` with one open connection per file, syncs at checkpoints,
    and ``store_event_batch`` in one transaction per file."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()  # by shard, least recent first
        self._tables: set[str] = set()  # tables seen in the index (they are never dropped)
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict,
    ) -> BatchingSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    # -- connections -------------------------------------------------------------------------

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        """The stock contract (one transaction, the storage's lock held throughout) on the
        shard's open connection; a run file that was written is touched for the UI's watcher."""
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn:
                sqlite_conn = conn.connection.dbapi_connection
                changes = sqlite_conn.total_changes
                with conn.begin():
                    yield conn
                written = sqlite_conn.total_changes != changes
            if written and shard != INDEX_SHARD_NAME:
                os.utime(self.path_for_shard(shard))

    def _engine(self, shard: str) -> Engine:
        """The shard's engine (made, and its file set up, on first use); the least recently used
        run file is closed beyond :data:`OPEN_RUN_FILES`. Called with the lock held."""
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard), poolclass=QueuePool, pool_size=1,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
            db.event.listen(engine, "connect", _sqlite_settings)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine
        runs = [name for name in self._engines if name != INDEX_SHARD_NAME]
        for name in runs[:max(0, len(runs) - OPEN_RUN_FILES)]:
            self._engines.pop(name).dispose()
        return engine

    def _initdb(self, engine: Engine, for_index_shard: bool = False) -> None:
        """The stock set-up; on the stock constructor's own engine too (a new index file)."""
        if not db.event.contains(engine, "connect", _sqlite_settings):
            db.event.listen(engine, "connect", _sqlite_settings)
        super()._initdb(engine, for_index_shard=for_index_shard)

    def _close_files(self, *, keep_index: bool) -> None:
        with self._db_lock:
            for name in [n for n in self._engines if not (keep_index and n == INDEX_SHARD_NAME)]:
                self._engines.pop(name).dispose()

    def has_table(self, table_name: str) -> bool:
        """The stock answer (a new engine per call), remembered once a table exists: it is asked
        for every asset and check event."""
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    def wipe(self) -> None:
        self._close_files(keep_index=True)  # the run files are deleted
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._close_files(keep_index=False)  # checkpoints and syncs every file

    # -- batches -----------------------------------------------------------------------------

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """The stock rows of ``store_event`` for each event, in one transaction per SQLite file
        (the run's and the index)."""
        kinds = {event.dagster_event_type for event in events}
        if (len({event.run_id for event in events}) != 1
                or not kinds <= {*_ASSET_EVENTS, _CHECK_PLANNED}
                or (_CHECK_PLANNED in kinds and not self.supports_asset_checks)):
            super().store_event_batch(events)  # event by event (and the stock errors)
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
                    conn.execute(AssetCheckExecutionsTable.insert(),
                                 self._check_planned_rows(event, event_id))

    def _check_planned_rows(self, event: EventLogEntry, event_id: int) -> list[dict]:
        """The rows of the stock ``_store_asset_check_evaluation_planned``: one per partition
        planned, each holding the same serialized event (serialized once here)."""
        planned = event.get_dagster_event().asset_check_planned_data
        subset = planned.partitions_subset
        partitions = subset.get_partition_keys() if subset else [None]
        row = {
            "asset_key": planned.asset_key.to_string(),
            "check_name": planned.check_name,
            "run_id": event.run_id,
            "execution_status": AssetCheckExecutionRecordStatus.PLANNED.value,
            "evaluation_event": serialize_value(event),
            "evaluation_event_timestamp": self._event_insert_timestamp(event),
            "evaluation_event_storage_id": event_id,
        }
        return [{**row, "partition": partition} for partition in partitions]


__all__ = ["OPEN_RUN_FILES", "BatchingSqliteEventLogStorage"]
