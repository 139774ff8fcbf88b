"""The targets file of one site: what raw, mart and KPI steps read for that site."""

from __future__ import annotations

from pathlib import Path

from kpi_pipeline.settings import EXAMPLE_TARGETS
from kpi_pipeline.sites import SiteConfig
from kpi_pipeline.targets.loader import load_targets
from kpi_pipeline.targets.model import Targets


def site_targets(site: SiteConfig) -> Targets:
    """The site's validated targets file (the bundled example when none is set)."""
    return load_targets(Path(site.targets or EXAMPLE_TARGETS))
