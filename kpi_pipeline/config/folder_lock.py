"""One process at a time in a folder: an advisory ``flock`` on the folder itself.

Used where several processes may start at once on the same files: the report folder's swap
(two languages of a week rendered together) and the creation of the CLI's Dagster instance
(cron jobs or a scheduler starting site runs together). The lock is held on the folder's own
file descriptor, so no lock file is left behind, and the kernel releases it when the process
dies, so a killed process never leaves a stale lock. :func:`locked_fd` is the one ``flock``
call, also behind the warehouse turns' lock files
(:mod:`kpi_pipeline.orchestration.warehouse_turns`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


def locked_fd(path: Path, *, create: bool = False, wait: bool = True) -> int | None:
    """An open descriptor of ``path`` holding its exclusive ``flock`` (close it to release);
    ``create`` makes a missing file; ``wait`` False returns None at once when another process
    holds the lock, else it sleeps until the lock is free."""
    fd = os.open(path, (os.O_RDWR | os.O_CREAT) if create else os.O_RDONLY, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:  # interrupted while waiting (Ctrl-C)
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (which must exist) for the ``with`` block."""
    fd = locked_fd(folder)
    try:
        yield
    finally:
        os.close(fd)  # releases the lock
