"""Bench: what Dagster costs per weekly run, against running the same mart SQL directly.

On a warehouse already holding two years of demo data (ingested and built once, as after
``kpi-pipeline demo``), the three SQL marts (metrics_daily, metrics_weekly, aarrr_weekly) are
rebuilt for one ISO week (2026-W47) in three ways, interleaved, ``--repeat`` times each:

* sql:         one DuckDB connection, ``build_model`` for the three models, close: the floor;
* asset code:  what the three asset bodies do, without Dagster: per asset the warehouse
               resource's connection (connect, ensure_schema, metric catalogue), ``build_model``
               and the UI metadata (row counts, schema, preview);
* (for the split: ``resource_connections_only``, the three resource connections alone);
* dagster:     ``run_weeks(w, w, selection=<the three assets>)``, a real in-process run, on an
               in-memory instance (the CLI without DAGSTER_HOME) and on a SQLite instance in a
               tmp DAGSTER_HOME with the repo's dagster.yaml (as under ``dagster dev``); each
               without the asset checks (orchestration alone: the same definitions minus
               checks) and ``_with_checks`` (what a real run does: Dagster also runs every
               check that targets the three marts).

Wall time on two shared cores is noisy, so the ratios use each mode's best (min) wall time;
medians and the process CPU time (median, all threads) are in the JSON too.
ratio = dagster min / sql min. The split says where the difference goes: our per-asset
setup (asset code - sql) and Dagster itself (dagster - asset code).

Run: ``.venv/bin/python bench/dagster_overhead.py`` (about 2 minutes).
Writes ``bench/results/dagster_overhead.json``.
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
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("KPI_LOG_LEVEL", "ERROR")  # read by kpi_pipeline.orchestration.runner at import

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from machine import machine  # noqa: E402

WEEK = date(2026, 11, 16)  # 2026-W47, the last complete week on 2026-11-25
HISTORY_WEEKS = 104
SITE_ID = "demo"  # the demo source's site
MART_KEYS = (("mart", "metrics_daily"), ("mart", "metrics_weekly"), ("mart", "aarrr_weekly"))


def build_history(home: Path, weeks: int) -> None:
    """Ingest and build ``weeks`` weeks up to WEEK (one run each), delivery left out."""
    from dagster import DagsterInstance

    from kpi_pipeline.config.settings import Settings
    from kpi_pipeline.definitions import build_definitions
    from kpi_pipeline.orchestration.runner import ingest_days, run_weeks

    defs = build_definitions(Settings.from_env({"KPI_HOME": str(home)}))
    job = defs.resolve_job_def("weekly_pipeline")
    graph = defs.resolve_asset_graph()
    selection = [key for key in job.asset_layer.executable_asset_keys
                 if graph.get(key).group_name != "delivery"]
    first = WEEK - timedelta(weeks=weeks - 1)
    with DagsterInstance.ephemeral() as instance:
        ingest_days(defs, instance, first, WEEK + timedelta(days=6))
        run_weeks(defs, instance, first, WEEK, selection=selection)


def sql_only(home: Path) -> Callable[[], None]:
    from kpi_pipeline.marts.build import AARRR_WEEKLY, METRICS_DAILY, METRICS_WEEKLY, build_model
    from kpi_pipeline.orchestration.resources import WarehouseResource
    from kpi_pipeline.warehouse import connect

    resource = WarehouseResource(kpi_home=str(home))

    def run() -> None:
        con = connect(resource.path)
        try:
            for model in (METRICS_DAILY, METRICS_WEEKLY, AARRR_WEEKLY):
                build_model(con, model, site_id=SITE_ID, date_from=WEEK,
                            date_to=WEEK + timedelta(days=6),
                            provisional_from=resource.provisional_from())
        finally:
            con.close()

    return run


def asset_code(home: Path) -> Callable[[], None]:
    from kpi_pipeline.marts.build import AARRR_WEEKLY, METRICS_DAILY, METRICS_WEEKLY, build_model
    from kpi_pipeline.orchestration.resources import WarehouseResource
    from kpi_pipeline.warehouse.metadata import table_metadata

    resource = WarehouseResource(kpi_home=str(home))
    date_to = WEEK + timedelta(days=6)

    def run() -> None:
        for model in (METRICS_DAILY, METRICS_WEEKLY, AARRR_WEEKLY):
            with resource.connection() as con:
                build_model(con, model, site_id=SITE_ID, date_from=WEEK, date_to=date_to,
                            provisional_from=resource.provisional_from())
                key = model.key_column
                table_metadata(con, model.qualified, where=f"{key} BETWEEN ? AND ?",
                               params=[WEEK, date_to], sql_file=model.sql_path,
                               order_by=f"{key} DESC")

    return run


def connections_only(home: Path) -> Callable[[], None]:
    """Part of asset code: the warehouse resource's per-asset connection, three times, empty."""
    from kpi_pipeline.orchestration.resources import WarehouseResource

    resource = WarehouseResource(kpi_home=str(home))

    def run() -> None:
        for _ in MART_KEYS:
            with resource.connection():
                pass

    return run


