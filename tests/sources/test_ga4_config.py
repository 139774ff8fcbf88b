"""GA4 configuration from the environment: credentials, endpoint, transport, property ids."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.analytics.data_v1beta import BetaAnalyticsDataClient

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.config.sites import SitesResource, configured_sites
from kpi_pipeline.sources.ga4 import GA4ConfigError, GA4CredentialsError, GA4Resource
from kpi_pipeline.sources.ga4.client import build_client
from kpi_pipeline.sources.resources import WebSourcesResource

pytest_plugins = ("fakes.ga4_server",)  # the ga4_server fixture

SECRET_MARK = "SECRET-KEY-MATERIAL-0123456789"


def key_file(tmp_path: Path, **override: object) -> Path:
    """A well-formed service-account key with a real (throwaway) RSA key."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "kpi-test",
        "private_key_id": "abc123",
        "private_key": pem,
        "client_email": "kpi-reader@kpi-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    info.update(override)
    path = tmp_path / "secret-dir" / "key.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def test_missing_credentials_name_the_variable():
    with pytest.raises(GA4CredentialsError, match="GOOGLE_APPLICATION_CREDENTIALS is not set"):
        build_client()


def test_a_key_path_that_does_not_exist_names_the_variable_but_not_the_path(tmp_path):
    missing = tmp_path / "secret-dir" / "nope.json"

    with pytest.raises(GA4CredentialsError) as error:
        build_client(credentials_path=missing)

    assert "GOOGLE_APPLICATION_CREDENTIALS points to a file that does not exist" in str(error.value)
    assert "secret-dir" not in str(error.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (f"not json {SECRET_MARK}", "is not JSON"),
        (json.dumps({"private_key": SECRET_MARK}), "not a Google credentials file"),
        (json.dumps({"type": "authorized_user", "refresh_token": SECRET_MARK}), "expected a service-account key"),
        (json.dumps({"type": "service_account", "private_key": SECRET_MARK}), "cannot be used"),
    ],
)
def test_an_unreadable_key_says_why_without_echoing_its_content(tmp_path, content, expected):
    path = tmp_path / "key.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(GA4CredentialsError) as error:
        build_client(credentials_path=path)

    message = str(error.value)
    assert message.startswith("GOOGLE_APPLICATION_CREDENTIALS") and expected in message
    assert SECRET_MARK not in message and str(tmp_path) not in message
    assert error.value.__cause__ is None


def test_a_service_account_key_gives_a_grpc_client_for_googles_endpoint(tmp_path):
    client = build_client(credentials_path=key_file(tmp_path))

    assert isinstance(client, BetaAnalyticsDataClient)
    assert type(client.transport).__name__ == "BetaAnalyticsDataGrpcTransport"
    assert client.api_endpoint == "analyticsdata.googleapis.com"


def test_rest_transport_can_be_chosen_for_networks_that_block_grpc(tmp_path):
    client = build_client(transport="rest", credentials_path=key_file(tmp_path))

    assert type(client.transport).__name__ == "BetaAnalyticsDataRestTransport"


@pytest.mark.parametrize("endpoint", ["10.0.0.5:50051", "example.com:443", "0.0.0.0:50051", "analyticsdata.googleapis.com:443"])
def test_a_custom_endpoint_off_loopback_is_refused(endpoint):
    with pytest.raises(GA4ConfigError, match="not a loopback address"):
        build_client(api_endpoint=endpoint)


@pytest.mark.parametrize("endpoint", ["127.0.0.1:50051", "127.8.9.10:1", "[::1]:50051", "localhost:50051"])
def test_a_loopback_endpoint_needs_no_credentials(endpoint):
    assert isinstance(build_client(api_endpoint=endpoint), BetaAnalyticsDataClient)


def test_rest_endpoint_must_be_an_http_url():
    with pytest.raises(GA4ConfigError, match="http://host:port"):
        build_client(transport="rest", api_endpoint="127.0.0.1:8080")
    assert build_client(transport="rest", api_endpoint="http://127.0.0.1:8080").transport._host == "http://127.0.0.1:8080"


