"""A fake GA4 Data API server on loopback for tests and the bench: gRPC and REST (JSON).

It speaks ``google.analytics.data.v1beta.BetaAnalyticsData`` ``RunReport`` and ``BatchRunReports``
with the package's own protobuf message types (grpcio generic handlers), so the real
``BetaAnalyticsDataClient`` talks to it unchanged. It serves the facts of :class:`FakeProperty`
and can be told to:

* return short pages (``page_cap``): fewer rows than the request's limit even when more remain;
* fail the next calls (``fail``) with any status, e.g. 429/503 first, or delay them (``delay``);
* run out of the hourly or daily token quota (``quota_limit``), answering RESOURCE_EXHAUSTED;
* reject a metric (``reject_metric``) with INVALID_ARGUMENT (HTTP 400);
* report thresholding, sampling or an "(other)" row (flags on the property);
* answer every call after ``latency`` seconds, like the real API over the Internet, and count
  how many calls were in flight at once (``peak_in_flight``, ``properties_in_flight``).

Use it through the ``ga4_server`` and ``ga4_source`` fixtures: put
``pytest_plugins = ("fakes.ga4_server",)`` in the test module.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest
from google.analytics.data_v1beta.types import (
    BatchRunReportsRequest,
    BatchRunReportsResponse,
    GetMetadataRequest,
    Metadata,
    RunReportRequest,
    RunReportResponse,
)
from google.protobuf import json_format
from google.protobuf.message import Message

from fakes.ga4_data import METRIC_TYPES, FakeProperty, ReportError
from kpi_pipeline.config.sites import SiteConfig
from kpi_pipeline.sources.ga4 import GA4Resource, GA4Source
from kpi_pipeline.sources.resources import WebSourcesResource

SERVICE = "google.analytics.data.v1beta.BetaAnalyticsData"
RunReportRequestPb = RunReportRequest.pb()
RunReportResponsePb = RunReportResponse.pb()
BatchRunReportsRequestPb = BatchRunReportsRequest.pb()
BatchRunReportsResponsePb = BatchRunReportsResponse.pb()
GetMetadataRequestPb = GetMetadataRequest.pb()
MetadataPb = Metadata.pb()
MAX_LIMIT = 250_000
DEFAULT_LIMIT = 10_000
QUOTA_MESSAGES = {
    "daily": "Exhausted property tokens per day. These quota tokens will return in under 24 hours. To learn more, see https://developers.google.com/analytics/devguides/reporting/data/v1/quotas",
    "hourly": "Exhausted property tokens per hour. These quota tokens will return in under an hour. To learn more, see https://developers.google.com/analytics/devguides/reporting/data/v1/quotas",
}
HTTP_OF = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


class FakeStatus(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Fault:
    code: grpc.StatusCode | None
    message: str
    times: int
    after: int
    delay: float = 0.0


@dataclass
class Call:
    transport: str
    method: str
    request: Message


@dataclass
class FakeGA4Server:
    """Fake GA4: add properties, start, point ``GA4_API_ENDPOINT`` at ``endpoint``."""

    properties: dict[str, FakeProperty] = field(default_factory=dict)
    page_cap: int | None = None
    tokens_per_report: int = 10
    calls: list[Call] = field(default_factory=list)
    latency: float = 0.0  # seconds every call waits before it is answered
    workers: int = 64  # calls served at once (the real API serves many clients)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._in_flight: list[str] = []  # property of each call being answered now
        self.peak_in_flight = 0
        self.properties_in_flight = 0  # most distinct properties answered at the same moment
        self.first_call_at: float | None = None  # time.monotonic() of the first delayed call
        self.last_answer_at: float | None = None  # ...and of the last answer
        self._faults: list[Fault] = []
        self._rejected: set[str] = set()
        self._quota: dict[str, int] = {}
        self._used: dict[str, int] = {}
        self._reports: dict[tuple, tuple[list[str], list[str], list[tuple[str, ...]]]] = {}
        self._pages: dict[tuple, bytes] = {}
        self._json_pages: dict[tuple, str] = {}
        self._call_count = 0
        self._grpc: grpc.Server | None = None
        self._http: ThreadingHTTPServer | None = None
        self.port = 0
        self.rest_port = 0

    # ---- test controls ----------------------------------------------------------------------

    def add_property(self, prop: FakeProperty) -> FakeProperty:
        self.properties[prop.property_id] = prop
        return prop

    def fail(self, code: grpc.StatusCode, message: str = "", *, times: int = 1, after: int = 0) -> None:
        """The next ``times`` calls (after letting ``after`` calls through) fail with ``code``."""
        self._faults.append(Fault(code, message or f"fake {code.name}", times, after))

    def delay(self, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` calls answer only after ``seconds`` (for client timeouts)."""
        self._faults.append(Fault(None, "", times, 0, delay=seconds))

    def reject_metric(self, metric: str) -> None:
        self._rejected.add(metric)

    def quota_limit(self, property_id: str, tokens: int, *, kind: str = "daily") -> None:
        """The property may use ``tokens`` more tokens; then every call is RESOURCE_EXHAUSTED."""
        self._quota[property_id] = tokens
        self._quota_kind = kind
        self._used[property_id] = 0

    def api_calls(self, method: str | None = None) -> list[Call]:
        return [c for c in self.calls if method is None or c.method == method]

    # ---- lifecycle --------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def rest_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    def start(self) -> FakeGA4Server:
        options = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=self.workers), options=options)
        handlers = {
            "RunReport": grpc.unary_unary_rpc_method_handler(
                self._grpc_handler("RunReport", self.run_report_bytes),
                request_deserializer=RunReportRequestPb.FromString,
                response_serializer=bytes,
            ),
            "BatchRunReports": grpc.unary_unary_rpc_method_handler(
                self._grpc_handler("BatchRunReports", self.batch_run_reports_bytes),
                request_deserializer=BatchRunReportsRequestPb.FromString,
                response_serializer=bytes,
            ),
            "GetMetadata": grpc.unary_unary_rpc_method_handler(
                self._grpc_handler("GetMetadata", self.metadata_bytes),
                request_deserializer=GetMetadataRequestPb.FromString,
                response_serializer=bytes,
            ),
        }
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
        self.port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._grpc = server
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _rest_handler(self))
        self._http.daemon_threads = True
        self.rest_port = self._http.server_address[1]
        threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._grpc is not None:
            self._grpc.stop(grace=None)
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()

    # ---- the API ----------------------------------------------------------------------------

    def _grpc_handler(self, method: str, answer):
        def handle(request: Message, context: grpc.ServicerContext) -> bytes:
            try:
                return answer(request, transport="grpc")
            except FakeStatus as status:
                context.abort(status.code, status.message)

        return handle

    def _before_call(self, transport: str, method: str, request: Message) -> None:
        with self._lock:
            self.calls.append(Call(transport, method, request))
            self._call_count += 1
            fault = next((f for f in self._faults if f.times > 0), None)
            if fault is not None and fault.after > 0:
                fault.after -= 1
                fault = None
            elif fault is not None:
                fault.times -= 1
        if self.latency:
            self._wait(str(getattr(request, "property", "")))
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.code is not None:
                raise FakeStatus(fault.code, fault.message)

    def _wait(self, property_name: str) -> None:
        """Sleep ``latency`` while counted as in flight (what overlap assertions read)."""
        with self._lock:
            self._in_flight.append(property_name)
            self.peak_in_flight = max(self.peak_in_flight, len(self._in_flight))
            self.properties_in_flight = max(self.properties_in_flight, len(set(self._in_flight)))
            if self.first_call_at is None:
                self.first_call_at = time.monotonic()
        try:
            time.sleep(self.latency)
        finally:
            with self._lock:
                self._in_flight.remove(property_name)
                self.last_answer_at = time.monotonic()

    @property
    def busy_seconds(self) -> float:
        """From the first call to the last answer: the fetch as the API sees it."""
        if self.first_call_at is None or self.last_answer_at is None:
            return 0.0
        return self.last_answer_at - self.first_call_at

    def _property(self, name: str) -> FakeProperty:
        match = re.fullmatch(r"properties/(\d+)", name)
        if not match:
            raise FakeStatus(grpc.StatusCode.INVALID_ARGUMENT, f"Invalid property: {name!r}. A property is specified as 'properties/1234'.")
        prop = self.properties.get(match.group(1))
        if prop is None:
            raise FakeStatus(
                grpc.StatusCode.PERMISSION_DENIED,
                "User does not have sufficient permissions for this property. To learn more about Property ID, see https://developers.google.com/analytics/devguides/reporting/data/v1/property-id.",
            )
        return prop

    def _spend(self, prop: FakeProperty, reports: int) -> int:
        cost = self.tokens_per_report * reports
        with self._lock:
            if prop.property_id in self._quota:
                if self._used[prop.property_id] + cost > self._quota[prop.property_id]:
                    raise FakeStatus(grpc.StatusCode.RESOURCE_EXHAUSTED, QUOTA_MESSAGES[self._quota_kind])
                self._used[prop.property_id] += cost
        return cost

    def _remaining(self, prop: FakeProperty) -> int:
        if prop.property_id in self._quota:
            return self._quota[prop.property_id] - self._used[prop.property_id]
        return 200_000

    def run_report_bytes(self, request: Message, *, transport: str, batched: bool = False) -> bytes:
        if not batched:
            self._before_call(transport, "RunReport", request)
        prop = self._property(request.property)
        page = self._page(prop, request)
        if not batched:
            self._spend(prop, 1)
        if not request.return_property_quota:
            return page
        quota = RunReportResponsePb()
        for status in (quota.property_quota.tokens_per_day, quota.property_quota.tokens_per_hour):
            status.consumed = self.tokens_per_report
            status.remaining = self._remaining(prop)
        return page + quota.SerializeToString()  # concatenated messages merge

    def metadata_bytes(self, request: Message, *, transport: str) -> bytes:
        """getMetadata: the metrics the property serves (ads / search ones only when linked)."""
        self._before_call(transport, "GetMetadata", request)
        prop = self._property(request.name.removesuffix("/metadata"))
        answer = MetadataPb(name=request.name)
        for name in prop.metric_names():
            answer.metrics.add(api_name=name, type_=METRIC_TYPES[name])
        return answer.SerializeToString()

    def batch_run_reports_bytes(self, request: Message, *, transport: str) -> bytes:
        self._before_call(transport, "BatchRunReports", request)
        prop = self._property(request.property)
        if not 1 <= len(request.requests) <= 5:
            raise FakeStatus(grpc.StatusCode.INVALID_ARGUMENT, "A batch holds 1 to 5 requests.")
        for sub in request.requests:
            if sub.property and sub.property != request.property:
                raise FakeStatus(grpc.StatusCode.INVALID_ARGUMENT, "Requests in a batch must be for the batch's property.")
        pages = []
        for sub in request.requests:
            copy = RunReportRequestPb()
            copy.CopyFrom(sub)
            copy.property = request.property
            pages.append(self.run_report_bytes(copy, transport=transport, batched=True))
        self._spend(prop, len(pages))
        out = bytearray()
        for page in pages:
            out += b"\x0a" + _varint(len(page)) + page
        out += b"\x12" + _varint(len("analyticsData#batchRunReports")) + b"analyticsData#batchRunReports"
        return bytes(out)

    def _page(self, prop: FakeProperty, request: Message) -> bytes:
        """The page's bytes (without quota), computed once per (data version, request, page)."""
        key_request = RunReportRequestPb()
        key_request.CopyFrom(request)
        key_request.ClearField("offset")
        key_request.ClearField("limit")
        key_request.ClearField("return_property_quota")
        flags = (prop.thresholded, prop.sampled, prop.data_loss_from_other_row, prop.time_zone, prop.currency)
        report_key = (prop.property_id, prop.version, flags, key_request.SerializeToString(deterministic=True))
        limit = request.limit or DEFAULT_LIMIT
        if limit > MAX_LIMIT or limit < 0 or request.offset < 0:
            raise FakeStatus(grpc.StatusCode.INVALID_ARGUMENT, f"limit must be between 1 and {MAX_LIMIT}.")
        if self.page_cap:
            limit = min(limit, self.page_cap)
        page_key = (report_key, request.offset, limit)
        cached = self._pages.get(page_key)
        if cached is not None:
            return cached
        dims, metrics, rows = self._report(prop, request, report_key)
        response = RunReportResponsePb()
        for d in dims:
            response.dimension_headers.add(name=d)
        for m in metrics:
            response.metric_headers.add(name=m, type_=METRIC_TYPES[m])
        n_dims = len(dims)
        for row in rows[request.offset : request.offset + limit]:
            out = response.rows.add()
            for value in row[:n_dims]:
                out.dimension_values.add(value=value)
            for value in row[n_dims:]:
                out.metric_values.add(value=value)
        response.row_count = len(rows)
        meta = response.metadata
        meta.currency_code = prop.currency
        meta.time_zone = prop.time_zone
        meta.subject_to_thresholding = prop.thresholded
        meta.data_loss_from_other_row = prop.data_loss_from_other_row
        if prop.sampled:
            meta.sampling_metadatas.add(samples_read_count=250_000, sampling_space_size=1_000_000)
        response.kind = "analyticsData#runReport"
        page = response.SerializeToString()
        with self._lock:
            self._pages[page_key] = page
        return page

    def _report(self, prop: FakeProperty, request: Message, key: tuple):
        cached = self._reports.get(key)
        if cached is not None:
            return cached
        dims = [d.name for d in request.dimensions]
        metrics = [m.name for m in request.metrics]
        for m in metrics:
            if m in self._rejected:
                raise FakeStatus(grpc.StatusCode.INVALID_ARGUMENT, f"Field {m} is not a valid metric. For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema")
        if not 1 <= len(request.date_ranges) <= 4:
            raise FakeStatus(grpc.StatusCode.INVALID_ARGUMENT, "A request takes 1 to 4 date ranges.")
        ranges = [(r.start_date, r.end_date, r.name) for r in request.date_ranges]
        try:
            out_dims, rows = prop.report(dims, metrics, ranges, _in_list(request))
        except ReportError as exc:
            raise FakeStatus(grpc.StatusCode.INVALID_ARGUMENT, str(exc)) from None
        result = (out_dims, metrics, rows)
        with self._lock:
            self._reports[key] = result
        return result

    def json_page(self, method: str, body: bytes, property_name: str) -> str:
        """REST: the same answer as JSON (what the REST transport parses)."""
        request_type = RunReportRequestPb if method == "runReport" else BatchRunReportsRequestPb
        request = request_type()
        try:
            json_format.Parse(body or b"{}", request, ignore_unknown_fields=True)
        except json_format.ParseError as exc:
            raise FakeStatus(grpc.StatusCode.INVALID_ARGUMENT, f"Invalid JSON payload: {exc}") from None
        request.property = property_name
        if method == "runReport":
            answer, response_type = self.run_report_bytes(request, transport="rest"), RunReportResponsePb
        else:
            answer, response_type = self.batch_run_reports_bytes(request, transport="rest"), BatchRunReportsResponsePb
        cached = self._json_pages.get(answer)
        if cached is None:
            cached = json_format.MessageToJson(response_type.FromString(answer), indent=None)
            self._json_pages[answer] = cached
        return cached


