"""Data-quality asset checks on the weekly marts (and the raw rows behind them).

``all_checks(calendar)`` goes into the Definitions; the rules themselves (``kpi_pipeline.checks.rules``)
are plain functions over a DuckDB connection, usable without Dagster.
"""

from kpi_pipeline.checks.assets import RULES, CheckRule, all_checks, build_check
from kpi_pipeline.checks.rules import TABLE_KEYS, Violation, Window
from kpi_pipeline.checks.site_status import site_status_checks

__all__ = ["RULES", "TABLE_KEYS", "CheckRule", "Violation", "Window", "all_checks", "build_check",
           "site_status_checks"]
