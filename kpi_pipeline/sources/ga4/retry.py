"""Which GA4 failures are worth retrying, how long to wait, and the message for those that are not.

* 429 (except an exhausted hourly/daily quota), 500, 503 and timeouts: retried a bounded number
  of times with exponential backoff and full jitter (``google.api_core``'s generator).
* Exhausted hourly or daily property quota: stop at once, saying which quota and when to retry.
* 400/403/404: fail at once with the API's own message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

import requests
from google.api_core import exceptions as api
from google.api_core.retry import exponential_sleep_generator
from google.auth.exceptions import GoogleAuthError

from kpi_pipeline.sources.ga4.client import CREDENTIALS_VAR
from kpi_pipeline.sources.ga4.errors import (
    GA4CredentialsError,
    GA4Error,
    GA4QuotaExhaustedError,
    GA4RequestError,
    GA4UnavailableError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

# GA4's daily quotas refill at midnight Pacific Time; hourly ones within the hour.
QUOTA_RESET_ZONE = ZoneInfo("America/Los_Angeles")
TRANSIENT = (
    api.TooManyRequests,  # 429 (includes gRPC RESOURCE_EXHAUSTED), unless a quota is used up
    api.InternalServerError,  # 500
    api.ServiceUnavailable,  # 503 (also: connection refused or reset)
    api.GatewayTimeout,  # 504 and gRPC DEADLINE_EXCEEDED
    requests.exceptions.Timeout,  # REST transport timeouts
    requests.exceptions.ConnectionError,
)

# Anything else raised by a call is a bug and keeps its traceback.
KNOWN_FAILURES = (GA4Error, api.GoogleAPICallError, GoogleAuthError, requests.exceptions.RequestException)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter; tests pass tiny delays."""

    max_attempts: int = 5
    initial_delay: float = 1.0
    max_delay: float = 60.0
    multiplier: float = 2.0


def call_with_retry(
    call: Callable[[], T],
    *,
    policy: RetryPolicy,
    what: str,
    property_id: str,
    on_attempt: Callable[[], None] = lambda: None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> T:
    """Run ``call``; retry transient failures; turn every failure into a :class:`GA4Error`."""
    delays = exponential_sleep_generator(policy.initial_delay, policy.max_delay, policy.multiplier)
    for attempt in range(1, policy.max_attempts + 1):
        on_attempt()
        try:
            return call()
        except KNOWN_FAILURES as exc:
            final = classify(exc, what=what, property_id=property_id, now=now())
            if final is not None:
                raise final from None
            if attempt == policy.max_attempts:
                raise GA4UnavailableError(
                    f"GA4 did not answer {what} for property {property_id} after "
                    f"{policy.max_attempts} attempts (last: {describe(exc)}). Data loaded "
                    "before is unchanged; run again later."
                ) from None
            delay = next(delays)
            log.warning(
                f"GA4 {what}: {describe(exc)}; retry {attempt}/{policy.max_attempts - 1} "
                f"in {delay:.2f}s"
            )
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def classify(exc: Exception, *, what: str, property_id: str, now: datetime) -> GA4Error | None:
    """``None`` when ``exc`` is worth retrying, else the error to stop with."""
    if isinstance(exc, GA4Error):
        return exc
    if isinstance(exc, api.TooManyRequests):
        quota = exhausted_quota(_message(exc))
        if quota is not None:
            return quota_exhausted(quota, _message(exc), property_id=property_id, now=now)
        return None
    if isinstance(exc, TRANSIENT):
        return None
    if isinstance(exc, api.BadRequest):
        return GA4RequestError(f"GA4 rejected {what} for property {property_id}: {_message(exc)}")
    if isinstance(exc, api.Forbidden):
        return GA4RequestError(
            f"GA4 refused access to property {property_id}: {_message(exc)} Check GA4_PROPERTY_ID "
            "and add the service account's e-mail as a Viewer of the property "
            "(GA4 Admin → Property access management)."
        )
    if isinstance(exc, api.NotFound):
        return GA4RequestError(f"GA4 property {property_id} was not found: {_message(exc)}")
    if isinstance(exc, api.Unauthorized | GoogleAuthError):
        return GA4CredentialsError(
            f"Google did not accept the key in {CREDENTIALS_VAR} for property {property_id}: "
            f"{_message(exc)}"
        )
    if isinstance(exc, api.GoogleAPICallError):
        return GA4RequestError(f"GA4 failed {what} for property {property_id}: {describe(exc)}")
    return GA4Error(f"GA4 {what} for property {property_id} failed: {describe(exc)}")


def exhausted_quota(message: str) -> str | None:
    """``"daily"``/``"hourly"`` when a 429 says a token quota is used up (not worth retrying now)."""
    text = message.lower()
    if "exhausted" not in text:
        return None
    if "per day" in text or "daily" in text:
        return "daily"
    if "per hour" in text or "hourly" in text or "potentially thresholded" in text:
        return "hourly"
    return None  # e.g. "Exhausted concurrent requests quota.": retry


def quota_exhausted(quota: str, message: str, *, property_id: str, now: datetime) -> GA4QuotaExhaustedError:
    if quota == "daily":
        local = now.astimezone(QUOTA_RESET_ZONE)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), QUOTA_RESET_ZONE)
        retry_after = midnight.astimezone(UTC)
        when = f"after midnight Pacific Time ({retry_after:%Y-%m-%d %H:%M} UTC)"
    else:
        retry_after = now.astimezone(UTC) + timedelta(hours=1)
        when = f"within the hour (by {retry_after:%Y-%m-%d %H:%M} UTC)"
    return GA4QuotaExhaustedError(
        f"GA4 {quota} token quota of property {property_id} is used up ({message}). Stopped; "
        f"days loaded before are unchanged. Run again {when}.",
        quota=quota,
        retry_after=retry_after,
    )


def _message(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or (str(exc.args[0]) if exc.args else type(exc).__name__)
    return str(message).strip()


def describe(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    prefix = f"{int(code)} " if isinstance(code, int) else ""
    return f"{prefix}{type(exc).__name__}: {_message(exc)}"[:500]
