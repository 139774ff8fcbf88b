"""Each site's custom metrics in ``mart.metric_catalog``, read from its targets file.

The marts join the catalogue to know how a metric aggregates, so a site's rows must be current
before its metrics are built. A targets file with mistakes keeps the previous rows (the KPI
steps report the mistakes at their lines); the marts of the other metrics go on.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from kpi_pipeline.config.sites import SiteConfig
from kpi_pipeline.targets import TargetsError
from kpi_pipeline.targets.for_site import site_targets
from kpi_pipeline.warehouse.catalog_table import write_site_metrics


def refresh_site_metrics(
    con: duckdb.DuckDBPyConnection, site: SiteConfig, warn: Callable[[str], None],
) -> int:
    """Write the site's custom metrics; rows written (-1: targets file broken, rows kept)."""
    try:
        plan = site_targets(site)
    except TargetsError as exc:
        warn(f"{site.id}: the targets file has errors; its custom metrics keep their previous "
             f"catalogue rows until it is fixed:\n{exc}")
        return -1
    return write_site_metrics(con, site.id, plan.metrics)
