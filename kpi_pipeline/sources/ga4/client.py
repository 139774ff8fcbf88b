"""Build the official GA4 Data API client (``BetaAnalyticsDataClient``) from our configuration.

* Google's endpoint: gRPC (the client's default, and much faster than REST on large reports)
  or REST, authenticated with the key file named by ``GOOGLE_APPLICATION_CREDENTIALS``.
* ``GA4_API_ENDPOINT``: a local server (tests, a recording proxy) reached over an insecure
  channel with anonymous credentials. Allowed only on loopback addresses, so a typo can never
  send requests in clear text across a network.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import grpc
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.services.beta_analytics_data.transports import (
    BetaAnalyticsDataGrpcTransport,
    BetaAnalyticsDataRestTransport,
)
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import GoogleAuthError
from google.oauth2 import service_account

from kpi_pipeline.sources.ga4.errors import GA4ConfigError, GA4CredentialsError

Transport = Literal["grpc", "rest"]
SCOPES = ("https://www.googleapis.com/auth/analytics.readonly",)
CREDENTIALS_VAR = "GOOGLE_APPLICATION_CREDENTIALS"
ENDPOINT_VAR = "GA4_API_ENDPOINT"
# gRPC's default 4 MB receive limit is far below one 250,000-row page; the library lifts it
# for Google's endpoint and we do the same for a local one.
GRPC_OPTIONS = (("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1))


def build_client(
    *,
    transport: Transport = "grpc",
    api_endpoint: str | None = None,
    credentials_path: str | Path | None = None,
) -> BetaAnalyticsDataClient:
    """A ready client: local loopback server if ``api_endpoint`` is set, else Google's endpoint."""
    if transport not in ("grpc", "rest"):
        raise GA4ConfigError(f"GA4_TRANSPORT must be 'grpc' or 'rest', not {transport!r}")
    if api_endpoint:
        return _local_client(transport, api_endpoint)
    credentials = load_credentials(credentials_path)
    return BetaAnalyticsDataClient(credentials=credentials, transport=transport)


def _local_client(transport: Transport, api_endpoint: str) -> BetaAnalyticsDataClient:
    host, port, scheme = parse_endpoint(api_endpoint, transport)
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if transport == "grpc":
        channel = grpc.insecure_channel(target, options=GRPC_OPTIONS)
        return BetaAnalyticsDataClient(transport=BetaAnalyticsDataGrpcTransport(channel=channel))
    rest = BetaAnalyticsDataRestTransport(
        host=target, credentials=AnonymousCredentials(), url_scheme=scheme
    )
    return BetaAnalyticsDataClient(transport=rest)


def parse_endpoint(api_endpoint: str, transport: Transport) -> tuple[str, int, str]:
    """Split ``host:port`` (gRPC) or ``http://host:port`` (REST); refuse non-loopback hosts."""
    text = api_endpoint.strip()
    if transport == "rest":
        if not text.startswith(("http://", "https://")):
            raise GA4ConfigError(
                f"{ENDPOINT_VAR} must be http://host:port when GA4_TRANSPORT=rest (got {text!r})"
            )
        parts = urlsplit(text)
    else:
        if "://" in text:
            raise GA4ConfigError(
                f"{ENDPOINT_VAR} must be host:port (no scheme) when GA4_TRANSPORT=grpc (got {text!r})"
            )
        parts = urlsplit(f"//{text}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise GA4ConfigError(f"{ENDPOINT_VAR} must name a host and a port (got {text!r})")
    if not is_loopback(host):
        raise GA4ConfigError(
            f"{ENDPOINT_VAR}={text} is not a loopback address: a custom endpoint is reached "
            "without TLS or credentials, so only 127.0.0.0/8, ::1 and localhost are allowed. "
            f"Unset {ENDPOINT_VAR} to use Google's endpoint."
        )
    return host, port, parts.scheme or "http"


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and literal loopback addresses (never resolves names)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_credentials(path: str | Path | None) -> Credentials:
    """Read the key file; every failure names the variable and never echoes the key or its path."""
    if path is None or str(path).strip() == "":
        raise GA4CredentialsError(
            f"{CREDENTIALS_VAR} is not set: set it to the path of the JSON key of a service "
            "account that has Viewer access to the GA4 property."
        )
    key_file = Path(path)
    if not key_file.is_file():
        raise GA4CredentialsError(f"{CREDENTIALS_VAR} points to a file that does not exist.")
    try:
        text = key_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise GA4CredentialsError(f"{CREDENTIALS_VAR} points to a file that cannot be read.") from None
    try:
        info = json.loads(text)
    except ValueError:
        raise GA4CredentialsError(
            f"{CREDENTIALS_VAR} points to a file that is not JSON: download the service "
            "account's key again (IAM → Service accounts → Keys → Add key → JSON)."
        ) from None
    if not isinstance(info, dict) or "type" not in info:
        raise GA4CredentialsError(
            f"{CREDENTIALS_VAR} points to a JSON file that is not a Google credentials file "
            "(no 'type' field); expected a service-account key."
        )
    if info["type"] != "service_account":
        raise GA4CredentialsError(
            f"{CREDENTIALS_VAR} points to credentials of type {str(info['type'])[:40]!r}; "
            "expected a service-account key (type 'service_account')."
        )
    try:
        return service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
    except (GoogleAuthError, ValueError, KeyError, TypeError):
        raise GA4CredentialsError(
            f"{CREDENTIALS_VAR} points to a service-account key that cannot be used (incomplete "
            "or damaged): download a new JSON key."
        ) from None