def _site_source(settings: Settings, site: int = 0):
    """The GA4 source the raw assets open for a configured site (WebSourcesResource.open)."""
    web = WebSourcesResource(ga4=GA4Resource.from_settings(settings))
    return web.open(configured_sites(settings)[site])


def test_the_source_is_configured_from_the_design_variables():
    settings = Settings.from_env({
        "KPI_SOURCE": "ga4",
        "GA4_PROPERTY_ID": "123456",
        "GA4_TRANSPORT": "rest",
        "GA4_API_ENDPOINT": "http://127.0.0.1:9",
        "KPI_TIMEZONE": "Europe/Berlin",
    })

    source = _site_source(settings)
    assert (source.property_id, source.site_id, source.expected_timezone) == ("123456", "123456", "Europe/Berlin")
    assert GA4Resource.from_settings(settings).transport == "rest"
    assert source.client.transport.__class__.__name__ == "BetaAnalyticsDataRestTransport"


def test_property_ids_must_be_numeric_and_may_list_several_sites():
    settings = Settings.from_env({"KPI_SOURCE": "ga4", "GA4_PROPERTY_ID": "properties/1, 22 ,333",
                                  "GA4_API_ENDPOINT": "127.0.0.1:9"})
    assert [s.ga4_property_id for s in configured_sites(settings)] == ["1", "22", "333"]
    assert [_site_source(settings, i).site_id for i in range(3)] == ["1", "22", "333"]
    with pytest.raises(ValueError, match="needs GA4_PROPERTY_ID"):
        Settings.from_env({"KPI_SOURCE": "ga4", "GA4_PROPERTY_ID": " "})
    with pytest.raises(ValueError, match="'G-ABC123' is not a GA4 property id"):
        Settings.from_env({"KPI_SOURCE": "ga4", "GA4_PROPERTY_ID": "G-ABC123"})
    with pytest.raises(ValueError, match="KPI_SITE_ID names one site"):
        Settings.from_env({"KPI_SOURCE": "ga4", "GA4_PROPERTY_ID": "1,2", "KPI_SITE_ID": "shop"})


def test_the_web_sources_resource_reads_ga4_inside_a_dagster_run(ga4_server, monkeypatch):
    from datetime import date

    from dagster import asset, materialize
    from fakes.ga4_data import FakeProperty

    ga4_server.add_property(FakeProperty.generate("123456", date(2026, 11, 16), 7))
    monkeypatch.setenv("GA4_PROPERTY_ID", "123456")
    monkeypatch.setenv("GA4_API_ENDPOINT", ga4_server.endpoint)
    monkeypatch.setenv("KPI_SOURCE", "ga4")
    settings = Settings.from_env(dict(os.environ))

    @asset
    def sessions_last_week(web_sources: WebSourcesResource, sites: SitesResource) -> int:
        (site,) = sites.sites
        load = web_sources.open(site).load_days(date(2026, 11, 16), date(2026, 11, 22))
        return int(load.ga4_daily["sessions"].sum())

    result = materialize([sessions_last_week], resources={
        "web_sources": WebSourcesResource(ga4=GA4Resource.from_settings(settings)),
        "sites": SitesResource(sites=configured_sites(settings)),
    })

    assert result.success
    assert result.output_for_node("sessions_last_week") == len(ga4_server.properties["123456"].sessions)


def test_the_key_path_stays_an_environment_reference_in_dagster_config(tmp_path, monkeypatch):
    from dagster import EnvVar

    key = key_file(tmp_path)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    monkeypatch.setenv("GA4_PROPERTY_ID", "123456")
    monkeypatch.setenv("KPI_SOURCE", "ga4")

    resource = GA4Resource.from_settings(Settings.from_env(dict(os.environ)))

    assert isinstance(resource.credentials_path, EnvVar)
    assert str(key) not in repr(resource.model_dump())
    source = WebSourcesResource(ga4=resource).open(configured_sites(Settings.from_env(dict(os.environ)))[0])
    assert source.client.transport.__class__.__name__ == "BetaAnalyticsDataGrpcTransport"
