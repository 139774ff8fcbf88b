"""``GA4Resource``: how to reach the GA4 Data API (client, paging, retries), for every site.

Configured from the settings (DESIGN.md §9): ``GOOGLE_APPLICATION_CREDENTIALS``,
``GA4_TRANSPORT``, ``GA4_API_ENDPOINT``, ``KPI_TIMEZONE``, ``GA4_MAX_CONCURRENT_SITES``. Which
property a site reads is the site's configuration (``config/sites.py``): the raw assets ask
``WebSourcesResource.open(site)`` for a :class:`GA4Source`, and never see credentials,
endpoints or retries.
"""

from __future__ import annotations

from typing import Any

from dagster import ConfigurableResource, EnvVar
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from pydantic import Field

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.sources.ga4.client import CREDENTIALS_VAR, build_client
from kpi_pipeline.sources.ga4.fetch import FetchOptions
from kpi_pipeline.sources.ga4.retry import RetryPolicy


def _resolved(value: Any) -> Any:
    """An ``EnvVar`` read outside a Dagster run is still only its name: read the variable."""
    return value.get_value() if isinstance(value, EnvVar) else value


class GA4Resource(ConfigurableResource):
    """GA4 Data API access shared by every GA4 site; ``WebSourcesResource`` opens a site's source."""

    credentials_path: str | None = Field(
        default=None, description="GOOGLE_APPLICATION_CREDENTIALS: service-account key (JSON) path."
    )
    transport: str = Field(default="grpc", description="GA4_TRANSPORT: grpc (default, fast) or rest.")
    api_endpoint: str | None = Field(
        default=None, description="GA4_API_ENDPOINT: loopback host:port of a local server (tests)."
    )
    timezone: str = Field(default="Asia/Tokyo", description="KPI_TIMEZONE: expected property time zone.")
    page_size: int = Field(default=100_000, ge=1, le=250_000, description="Rows per request.")
    max_attempts: int = Field(default=5, ge=1, description="Attempts per request (429/5xx/timeouts).")
    backoff_initial_seconds: float = Field(default=1.0, gt=0)
    backoff_max_seconds: float = Field(default=60.0, gt=0)
    request_timeout_seconds: float = Field(default=60.0, gt=0)
    max_concurrent_sites: int = Field(
        default=8, ge=1, le=64,
        description="GA4_MAX_CONCURRENT_SITES: properties read at once (writes stay one at a time).",
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> GA4Resource:
        """From validated settings; the key path stays an ``EnvVar`` when it came from the process
        environment, so Dagster's run config and UI show the variable's name, not the path."""
        credentials: str | None = None
        if settings.google_application_credentials is not None:
            path = str(settings.google_application_credentials)
            from_env = settings.from_process_env("google_application_credentials")
            credentials = EnvVar(CREDENTIALS_VAR) if from_env else path
        return cls(
            credentials_path=credentials,
            transport=settings.ga4_transport,
            api_endpoint=settings.ga4_api_endpoint,
            timezone=settings.kpi_timezone,
            max_concurrent_sites=settings.ga4_max_concurrent_sites,
        )

    def client(self) -> BetaAnalyticsDataClient:
        return build_client(
            transport=self.transport,  # type: ignore[arg-type]
            api_endpoint=_resolved(self.api_endpoint),
            credentials_path=_resolved(self.credentials_path),
        )

    def fetch_options(self) -> FetchOptions:
        return FetchOptions(
            page_size=self.page_size,
            retry=RetryPolicy(
                max_attempts=self.max_attempts,
                initial_delay=self.backoff_initial_seconds,
                max_delay=self.backoff_max_seconds,
            ),
            timeout=self.request_timeout_seconds,
        )
