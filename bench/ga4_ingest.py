"""Bench: ingest ~1,000,000 GA4 rows through the real client from the fake server into DuckDB.

The fake GA4 server runs in its own process (as GA4 is remote) and has every page cached after
a warm-up pass, so the timings are the client's. Reported per transport:

* ingest: ``load_web_days`` into a fresh DuckDB file (fetch, raw protobuf → columns, insert),
  rows/s and peak RSS growth of this process during the run;
* floor: the same requests only received and parsed as protobuf (no columns, no loading);
* ratio = floor seconds / ingest seconds (goal ≥ 0.5 for gRPC);
* convert: everything but DuckDB (fetch, raw protobuf → frames), to separate our cost from the
  insert into the PRIMARY KEY-indexed raw table;
* on a smaller range: REST, a second (replacing) load, and the same table without its PK.

Run: ``.venv/bin/python bench/ga4_ingest.py`` (about a minute; ``--help`` for sizes).
Writes ``bench/results/ga4_ingest.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the fake server lives with the tests

FIRST_DAY = date(2026, 6, 1)
PROPERTY_ID = "424242"


def serve(conn, days: int, sessions_per_day: int, pages: int) -> None:
    """Child process: build the property, start the fake, report ports, serve until told to stop."""
    from fakes.ga4_data import FakeProperty
    from fakes.ga4_server import FakeGA4Server

    started = time.perf_counter()
    prop = FakeProperty.generate(
        PROPERTY_ID, FIRST_DAY, days, sessions_per_day=sessions_per_day, users=sessions_per_day * 40,
        pages=pages, seed=11, hostile=True,
    )
    server = FakeGA4Server(properties={PROPERTY_ID: prop}).start()
    conn.send((server.port, server.rest_port, len(prop.sessions), len(prop.events), time.perf_counter() - started))
    conn.recv()
    server.stop()


class PeakRSS:
    """Peak resident memory of this process while the block runs (sampled every 5 ms)."""

    def __enter__(self) -> PeakRSS:
        self.base = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.base) / 2**20


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _warehouse(path: Path, no_pk: bool):
    import duckdb

    from kpi_pipeline.warehouse import ensure_schema

    con = duckdb.connect(str(path))
    ensure_schema(con)
    if no_pk:  # experiment: the same table without its PRIMARY KEY index
        con.execute("CREATE TABLE raw.nopk AS SELECT * FROM raw.ga4_by_dimension LIMIT 0")
        con.execute("DROP TABLE raw.ga4_by_dimension")
        con.execute("ALTER TABLE raw.nopk RENAME TO ga4_by_dimension")
    return con


def _open(resource):
    """The source of the bench property, opened as the raw assets open a GA4 site."""
    from kpi_pipeline.config.sites import SiteConfig
    from kpi_pipeline.sources.resources import WebSourcesResource

    site = SiteConfig(id=PROPERTY_ID, source="ga4", ga4_property_id=PROPERTY_ID)
    return WebSourcesResource(ga4=resource).open(site)


def ingest(resource, date_from: date, date_to: date, *, no_pk: bool = False, twice: bool = False) -> dict:
    """``load_web_days`` into a fresh DuckDB file (``twice``: time a second, replacing load)."""
    from kpi_pipeline.raw import load_web_days

    with tempfile.TemporaryDirectory() as tmp:
        con = _warehouse(Path(tmp) / "warehouse.duckdb", no_pk)
        if twice:
            load_web_days(con, _open(resource), date_from, date_to)
        with PeakRSS() as memory:
            started = time.perf_counter()
            summary = load_web_days(con, _open(resource), date_from, date_to)
            seconds = time.perf_counter() - started
        con.close()
    rows = summary.ga4_daily_rows + summary.ga4_by_dimension_rows
    return {"seconds": seconds, "rows": rows, "requests": summary.info.requests, "peak_rss_growth_mb": memory.growth_mb}


def convert(resource, date_from: date, date_to: date) -> dict:
    """Everything but DuckDB: fetch, raw protobuf → frames (with read-ahead), then drop them."""
    with PeakRSS() as memory:
        started = time.perf_counter()
        load = _open(resource).load_days(date_from, date_to)
        rows = len(load.ga4_daily) + sum(len(page) for page in load.ga4_by_dimension)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "peak_rss_growth_mb": memory.growth_mb}


def floor(resource, date_from: date, date_to: date) -> dict:
    """The same requests, each page only received and parsed as protobuf."""
    from kpi_pipeline.sources.base import LoadInfo
    from kpi_pipeline.sources.ga4.fetch import ReportFetcher, ReportQuery
    from kpi_pipeline.sources.ga4.specs import DAY_BATCHES

    source = _open(resource)
    info = LoadInfo(source="ga4")
    fetcher = ReportFetcher(source.client, source.property_id, info, source.options)
    ranges = [(date_from, date_to, "")]
    rows = 0
    started = time.perf_counter()
    for batch in DAY_BATCHES:
        queries = [ReportQuery(spec, ranges) for spec in batch]
        for query, first in zip(queries, fetcher.first_pages(queries), strict=True):
            for page in fetcher.pages(query, first):
                rows += len(page.rows)
    return {"seconds": time.perf_counter() - started, "rows": rows, "requests": info.requests}


def measure(transport: str, endpoint: str, date_from: date, date_to: date, page_size: int, repeat: int,
            *, variants: bool = False) -> dict:
    from kpi_pipeline.sources.ga4 import GA4Resource

    resource = GA4Resource(transport=transport, api_endpoint=endpoint, page_size=page_size)
    warm = ingest(resource, date_from, date_to)  # fills the server's page cache
    floors = [floor(resource, date_from, date_to) for _ in range(repeat)]
    converts = [convert(resource, date_from, date_to) for _ in range(repeat)]
    runs = [ingest(resource, date_from, date_to) for _ in range(repeat)]
    best_floor = min(f["seconds"] for f in floors)
    best_convert = min(c["seconds"] for c in converts)
    best = min(runs, key=lambda r: r["seconds"])
    assert best["rows"] == warm["rows"] == converts[0]["rows"], "runs loaded different row counts"
    result = {
        "transport": transport,
        "days": (date_to - date_from).days + 1,
        "page_size": page_size,
        "rows": best["rows"],
        "requests": best["requests"],
        "ingest_seconds": round(best["seconds"], 3),
        "ingest_seconds_median": round(statistics.median(r["seconds"] for r in runs), 3),
        "rows_per_second": round(best["rows"] / best["seconds"]),
        "ingest_peak_rss_growth_mb": round(max(r["peak_rss_growth_mb"] for r in runs), 1),
        "floor_seconds": round(best_floor, 3),
        "floor_rows_per_second": round(floors[0]["rows"] / best_floor),
        "ratio_floor_over_ingest": round(best_floor / best["seconds"], 3),
        "convert_seconds": round(best_convert, 3),
        "convert_peak_rss_growth_mb": round(max(c["peak_rss_growth_mb"] for c in converts), 1),
        "ratio_floor_over_convert": round(best_floor / best_convert, 3),
    }
    if variants:
        no_pk = min((ingest(resource, date_from, date_to, no_pk=True) for _ in range(repeat)), key=lambda r: r["seconds"])
        result["no_pk_ingest_seconds"] = round(no_pk["seconds"], 3)
        result["no_pk_ratio_floor_over_ingest"] = round(best_floor / no_pk["seconds"], 3)
        result["reload_seconds"] = round(ingest(resource, date_from, date_to, twice=True)["seconds"], 3)
        result["no_pk_reload_seconds"] = round(ingest(resource, date_from, date_to, no_pk=True, twice=True)["seconds"], 3)
    return result


def _probe(conn, endpoint: str, page_size: int, date_from: date, date_to: date) -> None:
    """Child process: one fetch + convert pass; report rows and peak RSS growth over its start."""
    from kpi_pipeline.sources.ga4 import GA4Resource

    # sampled, not ru_maxrss: a spawned child inherits its parent's high-water mark on Linux
    source = _open(GA4Resource(api_endpoint=endpoint, page_size=page_size))
    with PeakRSS() as memory:
        load = source.load_days(date_from, date_to)
        rows = len(load.ga4_daily) + sum(len(page) for page in load.ga4_by_dimension)
    conn.send({"page_size": page_size, "rows": rows, "convert_peak_rss_growth_mb": round(memory.growth_mb, 1)})


def memory_probe(endpoint: str, date_from: date, date_to: date) -> list[dict]:
    """Peak RSS growth of fetch + convert (each in a fresh process) for half and all of the
    range at two page sizes: it follows the page size, not the number of rows."""
    ctx = mp.get_context("spawn")
    half = date_from + (date_to - date_from) / 2
    out = []
    for page_size in (25_000, 100_000):
        for last in (half, date_to):
            parent, child = ctx.Pipe()
            process = ctx.Process(target=_probe, args=(child, endpoint, page_size, date_from, last))
            process.start()
            out.append(parent.recv())
            process.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--sessions-per-day", type=int, default=4500)
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--small-days", type=int, default=20,
                        help="days of the smaller run (REST, re-load and no-PK figures); 0 skips it")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ga4_ingest.json")
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(child, args.days, args.sessions_per_day, args.pages), daemon=True)
    server.start()
    port, rest_port, n_sessions, n_events, build_seconds = parent.recv()
    print(f"fake GA4: {n_sessions:,} sessions, {n_events:,} events over {args.days} days (built in {build_seconds:.1f}s)")
    date_from, date_to = FIRST_DAY, FIRST_DAY + timedelta(days=args.days - 1)
    results: list[dict] = []
    memory: list[dict] = []
    try:
        results.append(measure("grpc", f"127.0.0.1:{port}", date_from, date_to, args.page_size, args.repeat))
        print(json.dumps(results[-1]))
        memory = memory_probe(f"127.0.0.1:{port}", date_from, date_to)
        print(json.dumps(memory))
        if args.small_days:  # the same smaller range by gRPC and REST, plus re-load and no-PK variants
            small_to = date_from + timedelta(days=args.small_days - 1)
            results.append(measure("grpc", f"127.0.0.1:{port}", date_from, small_to, args.page_size, args.repeat, variants=True))
            print(json.dumps(results[-1]))
            results.append(measure("rest", f"http://127.0.0.1:{rest_port}", date_from, small_to, args.page_size, 1))
            print(json.dumps(results[-1]))
    finally:
        parent.send("stop")
        server.join(timeout=10)
    report = {
        "bench": "ga4_ingest",
        "what": "load_web_days through BetaAnalyticsDataClient from the fake GA4 server (own process) into a DuckDB file",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "fake_data": {"days": args.days, "sessions": n_sessions, "events": n_events},
        "goal": "grpc ratio_floor_over_ingest >= 0.5",
        "results": results,
        "memory_by_page_size": memory,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
