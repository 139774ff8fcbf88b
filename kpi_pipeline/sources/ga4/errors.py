"""Errors a GA4 load ends with: each says what is wrong and what to do, without secrets.

They are user errors, not bugs: callers print ``str(error)`` (the CLI) or raise
``dagster.Failure(str(error))`` instead of showing a stack trace.
"""

from __future__ import annotations

from datetime import datetime


class GA4Error(Exception):
    """Base class of every GA4 source error."""


class GA4ConfigError(GA4Error):
    """The environment does not describe a usable GA4 connection (variable named in the message)."""


class GA4CredentialsError(GA4ConfigError):
    """The service-account key is missing, unreadable or refused."""


class GA4RequestError(GA4Error):
    """GA4 rejected a request (400/403/404): retrying will not help; the API's message is kept."""


class GA4DataError(GA4Error):
    """GA4 answered with data that does not fit the report that was asked for."""


class GA4UnavailableError(GA4Error):
    """GA4 kept failing (429/5xx/timeouts) after every retry."""


class GA4QuotaExhaustedError(GA4Error):
    """The property's hourly or daily token quota is used up; nothing more can be read until it refills."""

    def __init__(self, message: str, *, quota: str, retry_after: datetime) -> None:
        super().__init__(message)
        self.quota = quota  # "hourly" or "daily"
        self.retry_after = retry_after  # timezone-aware
