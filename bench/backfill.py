"""Bench: a 104-week backfill as one run vs one run per week, on the demo source.

Both modes start from an empty KPI_HOME and a fresh Dagster instance, and build the weekly
assets except delivery (report files and e-mail), as ``kpi-pipeline backfill`` does. Each is
measured on two instances (``--instance`` picks one): SQLite storage in a tmp DAGSTER_HOME
holding the repo's dagster.yaml (as under ``dagster dev``, where runs show in the UI), and the
in-memory one the CLI uses without DAGSTER_HOME:

* one run:  ``ingest_days`` over every day of the 104 weeks, then ``run_weeks(first, last)``
  (single-run backfill policy: one run per job for the whole range);
* per week: for each week in order, ``ingest_days(week)`` then ``run_weeks(w, w)``, as the
  schedules would have done it. 104 of these take longer than this bench's budget on two
  shared cores, so by default the first ``--single-weeks`` (20; 10 on the in-memory instance)
  are timed and the total is extrapolated (mean per week x 104); the JSON says so.
  ``--single-weeks 104`` measures all (15+ minutes).

ratio = per-week total / one-run total (how many times longer week-by-week takes), in wall
time and in this process's CPU time (all threads; steadier than wall time on a shared machine).

Run: ``.venv/bin/python bench/backfill.py`` (3-5 minutes). Writes ``bench/results/backfill.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("KPI_LOG_LEVEL", "ERROR")  # read by kpi_pipeline.orchestration.runner at import

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from machine import machine  # noqa: E402

LAST_WEEK = date(2026, 11, 16)  # 2026-W47, the last complete week on 2026-11-25
WEEKS = 104


class Pipeline:
    """Definitions and a Dagster instance over a fresh KPI_HOME under ``tmp``."""

    def __init__(self, tmp: Path, name: str, instance_kind: str) -> None:
        from dagster import DagsterInstance

        from kpi_pipeline.config.settings import Settings
        from kpi_pipeline.definitions import build_definitions

        self.home = tmp / name / "kpi_home"
        self.home.mkdir(parents=True)
        self.defs = build_definitions(Settings.from_env({"KPI_HOME": str(self.home)}))
        if instance_kind == "sqlite":
            dagster_home = tmp / name / "dagster_home"
            dagster_home.mkdir()
            shutil.copy(ROOT / "kpi_pipeline" / "dagster.yaml", dagster_home / "dagster.yaml")
            self.instance = DagsterInstance.from_config(str(dagster_home))
        else:
            self.instance = DagsterInstance.ephemeral()
        self.selection = tables_selection(self.defs)

    def ingest(self, first: date, last: date) -> tuple[float, float]:
        """Wall and CPU seconds of one ``ingest_days`` run."""
        from kpi_pipeline.orchestration.runner import ingest_days

        wall, cpu = time.perf_counter(), time.process_time()
        ingest_days(self.defs, self.instance, first, last)
        return time.perf_counter() - wall, time.process_time() - cpu

    def weeks(self, first: date, last: date) -> tuple[float, float]:
        """Wall and CPU seconds of one ``run_weeks`` run."""
        from kpi_pipeline.orchestration.runner import run_weeks

        wall, cpu = time.perf_counter(), time.process_time()
        run_weeks(self.defs, self.instance, first, last, selection=self.selection)
        return time.perf_counter() - wall, time.process_time() - cpu

    def runs(self) -> int:
        return len(self.instance.get_runs())

    def events(self) -> int:
        """Event-log records of all runs (per-partition planned/materialization events included)."""
        return sum(len(self.instance.all_logs(run.run_id)) for run in self.instance.get_runs())

    def close(self) -> None:
        self.instance.dispose()


def tables_selection(defs) -> list:
    """Every asset of the weekly job except delivery: what a backfill rebuilds."""
    job = defs.resolve_job_def("weekly_pipeline")
    graph = defs.resolve_asset_graph()
    return [key for key in job.asset_layer.executable_asset_keys
            if graph.get(key).group_name != "delivery"]


def one_run(tmp: Path, first: date, last: date, instance_kind: str) -> dict:
    """``first`` and ``last`` are the Mondays of the first and last week."""
    pipe = Pipeline(tmp, "one_run", instance_kind)
    try:
        ingest, ingest_cpu = pipe.ingest(first, last + timedelta(days=6))
        weekly, weekly_cpu = pipe.weeks(first, last)
        return {"seconds": round(ingest + weekly, 2), "ingest_seconds": round(ingest, 2),
                "weekly_seconds": round(weekly, 2), "cpu_seconds": round(ingest_cpu + weekly_cpu, 2),
                "dagster_runs": pipe.runs(), "dagster_events": pipe.events()}
    finally:
        pipe.close()


def per_week(tmp: Path, weeks: list[date], measured: int, instance_kind: str) -> dict:
    pipe = Pipeline(tmp, "per_week", instance_kind)
    per_week_seconds, per_week_cpu, ingest_total, weekly_total = [], [], 0.0, 0.0
    try:
        for i, week in enumerate(weeks[:measured], start=1):
            ingest, ingest_cpu = pipe.ingest(week, week + timedelta(days=6))
            weekly, weekly_cpu = pipe.weeks(week, week)
            ingest_total += ingest
            weekly_total += weekly
            per_week_seconds.append(ingest + weekly)
            per_week_cpu.append(ingest_cpu + weekly_cpu)
            if i % 5 == 0 or i == measured:
                print(f"  per week {i:3d}/{measured}: {ingest + weekly:5.2f}s", flush=True)
        runs = pipe.runs()
    finally:
        pipe.close()
    measured_seconds = sum(per_week_seconds)
    mean = statistics.mean(per_week_seconds)
    extrapolated = measured < len(weeks)
    total = measured_seconds if not extrapolated else mean * len(weeks)
    cpu_total = sum(per_week_cpu) * len(weeks) / measured
    head, tail = per_week_seconds[:5], per_week_seconds[-5:]
    return {
        "weeks_measured": measured,
        "extrapolated": extrapolated,
        "extrapolation": (f"measured the first {measured} of {len(weeks)} weeks in order; total = "
                          f"mean per week x {len(weeks)}" if extrapolated else None),
        "seconds": round(total, 2),
        "measured_seconds": round(measured_seconds, 2),
        "cpu_seconds": round(cpu_total, 2),
        "mean_seconds_per_week": round(mean, 3),
        "median_seconds_per_week": round(statistics.median(per_week_seconds), 3),
        "mean_ingest_seconds_per_week": round(ingest_total / measured, 3),
        "mean_weekly_run_seconds_per_week": round(weekly_total / measured, 3),
        "mean_first_5_weeks": round(statistics.mean(head), 3),
        "mean_last_5_weeks": round(statistics.mean(tail), 3),
        "dagster_runs_measured": runs,
        "dagster_runs_for_all_weeks": 2 * len(weeks),
    }


def warm_up(tmp: Path, instance_kind: str) -> None:
    """Imports, first DuckDB file and first Dagster run out of the way for both modes."""
    pipe = Pipeline(tmp, "warm_up", instance_kind)
    try:
        pipe.ingest(LAST_WEEK, LAST_WEEK + timedelta(days=6))
        pipe.weeks(LAST_WEEK, LAST_WEEK)
    finally:
        pipe.close()


def measure(tmp: Path, kind: str, weeks: list[date], measured: int) -> dict:
    warm_up(tmp / kind, kind)
    single = one_run(tmp / kind, weeks[0], weeks[-1], kind)
    print(f"  {kind}: one run {single['seconds']:.1f}s")
    weekly = per_week(tmp / kind, weeks, measured, kind)
    return {
        "one_run": single,
        "per_week": weekly,
        "ratio_per_week_over_one_run": round(weekly["seconds"] / single["seconds"], 2),
        "cpu_ratio_per_week_over_one_run": round(weekly["cpu_seconds"] / single["cpu_seconds"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weeks", type=int, default=WEEKS)
    parser.add_argument("--single-weeks", type=int, default=20,
                        help="weeks of the per-week mode to time (the rest is extrapolated); "
                             "half as many on the in-memory instance")
    parser.add_argument("--instance", choices=["sqlite", "ephemeral", "both"], default="both")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "backfill.json")
    args = parser.parse_args()

    first = LAST_WEEK - timedelta(weeks=args.weeks - 1)
    weeks = [first + timedelta(weeks=i) for i in range(args.weeks)]
    measured = max(1, min(args.single_weeks, args.weeks))
    kinds = ["sqlite", "ephemeral"] if args.instance == "both" else [args.instance]
    info = machine()
    print(f"backfill bench: {args.weeks} weeks {first}..{LAST_WEEK + timedelta(days=6)}, "
          f"{' and '.join(kinds)} instance, load {info['load_average_at_start']}")
    with tempfile.TemporaryDirectory(prefix="bench_backfill_") as tmp:
        # the in-memory instance is the secondary figure: half the sample keeps the bench short
        results = {kind: measure(Path(tmp), kind, weeks,
                                 measured if kind == kinds[0] else max(5, measured // 2))
                   for kind in kinds}

    report = {
        "bench": "backfill",
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "what": ("demo source, weekly assets except delivery; one run = ingest_days over all days "
                 "+ run_weeks(first, last); per week = ingest_days(week) + run_weeks(w, w) per week"),
        "machine": info,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "weeks": args.weeks,
        "range": [first.isoformat(), (LAST_WEEK + timedelta(days=6)).isoformat()],
        "instances": {"sqlite": "SQLite storage in a tmp DAGSTER_HOME with the repo's dagster.yaml "
                                "(as under dagster dev)",
                      "ephemeral": "in-memory (the CLI without DAGSTER_HOME)"},
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print()
    print(f"{'instance':<10}{'mode':<22}{'runs':>6}{'events':>8}{'wall s':>9}{'cpu s':>8}")
    for kind, r in results.items():
        single, weekly = r["one_run"], r["per_week"]
        note = (f"  (extrapolated from {weekly['weeks_measured']} weeks)"
                if weekly["extrapolated"] else "")
        print(f"{kind:<10}{'one run':<22}{single['dagster_runs']:>6}{single['dagster_events']:>8}"
              f"{single['seconds']:>9.1f}{single['cpu_seconds']:>8.1f}")
        print(f"{kind:<10}{'one run per week':<22}{weekly['dagster_runs_for_all_weeks']:>6}{'':>8}"
              f"{weekly['seconds']:>9.1f}{weekly['cpu_seconds']:>8.1f}{note}")
        print(f"{kind:<10}ratio per-week / one-run: {r['ratio_per_week_over_one_run']:.1f}x wall, "
              f"{r['cpu_ratio_per_week_over_one_run']:.1f}x cpu  (a week: ingest "
              f"{weekly['mean_ingest_seconds_per_week']:.2f}s + weekly run "
              f"{weekly['mean_weekly_run_seconds_per_week']:.2f}s)")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
