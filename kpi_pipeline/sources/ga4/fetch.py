"""Run report specifications against GA4: batching, paging by rowCount, quota and data-quality notes.

Responses are used as raw protobuf (``RunReportResponse.pb(response)``), never read through the
proto-plus wrappers. Every response's metadata (sampling, thresholding, "(other)" row, time
zone, currency) and property quota are added to the load's :class:`LoadInfo`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import (
    BatchRunReportsRequest,
    BatchRunReportsResponse,
    RunReportResponse,
)
from google.protobuf.message import Message

from kpi_pipeline.sources.base import LoadInfo
from kpi_pipeline.sources.ga4.errors import GA4DataError
from kpi_pipeline.sources.ga4.retry import RetryPolicy, call_with_retry
from kpi_pipeline.sources.ga4.specs import MAX_BATCH, MAX_PAGE_ROWS, ReportSpec

log = logging.getLogger(__name__)

DateRanges = Sequence[tuple[date, date, str]]


@dataclass(frozen=True)
class ReportQuery:
    """A spec over concrete date ranges."""

    spec: ReportSpec
    date_ranges: DateRanges


@dataclass
class FetchOptions:
    """How to talk to GA4: page size, retries, per-request timeout, clock and sleep (for tests)."""

    page_size: int = 100_000
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE_ROWS:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_ROWS}")


class ReportFetcher:
    """Fetches pages of reports for one property and records what happened in ``info``."""

    def __init__(
        self,
        client: BetaAnalyticsDataClient,
        property_id: str,
        info: LoadInfo,
        options: FetchOptions,
        *,
        expected_timezone: str | None = None,
    ) -> None:
        self.client = client
        self.property_id = property_id
        self.info = info
        self.options = options
        self.expected_timezone = expected_timezone
        self._warned: set[str] = set()

    def first_pages(self, queries: Sequence[ReportQuery]) -> list[Message]:
        """First page of each query, in order, with as few requests as batchRunReports allows."""
        if len(queries) == 1:
            return [self._run(queries[0], offset=0)]
        pages: list[Message] = []
        for start in range(0, len(queries), MAX_BATCH):
            pages.extend(self._batch(queries[start : start + MAX_BATCH]))
        return pages

    def pages(self, query: ReportQuery, first: Message | None = None) -> Iterator[Message]:
        """Every page of ``query``: offset advances by the rows received until rowCount is reached.

        GA4 may return fewer rows than asked for even when more remain, so a short page never
        ends the paging; only ``row_count`` does.
        """
        page = first if first is not None else self._run(query, offset=0)
        del first  # the generator must not keep the first page alive
        received = len(page.rows)
        yield page
        while received < page.row_count:
            expected = page.row_count
            page = self._run(query, offset=received)
            if len(page.rows) == 0:
                raise GA4DataError(
                    f"GA4 report {query.spec.name} for property {self.property_id} announced "
                    f"{expected} rows but returned none after {received}; run again."
                )
            received += len(page.rows)
            yield page

    def _run(self, query: ReportQuery, *, offset: int) -> Message:
        request = query.spec.request(
            self.property_id, query.date_ranges, offset=offset, limit=self.options.page_size
        )
        what = f"report {query.spec.name}" + (f" (rows from {offset})" if offset else "")
        response = self._call(what, lambda: self.client.run_report(request, timeout=self.options.timeout))
        page = RunReportResponse.pb(response)
        self._note(query.spec, page)
        return page

    def _batch(self, queries: Sequence[ReportQuery]) -> list[Message]:
        request = BatchRunReportsRequest(
            property=f"properties/{self.property_id}",
            requests=[
                q.spec.request(self.property_id, q.date_ranges, limit=self.options.page_size)
                for q in queries
            ],
        )
        names = ", ".join(q.spec.name for q in queries)
        response = self._call(
            f"reports {names}",
            lambda: self.client.batch_run_reports(request, timeout=self.options.timeout),
        )
        reports = list(BatchRunReportsResponse.pb(response).reports)
        if len(reports) != len(queries):
            raise GA4DataError(f"GA4 answered {len(reports)} reports to a batch of {len(queries)}")
        for query, page in zip(queries, reports, strict=True):
            self._note(query.spec, page)
        return reports

    def _call(self, what: str, call: Callable[[], object]) -> object:
        def count() -> None:
            self.info.requests += 1

        return call_with_retry(
            call,
            policy=self.options.retry,
            what=what,
            property_id=self.property_id,
            on_attempt=count,
            sleep=self.options.sleep,
            now=self.options.now,
        )

    def _note(self, spec: ReportSpec, page: Message) -> None:
        """Add a page's quota use and data-quality metadata to the load's info."""
        info = self.info
        if page.HasField("property_quota"):
            used = page.property_quota.tokens_per_day.consumed
            info.quota_tokens_used = (info.quota_tokens_used or 0) + used
        meta = page.metadata
        if len(meta.sampling_metadatas):
            info.sampled = True
            read = sum(s.samples_read_count for s in meta.sampling_metadatas)
            space = sum(s.sampling_space_size for s in meta.sampling_metadatas)
            share = f" ({read / space:.0%} of events)" if space else ""
            self._warn(f"sampled:{spec.name}", f"GA4 sampled report {spec.name}{share}: values are estimates.")
        if meta.subject_to_thresholding:
            info.thresholded = True
            self._warn(
                f"thresholded:{spec.name}",
                f"GA4 applied thresholding to report {spec.name}: rows with few users may be withheld.",
            )
        if meta.data_loss_from_other_row:
            info.data_loss_from_other_row = True
            self._warn(
                f"other:{spec.name}",
                f"GA4 folded rare values of report {spec.name} into an \"(other)\" row.",
            )
        if meta.HasField("time_zone") and meta.time_zone:
            info.property_time_zone = meta.time_zone
            if self.expected_timezone and meta.time_zone != self.expected_timezone:
                self._warn(
                    "timezone",
                    f"GA4 property {self.property_id} reports days in {meta.time_zone}, but "
                    f"KPI_TIMEZONE is {self.expected_timezone}: days and weeks follow the "
                    f"property's time zone; set KPI_TIMEZONE={meta.time_zone}.",
                )
        if meta.HasField("currency_code") and meta.currency_code:
            info.currency = meta.currency_code

    def _warn(self, key: str, text: str) -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        self.info.warnings.append(text)
        log.warning(text)
