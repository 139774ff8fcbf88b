"""Reading GA4 responses: raw protobuf rows into columns, and which failures are retried."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.analytics.data_v1beta.types import RunReportResponse
from google.api_core import exceptions as api

from kpi_pipeline.sources.ga4 import GA4DataError, GA4QuotaExhaustedError, GA4UnavailableError
from kpi_pipeline.sources.ga4.frames import _row_by_row, metric_array, raw_columns
from kpi_pipeline.sources.ga4.retry import RetryPolicy, call_with_retry, exhausted_quota

VALUES = ["/", "", "<script>alert(1)</script>", "'; DROP TABLE x; --", "日本語/ページ", "x" * 5000, "a\nb\x00c"]


def response(rows: list[tuple[list[str], list[str]]], dims: int = 2, mets: int = 3):
    pb = RunReportResponse.pb()()
    for i in range(dims):
        pb.dimension_headers.add(name=f"d{i}")
    for i in range(mets):
        pb.metric_headers.add(name=f"m{i}")
    for dim_values, met_values in rows:
        row = pb.rows.add()
        for v in dim_values:
            row.dimension_values.add(value=v)
        for v in met_values:
            row.metric_values.add(value=v)
    pb.row_count = len(rows)
    return pb


def test_columns_read_in_bulk_equal_the_rows_read_one_by_one():
    rows = [([VALUES[i % len(VALUES)], VALUES[(i * 3) % len(VALUES)]], [str(i), f"{i}.5", "0"]) for i in range(500)]
    page = response(rows)

    bulk = raw_columns(page)

    assert bulk == _row_by_row(page, ["d0", "d1"], ["m0", "m1", "m2"])
    assert bulk["d0"][:len(VALUES)] == VALUES
    assert bulk["m1"][3] == "3.5"


def test_a_row_missing_a_value_is_read_one_by_one_with_the_same_result():
    page = response([(["a", "b"], ["1", "2", "3"]), (["c", "d"], ["4", "5", "6"])])
    page.rows[1].dimension_values[0].Clear()  # GA4 left the value unset

    assert raw_columns(page) == {"d0": ["a", ""], "d1": ["b", "d"], "m0": ["1", "4"], "m1": ["2", "5"], "m2": ["3", "6"]}


def test_a_metric_that_is_not_a_number_is_refused_by_name():
    with pytest.raises(GA4DataError, match="metric sessions"):
        metric_array("sessions", ["12", "NaN?"])
    assert metric_array("sessions", ["12", "3"]).tolist() == [12, 3]
    assert metric_array("sessionKeyEventRate", ["0.25"]).tolist() == [0.25]


@pytest.mark.parametrize(
    ("message", "quota"),
    [
        ("Exhausted property tokens per day. These quota tokens will return in under 24 hours.", "daily"),
        ("Exhausted property tokens per hour. These quota tokens will return in under an hour.", "hourly"),
        ("Exhausted property tokens for a project per hour.", "hourly"),
        ("Exhausted potentially thresholded requests quota.", "hourly"),
        ("Exhausted concurrent requests quota.", None),
        ("Resource has been exhausted (e.g. check quota).", None),
    ],
)
def test_only_used_up_hourly_or_daily_quotas_stop_the_load(message, quota):
    assert exhausted_quota(message) == quota


def test_a_used_up_daily_quota_says_to_retry_after_midnight_pacific():
    def call():
        raise api.ResourceExhausted("Exhausted property tokens per day.")

    noon_utc = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # 04:00 in Los Angeles
    with pytest.raises(GA4QuotaExhaustedError) as error:
        call_with_retry(call, policy=RetryPolicy(), what="report x", property_id="1", now=lambda: noon_utc)

    assert error.value.retry_after == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    assert "2026-11-26 08:00 UTC" in str(error.value)


def test_backoff_grows_with_jitter_up_to_the_cap_and_gives_up_after_the_last_attempt():
    attempts, sleeps = [], []

    def call():
        attempts.append(1)
        raise api.ServiceUnavailable("try later")

    policy = RetryPolicy(max_attempts=6, initial_delay=1.0, max_delay=4.0, multiplier=2.0)
    with pytest.raises(GA4UnavailableError, match="after 6 attempts"):
        call_with_retry(call, policy=policy, what="report x", property_id="1", sleep=sleeps.append)

    assert len(attempts) == 6 and len(sleeps) == 5
    for delay, cap in zip(sleeps, [1, 2, 4, 4, 4], strict=True):
        assert 0 <= delay <= cap


def test_a_bug_inside_a_call_is_not_disguised_as_a_ga4_error():
    def call():
        raise TypeError("bug")

    with pytest.raises(TypeError):
        call_with_retry(call, policy=RetryPolicy(), what="report x", property_id="1")
