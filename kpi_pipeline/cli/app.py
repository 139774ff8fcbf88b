"""The typer application and the error policy: user mistakes exit 2 with a message, no traceback.

Every command runs inside one error boundary (:mod:`kpi_pipeline.cli.errors`), so a command
raises the domain's errors and never formats them itself.
"""

from __future__ import annotations

import gc
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from kpi_pipeline.cli.errors import EXIT_FAILURE, EXIT_USAGE, debug_requested, report_error

__all__ = ["EXIT_FAILURE", "EXIT_USAGE", "app", "main", "settings_or_exit"]


class ErrorBoundary(TyperGroup):
    """The command group whose every command's errors go through :func:`report_error`."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            # exits already decided; a usage error (unknown command or option, a bad value) is
            # typer's own TyperException, which it prints with the usage line and exit code 2
            raise
        except Exception as exc:
            code = report_error(exc, debug=debug_requested(bool(ctx.params.get("debug"))))
            raise typer.Exit(code) from None


app = typer.Typer(
    name="kpi-pipeline",
    help="Weekly KGI/KPI check: ingest, warehouse, pacing, report.",
    cls=ErrorBoundary,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def global_options(
    debug: Annotated[bool, typer.Option(
        "--debug", help="On an unexpected error, print the traceback (also KPI_DEBUG=1).")] = False,
) -> None:
    """Weekly KGI/KPI check: ingest, warehouse, pacing, report."""


def settings_or_exit():  # -> Settings
    """The validated configuration, or a one-line-per-problem message and exit code 2."""
    from pydantic import ValidationError

    from kpi_pipeline.config.settings import Settings

    try:
        return Settings.from_env()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])).upper() or 'configuration'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        typer.echo(f"configuration error: {problems}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


def report_lang_or_exit(lang: str | None) -> str:
    """``--lang``, else ``REPORT_LANG``: ja or en, else a usage message and exit code 2."""
    chosen = lang or settings_or_exit().report_lang
    if chosen not in ("ja", "en"):
        typer.echo(f"--lang must be ja or en, not {chosen!r}", err=True)
        raise typer.Exit(EXIT_USAGE)
    return chosen


def _register_commands() -> None:
    # Imported for their side effect of adding commands to ``app``.
    from kpi_pipeline.cli import pipeline_cmd, plan_cmd, report_cmd, targets_cmd  # noqa: F401


def main() -> None:
    # validate the environment before the command modules build partitions from it
    try:
        settings_or_exit()
    except typer.Exit as exit_:
        raise SystemExit(exit_.exit_code) from None
    try:
        _register_commands()
    except Exception as exc:
        raise SystemExit(report_error(exc, debug=debug_requested("--debug" in sys.argv[1:]))) from None
    try:
        app()
    finally:
        # The process ends here. Its last garbage collection walks a heap holding Dagster,
        # pandas and a run's objects: ~1.1 s after the demo, for memory the OS takes back
        # anyway. Frozen objects are left out of it; exit handlers still run.
        gc.freeze()
