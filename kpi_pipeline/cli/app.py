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


def settings_or_exit():  # -> Settings
    """The validated configuration, or a one-line-per-problem message and exit code 2."""
    from pydantic import ValidationError

    from kpi_pipeline.settings import Settings

    try:
        return Settings.from_env()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])).upper() or 'configuration'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        typer.echo(f"configuration error: {problems}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


def _register_commands() -> None:
    # Imported for their side effect of adding commands to ``app``.
    from kpi_pipeline.cli import pipeline_cmd, report_cmd, targets_cmd  # noqa: F401


def main() -> None:
    # validate the environment before the command modules build partitions from it
    try:
        settings_or_exit()
    except typer.Exit as exit_:
        raise SystemExit(exit_.exit_code) from None
    _register_commands()
    app()
