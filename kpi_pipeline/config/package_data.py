"""The files the package ships besides code, and the one place that knows where they are.

SQL models (``sql/`` in the repository, ``kpi_pipeline.sql`` in the wheel), report templates
and styles (``reports/`` -> ``kpi_pipeline.reports``), the example targets file, its JSON
Schema and the Dagster instance config are read through :mod:`importlib.resources`, so an
installed wheel, an editable install and the source tree all find the same files. Nothing
here reads the environment.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

SQL_PACKAGE = "kpi_pipeline.sql"
TEMPLATES_PACKAGE = "kpi_pipeline.reports"


def _folder(package: str, *parts: str) -> Path:
    """A shipped file or folder as a path on disk (pip installs packages unzipped)."""
    return Path(str(files(package).joinpath(*parts)))


@cache
def sql_dir() -> Path:
    """``sql/``: schema, raw and mart tables (DDL, ``COMMENT ON``, models) and check queries."""
    return _folder(SQL_PACKAGE)


@cache
def templates_dir() -> Path:
    """``reports/``: the Jinja2 templates and CSS of the weekly report and the archive."""
    return _folder(TEMPLATES_PACKAGE)


def example_targets() -> Path:
    """The bundled targets file: what runs when the user has written none yet."""
    return _folder("kpi_pipeline", "targets", "kpi_targets.example.yaml")


def targets_schema() -> Path:
    """The JSON Schema of the targets file, for editors (generated from the pydantic model)."""
    return _folder("kpi_pipeline", "targets", "kpi_targets.schema.json")


def instance_config() -> Path:
    """The Dagster instance config (SQLite storage, the warehouse pool) a new home starts with."""
    return _folder("kpi_pipeline", "dagster.yaml")
