"""One process at a time in a folder: an advisory ``flock`` on the folder itself.

Used where several processes may start at once on the same files: the report folder's swap
(two languages of a week rendered together) and the creation of the CLI's Dagster instance
(cron jobs or a scheduler starting site runs together). The lock is held on the folder's own
file descriptor, so no lock file is left behind, and the kernel releases it when the process
dies, so a killed process never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (which must exist) for the ``with`` block."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