class DagsterMarts:
    """``run_weeks(WEEK, WEEK)`` restricted to the three SQL marts, on one instance.

    With ``checks`` (what a real run does) Dagster also runs the asset checks that target the
    three marts; without, the same definitions minus the checks: orchestration alone.
    """

    def __init__(self, home: Path, kind: str, tmp: Path, *, checks: bool) -> None:
        from dagster import AssetKey, DagsterInstance, Definitions

        from kpi_pipeline.config.settings import Settings
        from kpi_pipeline.definitions import build_definitions

        defs = build_definitions(Settings.from_env({"KPI_HOME": str(home)}))
        graph = defs.resolve_asset_graph()
        self.selection = [AssetKey(list(key)) for key in MART_KEYS]
        self.checks = sorted(str(key.name) for key in graph.asset_check_keys
                             if key.asset_key in self.selection) if checks else []
        self.defs = defs if checks else Definitions(assets=defs.assets, jobs=defs.jobs,
                                                    resources=defs.resources)
        if kind == "sqlite":
            dagster_home = tmp / f"dagster_home_{'checks' if checks else 'no_checks'}"
            dagster_home.mkdir()
            shutil.copy(ROOT / "kpi_pipeline" / "dagster.yaml", dagster_home / "dagster.yaml")
            self.instance = DagsterInstance.from_config(str(dagster_home))
        else:
            self.instance = DagsterInstance.ephemeral()

    def __call__(self) -> None:
        from kpi_pipeline.orchestration.runner import run_weeks

        run_weeks(self.defs, self.instance, WEEK, WEEK, selection=self.selection)

    def close(self) -> None:
        self.instance.dispose()


def summary(wall: list[float], cpu: list[float]) -> dict:
    return {"min_seconds": round(min(wall), 4),
            "median_seconds": round(statistics.median(wall), 4),
            "cpu_median_seconds": round(statistics.median(cpu), 4),
            "samples": [round(s, 4) for s in wall]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--history-weeks", type=int, default=HISTORY_WEEKS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "dagster_overhead.json")
    args = parser.parse_args()

    info = machine()
    print(f"dagster overhead bench: 3 SQL marts for {WEEK} on {args.history_weeks} weeks of demo "
          f"data, {args.repeat} repeats, load {info['load_average_at_start']}")
    with tempfile.TemporaryDirectory(prefix="bench_overhead_") as tmp_dir:
        tmp = Path(tmp_dir)
        home = tmp / "kpi_home"
        started = time.perf_counter()
        build_history(home, args.history_weeks)
        print(f"  history built in {time.perf_counter() - started:.1f}s")
        dagster = {
            "dagster_in_memory_instance": DagsterMarts(home, "ephemeral", tmp, checks=False),
            "dagster_sqlite_instance": DagsterMarts(home, "sqlite", tmp, checks=False),
            "dagster_in_memory_instance_with_checks": DagsterMarts(home, "ephemeral", tmp, checks=True),
            "dagster_sqlite_instance_with_checks": DagsterMarts(home, "sqlite", tmp, checks=True),
        }
        checks = dagster["dagster_sqlite_instance_with_checks"].checks
        modes = {"sql": sql_only(home), "asset_code": asset_code(home),
                 "resource_connections_only": connections_only(home), **dagster}
        try:
            for run in modes.values():  # warm-up: imports, caches, first run of each instance
                run()
            wall: dict[str, list[float]] = {name: [] for name in modes}
            cpu: dict[str, list[float]] = {name: [] for name in modes}
            for _ in range(args.repeat):
                for name, run in modes.items():
                    w, c = time.perf_counter(), time.process_time()
                    run()
                    wall[name].append(time.perf_counter() - w)
                    cpu[name].append(time.process_time() - c)
        finally:
            for run in dagster.values():
                run.close()

    results = {name: summary(wall[name], cpu[name]) for name in modes}
    sql = results["sql"]["min_seconds"]
    code = results["asset_code"]["min_seconds"]
    ratios = {}
    for kind in dagster:
        dag = results[kind]["min_seconds"]
        ratios[kind] = {
            "ratio_over_sql": round(dag / sql, 2),
            "ratio_over_asset_code": round(dag / code, 2),
            "cpu_ratio_over_sql": round(results[kind]["cpu_median_seconds"]
                                        / results["sql"]["cpu_median_seconds"], 2),
            "overhead_seconds": round(dag - sql, 3),
            "of_which_asset_setup_seconds": round(code - sql, 3),
        }
        if kind.endswith("_with_checks"):
            alone = results[kind.removesuffix("_with_checks")]["min_seconds"]
            ratios[kind]["of_which_dagster_seconds"] = round(alone - code, 3)
            ratios[kind]["of_which_asset_checks_seconds"] = round(dag - alone, 3)
        else:
            ratios[kind]["of_which_dagster_seconds"] = round(dag - code, 3)
    report = {
        "bench": "dagster_overhead",
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "what": ("rebuild mart.metrics_daily, metrics_weekly, aarrr_weekly for one ISO week: "
                 "build_model directly vs the asset bodies without Dagster vs run_weeks(w, w) "
                 "restricted to the three assets; interleaved repeats; ratios from min wall time"),
        "machine": info,
        "week": WEEK.isoformat(),
        "history_weeks": args.history_weeks,
        "repeat": args.repeat,
        "asset_checks_on_the_three_marts": checks,
        "results": results,
        "ratios": ratios,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print()
    print(f"{'mode':<40}{'min s':>8}{'median s':>10}{'cpu s':>8}{'x sql':>8}")
    for name, r in results.items():
        print(f"{name:<40}{r['min_seconds']:>8.3f}{r['median_seconds']:>10.3f}"
              f"{r['cpu_median_seconds']:>8.3f}{r['min_seconds'] / sql:>8.1f}")
    for kind, r in ratios.items():
        checks_part = (f" + {len(checks)} asset checks {r['of_which_asset_checks_seconds']:.2f}s"
                       if "of_which_asset_checks_seconds" in r else "")
        print(f"{kind}: +{r['overhead_seconds']:.2f}s per week = asset setup "
              f"{r['of_which_asset_setup_seconds']:.2f}s + Dagster "
              f"{r['of_which_dagster_seconds']:.2f}s{checks_part}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
