"""Data-quality asset checks on the weekly marts (and the raw rows behind them).

``ALL_CHECKS`` goes into the Definitions; the rules themselves (``kpi_pipeline.checks.rules``)
are plain functions over a DuckDB connection, usable without Dagster.
"""

from kpi_pipeline.checks.assets import ALL_CHECKS, RULES, CheckRule, build_check
from kpi_pipeline.checks.rules import TABLE_KEYS, Violation, Window
from kpi_pipeline.checks.site_status import site_status_checks

__all__ = ["ALL_CHECKS", "RULES", "TABLE_KEYS", "CheckRule", "Violation", "Window", "build_check",
           "site_status_checks"]
