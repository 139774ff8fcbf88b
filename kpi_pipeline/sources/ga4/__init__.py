"""GA4 Data API source: official client over gRPC, report specifications as data, raw tables out."""

from kpi_pipeline.sources.ga4.errors import (
    GA4ConfigError,
    GA4CredentialsError,
    GA4DataError,
    GA4Error,
    GA4QuotaExhaustedError,
    GA4RequestError,
    GA4UnavailableError,
)
from kpi_pipeline.sources.ga4.fetch import FetchOptions
from kpi_pipeline.sources.ga4.resources import GA4Resource
from kpi_pipeline.sources.ga4.retry import RetryPolicy
from kpi_pipeline.sources.ga4.source import GA4Source

__all__ = [
    "FetchOptions",
    "GA4ConfigError",
    "GA4CredentialsError",
    "GA4DataError",
    "GA4Error",
    "GA4QuotaExhaustedError",
    "GA4RequestError",
    "GA4Resource",
    "GA4Source",
    "GA4UnavailableError",
    "RetryPolicy",
]
