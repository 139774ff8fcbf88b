"""``kpi-pipeline``: the command line. Each command group lives in its own module."""

from kpi_pipeline.cli.app import app, main

__all__ = ["app", "main"]
