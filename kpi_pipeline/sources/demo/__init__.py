"""The demo source: generated GA4 and CRM data, so a new user sees a full report at once."""

from kpi_pipeline.sources.demo.source import DEFAULT_SEED, DemoSource

__all__ = ["DEFAULT_SEED", "DemoSource"]
