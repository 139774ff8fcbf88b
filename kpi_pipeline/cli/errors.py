"""The CLI's one error boundary: what each failure prints and which exit code it gets.

* a :class:`~kpi_pipeline.errors.UserError` (targets, sites, CRM CSV, e-mail settings …) or a
  file the user pointed at that cannot be used (``OSError`` with a file name): its message,
  exit 2;
* a :class:`~kpi_pipeline.errors.PipelineFailure` (a run's step failed): its message, exit 1;
* a full disk under ``KPI_HOME`` or the Dagster instance (whatever library noticed it: SQLite's
  "disk I/O error", DuckDB's "No space left on device", an ``OSError`` ENOSPC): one sentence
  naming the folder and what to free, exit 1 — the environment failed, not our code;
* anything else is a bug: one line saying so, exit 1; the traceback only with ``--debug``
  (or ``KPI_DEBUG=1``), because it may hold paths and values that do not belong on a screen.

Light at import: the CLI loads it before any command.
"""

from __future__ import annotations

import errno
import shutil
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import typer

from kpi_pipeline.errors import PipelineFailure, UserError

EXIT_USAGE = 2  # bad input from the user (targets file, arguments, configuration)
EXIT_FAILURE = 1  # the pipeline ran and failed (API down, SMTP refused, ...), or a bug

BUG = ("error: this is a bug in kpi-pipeline ({kind}); please report it. "
       "Rerun with --debug for the traceback.")


def _say(text: str) -> None:
    typer.echo(text, err=True)


def _titled(title: str, message: str, listing: bool = False) -> str:
    return f"{title}:\n{message}" if listing or "\n" in message else f"{title}: {message}"


# What libraries say when a write found no room: SQLite ("database or disk is full", and "disk
# I/O error" when its journal cannot grow), DuckDB and the OS ("No space left on device").
DISK_FULL_WORDS = ("no space left", "disk is full", "disk i/o error", "disk full", "quota exceeded")
LOW_SPACE_BYTES = 64 * 1024 * 1024  # below this, a failed write is taken for a full disk


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it was raised from or during."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _free_bytes(path: Path) -> int | None:
    """Free space of the file system holding ``path`` (its nearest existing folder)."""
    for folder in (path, *path.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


def _storage_folders() -> list[Path]:
    """Where commands write: KPI_HOME and the Dagster instance (read through the settings)."""
    from kpi_pipeline.config.settings import Settings

    try:
        settings = Settings.from_env()
    except Exception:  # a configuration mistake is reported on its own
        return []
    return [settings.kpi_home.resolve(), settings.dagster_instance_dir.resolve()]


def full_disk(exc: BaseException) -> Path | None:
    """The folder whose disk is full, when that is what ``exc`` comes from; else None."""
    chain = list(_chain(exc))
    no_space = any(isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT) for e in chain)
    said = any(word in str(e).lower() for e in chain for word in DISK_FULL_WORDS)
    if not (no_space or said):
        return None
    folders = _storage_folders()
    for folder in folders:
        free = _free_bytes(folder)
        if free is not None and free < LOW_SPACE_BYTES:
            return folder
    return folders[0] if no_space and folders else None


def _say_disk_full(folder: Path) -> None:
    free = _free_bytes(folder)
    left = f"{free / 1024 / 1024:.1f} MB free" if free is not None else "no room left"
    _say(f"error: the disk holding {folder} is full ({left}): free space there (old week folders "
         "under reports/, snapshots under published.d/, Dagster's run history under dagster/) "
         "or set KPI_HOME to a folder on a larger disk, then run the command again; the "
         "warehouse keeps the data of its last complete write.")


def debug_requested(flag: bool = False) -> bool:
    """``--debug`` was given, or ``KPI_DEBUG`` is set (read through the settings)."""
    if flag:
        return True
    from kpi_pipeline.config.settings import Settings

    try:
        return Settings.from_env().kpi_debug
    except Exception:  # a configuration mistake is reported on its own; no debug then
        return False


def report_error(exc: BaseException, *, debug: bool) -> int:
    """Print what the user needs to know about ``exc``; returns the exit code."""
    if isinstance(exc, UserError):
        _say(_titled(exc.title, str(exc), exc.listing))
        hint = getattr(exc, "hint", None)
        if hint:
            _say(hint)
        return EXIT_USAGE
    full = full_disk(exc)
    if isinstance(exc, OSError) and exc.filename is not None and full is None:
        _say(f"error: {exc.filename}: {exc.strerror or exc} (check the path and its permissions; "
             "KPI_HOME says where the warehouse and reports are written)")
        return EXIT_USAGE
    if isinstance(exc, PipelineFailure):
        _say(_titled("pipeline failed", str(exc)))
        if full is not None:
            _say_disk_full(full)
        return EXIT_FAILURE
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    if full is not None:
        _say_disk_full(full)
        return EXIT_FAILURE
    _say(BUG.format(kind=type(exc).__name__))
    return EXIT_FAILURE
