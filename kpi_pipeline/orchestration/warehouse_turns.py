"""A CLI run waits for its turn at the warehouse asleep, before its Dagster run starts.

The ``warehouse`` pool (:mod:`kpi_pipeline.orchestration.pools`) is what keeps two runs from
writing the DuckDB file at once, and it holds everywhere. But Dagster 1.13's in-process
executor waits for a blocked pool slot in a loop that never sleeps (its
``interval_to_next_pending_claim_check`` returns ``min(0, …)``; dagster-io/dagster#20367), so
four site runs started together by cron on the DuckDB file burned four cores while one wrote,
and took 2.3× as long as one after the other.

Nearly every step of our jobs holds the pool (every asset that reads or writes the warehouse,
the report included; only the e-mail does not), so a run that cannot get a slot can do
nothing useful anyway. A CLI run therefore first takes one of the pool's slots here: one lock
file per slot in the instance folder (``.warehouse-turn-N.lock``), held with ``flock`` for the
whole run. With one slot (the DuckDB file) a waiting command sleeps in the kernel until the
other finishes; with several (a DuckLake, ``KPI_LAKE_WRITERS``) it looks for a free one every
quarter second. A command holds its turn across all its runs (ingest, then the week), so
another command does not slip in between. The kernel drops a killed process's lock, so nothing is ever left stale. Only
our own CLI commands take turns; runs launched by the daemon still queue on the pool itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

from kpi_pipeline.config.folder_lock import locked_fd

POLL_SECONDS = 0.25
_held: dict[Path, int] = {}  # instance folder -> turns this process holds there, nested
_LOG = logging.getLogger(__name__)


def turn_file(folder: Path, slot: int) -> Path:
    """The lock file of ``slot`` in the instance folder ``folder``."""
    return Path(folder) / f".warehouse-turn-{slot}.lock"


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding ``path``'s exclusive lock, or None if another process has it."""
    return locked_fd(path, create=True, wait=False)


def _first_free(folder: Path, slots: int) -> int | None:
    for slot in range(slots):
        fd = _try_lock(turn_file(folder, slot))
        if fd is not None:
            return fd
    return None


def _take(folder: Path, slots: int) -> int:
    """A descriptor holding one of ``slots`` turns in ``folder``, asleep until one is free."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = _first_free(folder, slots)
    if fd is None:
        _LOG.warning("waiting for another run to finish with the warehouse (%d writer(s) at a "
                     "time; KPI_LAKE_WRITERS on a DuckLake)", slots)
    while fd is None:
        if slots == 1:
            fd = locked_fd(turn_file(folder, 0), create=True)  # asleep until let go
        else:
            time.sleep(POLL_SECONDS)
            fd = _first_free(folder, slots)
    return fd


@contextlib.contextmanager
def warehouse_turn(folder: Path, slots: int | None) -> Iterator[None]:
    """Hold one of ``slots`` turns at the warehouse for the ``with`` block, waiting asleep for
    one to be free; ``slots`` None (an instance without pools) waits for nothing. A process
    that holds a turn already (a command around its several runs) keeps it: no second slot."""
    key = Path(folder).resolve()
    if not slots:
        yield
        return
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    try:
        fd = _take(Path(folder), slots)
    except OSError as exc:  # e.g. a read-only DAGSTER_HOME holding only a PostgreSQL config
        _LOG.warning("could not take a turn at the warehouse in %s (%s); the warehouse pool "
                     "alone keeps the writers apart", folder, exc.strerror or exc)
        yield
        return
    _held[key] = 1
    try:
        yield
    finally:
        _held[key] = 0
        os.close(fd)  # releases the lock
