"""The targets file of one site: what raw, mart and KPI steps read for that site."""

from __future__ import annotations

from pathlib import Path

from kpi_pipeline.config.settings import EXAMPLE_TARGETS
from kpi_pipeline.config.sites import SiteConfig
from kpi_pipeline.targets.loader import load_targets
from kpi_pipeline.targets.model import Targets


def site_targets(site: SiteConfig) -> Targets:
    """The site's validated targets file: the one place a run reads it. Sites from
    :func:`kpi_pipeline.config.sites.configured_sites` always name one; the bundled example covers a
    site built by hand without."""
    return load_targets(Path(site.targets or EXAMPLE_TARGETS))
