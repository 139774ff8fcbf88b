"""The CLI's one error boundary: what each failure prints and which exit code it gets.

* a :class:`~kpi_pipeline.errors.UserError` (targets, sites, CRM CSV, e-mail settings …) or a
  file the user pointed at that cannot be used (``OSError`` with a file name): its message,
  exit 2;
* a :class:`~kpi_pipeline.errors.PipelineFailure` (a run's step failed): its message, exit 1;
* anything else is a bug: one line saying so, exit 1; the traceback only with ``--debug``
  (or ``KPI_DEBUG=1``), because it may hold paths and values that do not belong on a screen.

Light at import: the CLI loads it before any command.
"""

from __future__ import annotations

import sys
import traceback

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
    if isinstance(exc, OSError) and exc.filename is not None:
        _say(f"error: {exc.filename}: {exc.strerror or exc} (check the path and its permissions; "
             "KPI_HOME says where the warehouse and reports are written)")
        return EXIT_USAGE
    if isinstance(exc, PipelineFailure):
        _say(_titled("pipeline failed", str(exc)))
        return EXIT_FAILURE
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    _say(BUG.format(kind=type(exc).__name__))
    return EXIT_FAILURE
