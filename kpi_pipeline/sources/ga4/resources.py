"""``GA4Resource``: the Dagster resource assets use to read GA4 ("load these days for this property").

Configured from the environment (DESIGN.md §9): ``GA4_PROPERTY_ID`` (several ids separated by
commas for several sites in one warehouse), ``GOOGLE_APPLICATION_CREDENTIALS``,
``GA4_TRANSPORT``, ``GA4_API_ENDPOINT``, ``KPI_TIMEZONE``, ``KPI_SITE_ID``, ``LOOKBACK_DAYS``.
Assets never see credentials, endpoints or retries: they ask for a :class:`GA4Source`.
"""

from __future__ import annotations

from typing import Any

from dagster import ConfigurableResource, EnvVar
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from pydantic import Field

from kpi_pipeline.settings import Settings
from kpi_pipeline.sources.ga4.client import CREDENTIALS_VAR, build_client
from kpi_pipeline.sources.ga4.errors import GA4ConfigError
from kpi_pipeline.sources.ga4.fetch import FetchOptions
from kpi_pipeline.sources.ga4.retry import RetryPolicy
from kpi_pipeline.sources.ga4.source import GA4Source


def _resolved(value: Any) -> Any:
    """An ``EnvVar`` read outside a Dagster run is still only its name: read the variable."""
    return value.get_value() if isinstance(value, EnvVar) else value


class GA4Resource(ConfigurableResource):
    """GA4 Data API access for one or more properties (site_id = property id unless set)."""

    property_id: str = Field(description="GA4_PROPERTY_ID: numeric property id(s), comma-separated.")
    credentials_path: str | None = Field(
        default=None, description="GOOGLE_APPLICATION_CREDENTIALS: service-account key (JSON) path."
    )
    transport: str = Field(default="grpc", description="GA4_TRANSPORT: grpc (default, fast) or rest.")
    api_endpoint: str | None = Field(
        default=None, description="GA4_API_ENDPOINT: loopback host:port of a local server (tests)."
    )
    timezone: str = Field(default="Asia/Tokyo", description="KPI_TIMEZONE: expected property time zone.")
    site_id: str | None = Field(default=None, description="KPI_SITE_ID: site key (one property only).")
    lookback_days: int = Field(default=3, ge=0, le=30, description="Days re-read on every run.")
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
    def from_env(cls, environ: dict[str, str] | None = None) -> GA4Resource:
        """From the environment (or ``environ``), validated by :class:`Settings`."""
        return cls.from_settings(Settings.from_env(environ))

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
            property_id=settings.ga4_property_id or "",
            credentials_path=credentials,
            transport=settings.ga4_transport,
            api_endpoint=settings.ga4_api_endpoint,
            timezone=settings.kpi_timezone,
            site_id=settings.kpi_site_id,
            lookback_days=settings.lookback_days,
            max_concurrent_sites=settings.ga4_max_concurrent_sites,
        )

    @property
    def property_ids(self) -> list[str]:
        ids = [p.strip().removeprefix("properties/") for p in str(_resolved(self.property_id) or "").split(",")]
        ids = [p for p in ids if p]
        if not ids:
            raise GA4ConfigError("GA4_PROPERTY_ID is not set: set it to the numeric id of the GA4 property (GA4 Admin → Property details).")
        bad = [p for p in ids if not p.isdigit()]
        if bad:
            raise GA4ConfigError(f"GA4_PROPERTY_ID must be numeric property ids separated by commas (got {', '.join(map(repr, bad))}).")
        if self.site_id and len(ids) > 1:
            raise GA4ConfigError("KPI_SITE_ID names one site but GA4_PROPERTY_ID lists several properties; unset KPI_SITE_ID (each property is its own site).")
        return ids

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

    def source(self, property_id: str | None = None) -> GA4Source:
        """The source for one property (the only one configured if not named)."""
        ids = self.property_ids
        if property_id is None:
            if len(ids) > 1:
                raise GA4ConfigError("several GA4 properties are configured: name one, or use sources()")
            property_id = ids[0]
        return GA4Source(
            self.client(),
            property_id,
            site_id=self.site_id or None,
            expected_timezone=self.timezone,
            options=self.fetch_options(),
        )

    def open_source(self) -> GA4Source:
        """The configured property's source (same call as the demo source's resource)."""
        return self.source()

    def sources(self) -> list[GA4Source]:
        """One source per configured property, sharing one client (one channel)."""
        client = self.client()
        options = self.fetch_options()
        return [
            GA4Source(client, pid, site_id=self.site_id or None, expected_timezone=self.timezone, options=options)
            for pid in self.property_ids
        ]