def _in_list(request: Message) -> tuple[str, set[str]] | None:
    if not request.HasField("dimension_filter"):
        return None
    expression = request.dimension_filter
    if expression.WhichOneof("expr") != "filter":
        raise FakeStatus(grpc.StatusCode.INVALID_ARGUMENT, "fake GA4 supports single filters only")
    f = expression.filter
    kind = f.WhichOneof("one_filter")
    if kind == "in_list_filter":
        return f.field_name, set(f.in_list_filter.values)
    if kind == "string_filter" and f.string_filter.match_type in (0, 1):  # EXACT
        return f.field_name, {f.string_filter.value}
    raise FakeStatus(grpc.StatusCode.INVALID_ARGUMENT, f"fake GA4 does not support {kind}")


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _rest_handler(server: FakeGA4Server) -> type[BaseHTTPRequestHandler]:
    path_re = re.compile(r"^/v1beta/(properties/[^/:]+):(runReport|batchRunReports)$")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK stall)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = path_re.match(self.path.split("?")[0])
            try:
                if not match:
                    raise FakeStatus(grpc.StatusCode.NOT_FOUND, f"no such method {self.path}")
                payload, status = server.json_page(match.group(2), body, match.group(1)), 200
            except FakeStatus as exc:
                status = HTTP_OF.get(exc.code, 500)
                payload = json.dumps({"error": {"code": status, "message": exc.message, "status": exc.code.name}})
            data = payload.encode("utf-8")
            self.send_response(status, HTTPStatus(status).phrase)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name; getMetadata over REST
            match = re.match(r"^/v1beta/(properties/[^/:]+/metadata)$", self.path.split("?")[0])
            try:
                if not match:
                    raise FakeStatus(grpc.StatusCode.NOT_FOUND, f"no such method {self.path}")
                answer = server.metadata_bytes(GetMetadataRequestPb(name=match.group(1)), transport="rest")
                payload, status = json_format.MessageToJson(MetadataPb.FromString(answer), indent=None), 200
            except FakeStatus as exc:
                status = HTTP_OF.get(exc.code, 500)
                payload = json.dumps({"error": {"code": status, "message": exc.message, "status": exc.code.name}})
            data = payload.encode("utf-8")
            self.send_response(status, HTTPStatus(status).phrase)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
            return

    return Handler


