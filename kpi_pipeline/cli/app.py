"""The typer application and the error policy: user mistakes exit 2 with a message, no traceback."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="kpi-pipeline",
    help="Weekly KGI/KPI check: ingest, warehouse, pacing, report.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

EXIT_USAGE = 2  # bad input from the user (targets file, arguments, configuration)
EXIT_FAILURE = 1  # the pipeline ran and failed (API down, SMTP refused, ...)


def _register_commands() -> None:
    # Imported for their side effect of adding commands to ``app``.
    from kpi_pipeline.cli import pipeline_cmd, report_cmd, targets_cmd  # noqa: F401


def main() -> None:
    _register_commands()
    app()
