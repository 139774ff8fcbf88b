"""Bench: one weekly run of 50 GA4 sites on the DuckDB file vs on DuckLake, sites fetched one at
a time vs in parallel.

The fake GA4 server runs in its own process and answers every call after a fixed latency
(0.3 s by default). Each configuration runs, into a fresh warehouse, what a week costs: the
``daily_ingest`` job for the week's 7 days (GA4 totals and breakdowns, ads/search, CRM) and the
``weekly_pipeline`` job for the week without the report steps (those are the same on both
warehouses). Warehouses: the DuckDB file under ``KPI_HOME`` (the baseline, same session, same
load) and a DuckLake with its catalog in a real local PostgreSQL (tests/helpers/postgres.py)
and its data in a local folder. Fetch: ``GA4_MAX_CONCURRENT_SITES=1`` vs 8.

Reported: wall seconds of each part, and ratios to the file/sequential run of the same session.

Run: ``.venv/bin/python bench/warehouse_backends.py`` (~30 min on two busy cores; ``--help``).
Writes ``bench/results/warehouse_backends.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from contextlib import closing
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the fake server and the PostgreSQL helper
sys.path.insert(0, str(ROOT / "bench"))

from parallel_fetch import WEEK, property_ids, serve  # noqa: E402

SUNDAY = date(2026, 11, 22)


def weekly_run(env: dict[str, str], folder: Path, sites: int) -> dict[str, float]:
    """Wall seconds of the week's ingest and of its weekly marts for ``sites`` GA4 sites."""
    from dagster import DagsterInstance

    from kpi_pipeline.config.settings import Settings
    from kpi_pipeline.definitions import build_definitions
    from kpi_pipeline.orchestration.runner import (
        ensure_catalog,
        ingest_days,
        run_weeks,
        without_delivery,
    )

    folder.mkdir(parents=True, exist_ok=True)
    sites_file = folder / "kpi_sites.yaml"
    sites_file.write_text("sites:\n" + "".join(
        f"  - {{id: s{pid}, source: ga4, ga4_property_id: '{pid}'}}\n" for pid in property_ids(sites)))
    settings = Settings.from_env({"KPI_HOME": str(folder / "home"), "KPI_SITES": str(sites_file),
                                  **env})
    defs = build_definitions(settings)
    with DagsterInstance.ephemeral() as instance:
        started = time.perf_counter()
        ensure_catalog(defs, instance)
        ingest_days(defs, instance, WEEK, SUNDAY)
        ingested = time.perf_counter()
        run_weeks(defs, instance, WEEK, WEEK, selection=without_delivery(defs))
        done = time.perf_counter()
    return {"ingest_s": round(ingested - started, 2), "weekly_marts_s": round(done - ingested, 2),
            "total_s": round(done - started, 2)}


def _new_database(server, name: str) -> None:
    with closing(server.connect("postgres")) as con:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--concurrent", type=int, default=8)
    args = parser.parse_args()
    from helpers.postgres import running_postgres
    from machine import machine

    info = machine()
    parent, child = mp.Pipe()
    server = mp.Process(target=serve, args=(child, args.sites, args.latency), daemon=True)
    server.start()
    endpoint = f"127.0.0.1:{parent.recv()}"
    rows = []
    with running_postgres("bench") as pg, tempfile.TemporaryDirectory() as tmp:
        # the first run in a process also pays imports and Dagster's first set-up
        weekly_run({"GA4_API_ENDPOINT": endpoint}, Path(tmp) / "warm-up", 1)
        for n, (backend, mode) in enumerate([(b, m) for m in ("sequential", "parallel")
                                             for b in ("file", "ducklake")]):
            env = {"GA4_API_ENDPOINT": endpoint,
                   "GA4_MAX_CONCURRENT_SITES": "1" if mode == "sequential" else str(args.concurrent)}
            if backend == "ducklake":
                _new_database(pg, f"lake{n}")
                env["KPI_WAREHOUSE"] = (f"ducklake:postgres:dbname=lake{n} host={pg.host} "
                                        f"port={pg.port} user={pg.user} password={pg.password}")
                env["KPI_LAKE_DATA_PATH"] = str(Path(tmp) / f"lake{n}")
            load = os.getloadavg()[0]
            seconds = weekly_run(env, Path(tmp) / f"run{n}", args.sites)
            row = {"warehouse": backend, "fetch": mode, "load_1min": round(load, 2), **seconds}
            rows.append(row)
            print(f"{backend:>8} {mode:>10}: ingest {row['ingest_s']:7.1f} s, weekly marts "
                  f"{row['weekly_marts_s']:7.1f} s, total {row['total_s']:7.1f} s (load {load:.1f})",
                  flush=True)
    parent.send("stop")
    server.join(timeout=10)
    base = next(r for r in rows if r["warehouse"] == "file" and r["fetch"] == "sequential")
    for row in rows:
        row["total_over_file_sequential"] = round(row["total_s"] / base["total_s"], 3)
        row["marts_over_file"] = round(row["weekly_marts_s"] / base["weekly_marts_s"], 3)
    result = {"bench": "warehouse_backends", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": info, "sites": args.sites, "latency_s": args.latency,
              "concurrent": args.concurrent, "week": WEEK.isoformat(),
              "uptime": os.popen("uptime").read().strip(), "rows": rows}
    out = ROOT / "bench" / "results" / "warehouse_backends.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