@pytest.fixture
def ga4_server() -> Iterator[FakeGA4Server]:
    """A started fake GA4 server (gRPC on ``endpoint``, REST on ``rest_endpoint``), stopped after."""
    server = FakeGA4Server().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def ga4_source(ga4_server: FakeGA4Server):
    """``ga4_source(property_id, **overrides)``: the ``GA4Source`` the pipeline opens for a GA4
    site of that property (``WebSourcesResource.open``), aimed at ``ga4_server``."""
    return lambda property_id, **overrides: open_site(fake_resource(ga4_server, **overrides), property_id)


def open_site(resource: GA4Resource, property_id: str, site_id: str | None = None) -> GA4Source:
    """The source of a GA4 site of ``property_id``, opened as the raw assets open it."""
    site = SiteConfig(id=site_id or property_id, source="ga4", ga4_property_id=property_id)
    return WebSourcesResource(ga4=resource).open(site)


def fake_resource(server: FakeGA4Server, **overrides: object) -> GA4Resource:
    """A ``GA4Resource`` aimed at the fake with tiny backoff delays (tests stay fast)."""

    settings: dict[str, object] = {
        "api_endpoint": server.endpoint,
        "backoff_initial_seconds": 0.001,
        "backoff_max_seconds": 0.01,
        "max_attempts": 4,
        "request_timeout_seconds": 10.0,
    }
    settings.update(overrides)
    return GA4Resource(**settings)
