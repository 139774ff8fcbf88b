"""Bench: the daily GA4 ingest of 1, 8 and 50 sites, sites fetched one at a time vs in parallel.

The fake GA4 server runs in its own process (GA4 is remote) and answers every call after a
fixed latency (0.3 s and 1 s: a near and a far API). Each configuration runs the real
``daily_ingest`` job (GA4 totals and breakdowns, ads/search, CRM) for one week of 7 days into a
fresh DuckDB file, once with ``GA4_MAX_CONCURRENT_SITES=1`` (the baseline, same session, same
load) and once with the default (8). Reported: wall seconds, the sum of the API's latencies the
run waited for sequentially (requests × latency), and parallel / sequential.

Run: ``.venv/bin/python bench/parallel_fetch.py`` (~6 min on two busy cores; ``--help``).
Writes ``bench/results/parallel_fetch.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the fake server lives with the tests
sys.path.insert(0, str(ROOT / "bench"))

WEEK = date(2026, 11, 16)
SUNDAY = date(2026, 11, 22)


def property_ids(sites: int) -> list[str]:
    return [str(800_000 + i) for i in range(sites)]


def serve(conn, sites: int, latency: float) -> None:
    """Child process: the fake GA4 with ``sites`` properties, answering after ``latency`` s."""
    from fakes.ga4_data import FakeProperty
    from fakes.ga4_server import FakeGA4Server

    server = FakeGA4Server(latency=latency)
    for pid in property_ids(sites):
        server.add_property(FakeProperty.generate(pid, WEEK, 7))
    server.start()
    conn.send(server.port)
    while conn.recv() == "count":
        conn.send((len(server.calls), server.properties_in_flight))
        server.calls.clear()
        server.properties_in_flight = 0
    server.stop()


def ingest(endpoint: str, sites: int, concurrent: int, folder: Path) -> float:
    """Wall seconds of one ``daily_ingest`` run of the week for ``sites`` GA4 sites."""
    from dagster import DagsterInstance

    from kpi_pipeline.config.settings import Settings
    from kpi_pipeline.definitions import build_definitions
    from kpi_pipeline.orchestration.runner import ingest_days

    folder.mkdir(parents=True, exist_ok=True)
    sites_file = folder / "kpi_sites.yaml"
    sites_file.write_text("sites:\n" + "".join(
        f"  - {{id: s{pid}, source: ga4, ga4_property_id: '{pid}'}}\n" for pid in property_ids(sites)))
    settings = Settings.from_env({
        "KPI_HOME": str(folder / f"home-{concurrent}"), "KPI_SITES": str(sites_file),
        "GA4_API_ENDPOINT": endpoint, "GA4_MAX_CONCURRENT_SITES": str(concurrent)})
    defs = build_definitions(settings)
    with DagsterInstance.ephemeral() as instance:  # disposed here, not by GC in another thread
        started = time.perf_counter()
        ingest_days(defs, instance, WEEK, SUNDAY)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[1, 8, 50])
    parser.add_argument("--latencies", type=float, nargs="+", default=[0.3, 1.0])
    parser.add_argument("--concurrent", type=int, default=8)
    args = parser.parse_args()
    from machine import machine

    rows = []
    warm_up = True  # the first run in a process also pays imports and Dagster's first set-up
    for latency in args.latencies:
        for sites in args.sites:
            parent, child = mp.Pipe()
            server = mp.Process(target=serve, args=(child, sites, latency), daemon=True)
            server.start()
            endpoint = f"127.0.0.1:{parent.recv()}"
            row: dict = {"sites": sites, "latency_s": latency, "load_1min": os.getloadavg()[0]}
            with tempfile.TemporaryDirectory() as tmp:
                if warm_up:
                    ingest(endpoint, sites, 1, Path(tmp) / "warm-up")
                    parent.send("count")
                    parent.recv()
                    warm_up = False
                for mode, concurrent in (("sequential", 1), ("parallel", args.concurrent)):
                    seconds = ingest(endpoint, sites, concurrent, Path(tmp))
                    parent.send("count")
                    calls, in_flight = parent.recv()
                    row[mode] = {"seconds": round(seconds, 2), "requests": calls,
                                 "latency_sum_s": round(calls * latency, 1),
                                 "properties_in_flight": in_flight}
            parent.send("stop")
            server.join(timeout=10)
            row["parallel_over_sequential"] = round(row["parallel"]["seconds"] / row["sequential"]["seconds"], 3)
            rows.append(row)
            print(f"{sites:>3} sites, {latency:.1f} s: sequential {row['sequential']['seconds']:7.1f} s "
                  f"(latencies {row['sequential']['latency_sum_s']} s), parallel "
                  f"{row['parallel']['seconds']:6.1f} s, ratio {row['parallel_over_sequential']:.2f} "
                  f"(load {row['load_1min']:.1f})", flush=True)
    result = {"bench": "parallel_fetch", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": machine(), "concurrent": args.concurrent, "week": WEEK.isoformat(),
              "uptime": os.popen("uptime").read().strip(), "rows": rows}
    out = ROOT / "bench" / "results" / "parallel_fetch.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
