"""Bench: ``kpi-pipeline run --week`` over many demo sites, on the DuckDB file and on DuckLake;
and site runs (``run --site``) one at a time vs four at once.

Each sample is a whole console-script process on a fresh ``KPI_HOME`` (imports, the Dagster
instance, every run), as a cron job or an operator starts it:

* **whole runs**: one ``run --week W`` over ``--sites`` demo sites (default 1 5 10 25 100),
  on the file and on a DuckLake (a real local PostgreSQL catalog from tests/helpers/postgres.py,
  a local data folder);
* **site runs**: ``--site-runs`` demo sites (default 8), one ``run --week W --site sN`` per
  site, one at a time and four at once, on the file and on the lake.

Per sample: wall seconds; CPU seconds of the process and every child it waited for (the report
and PDF workers included); peak RSS of the largest process (``ru_maxrss``, what
``/usr/bin/time -v`` prints) and the peak of the whole process tree's summed proportional set
size (PSS, sampled every 0.2 s: shared pages counted once); the 1-minute load at the start; and
the seconds of every Dagster step (from the instance's event log), grouped as ingest, marts and
KPI maths, report, e-mail. Ratios: each whole run over the 5-site run of the same warehouse.

Run: ``.venv/bin/python bench/many_sites.py`` (~20–40 min on two shared cores; ``--help``).
``--code DIR`` runs another checkout's package (a before/after in one session) and ``--label``
names the result: ``bench/results/many_sites[_LABEL].json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the PostgreSQL helper
sys.path.insert(0, str(ROOT / "bench"))

WEEK = "2026-W47"
KPI_PIPELINE = Path(sys.executable).parent / "kpi-pipeline"
STAGES = {"ingest": ("raw__", "ga4_daily_and_breakdowns", "mart__metric_catalog"),
          "report": ("delivery__weekly_report",), "email": ("delivery__report_email",)}


def _sites_file(folder: Path, count: int) -> Path:
    path = folder / f"sites{count}.yaml"
    path.write_text("sites:\n" + "".join(f"  - {{id: s{i}, source: demo}}\n"
                                         for i in range(1, count + 1)), encoding="utf-8")
    return path


def _pss_of_tree(root: int) -> int:
    """Summed PSS (bytes) of ``root`` and its descendants now."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) * 1024 for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            continue
    return total


def command(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Run ``kpi-pipeline ARGS``; wall, CPU (with waited-for children) and memory."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    process = subprocess.Popen([str(KPI_PIPELINE), *args], env=env, cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], _pss_of_tree(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    stderr = process.stderr.read() if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {process.returncode}:\n{stderr[-3000:]}")
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "max_rss_mb": round(usage.ru_maxrss / 1024), "tree_pss_peak_mb": round(peak[0] / 2**20),
            "load_1min": round(load, 2)}


def stage_seconds(home: Path) -> dict[str, float]:
    """Seconds of the home's Dagster steps (every run), by stage."""
    from helpers.step_times import step_spans

    stages = {"ingest": 0.0, "marts_and_kpi": 0.0, "report": 0.0, "email": 0.0}
    for span in step_spans(home / "dagster"):
        stage = next((name for name, prefixes in STAGES.items()
                      if span.step_key.startswith(prefixes)), "marts_and_kpi")
        stages[stage] += span.end - span.start
    return {name: round(value, 2) for name, value in stages.items()}


def _new_lake(pg, name: str, folder: Path) -> dict[str, str]:
    pg.create_database(name)
    return {"KPI_WAREHOUSE": f"ducklake:postgres:dbname={name} host={pg.host} port={pg.port} "
                             f"user={pg.user} password={pg.password}",
            "KPI_LAKE_DATA_PATH": str(folder / name)}


def whole_run(base: dict[str, str], folder: Path, name: str, sites: int,
              warehouse: dict[str, str]) -> dict[str, object]:
    home = folder / name
    env = {**base, **warehouse, "KPI_HOME": str(home), "KPI_SITES": str(_sites_file(folder, sites))}
    row: dict[str, object] = {"sites": sites, **command(["run", "--week", WEEK], env, folder)}
    row["stages_s"] = stage_seconds(home)
    return row


def site_runs(base: dict[str, str], folder: Path, name: str, sites: int, at_once: int,
              warehouse: dict[str, str]) -> dict[str, object]:
    """``sites`` site runs on one fresh home, ``at_once`` at a time."""
    home = folder / name
    env = {**base, **warehouse, "KPI_HOME": str(home), "KPI_SITES": str(_sites_file(folder, sites))}
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        rows = list(pool.map(lambda n: command(["run", "--week", WEEK, "--site", f"s{n}"], env, folder),
                             range(1, sites + 1)))
    return {"sites": sites, "at_once": at_once, "wall_s": round(time.perf_counter() - started, 2),
            "cpu_s": round(sum(r["cpu_s"] for r in rows), 2), "load_1min": round(load, 2),
            "per_run_wall_s": [r["wall_s"] for r in rows], "stages_s": stage_seconds(home)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, nargs="+", default=[1, 5, 10, 25, 100])
    parser.add_argument("--site-runs", type=int, default=8, help="sites run one by one (0: skip)")
    parser.add_argument("--warehouses", nargs="+", default=["file", "ducklake"])
    parser.add_argument("--code", type=Path, help="run this checkout's kpi_pipeline")
    parser.add_argument("--label", help="write results/many_sites_LABEL.json")
    args = parser.parse_args()
    from helpers.postgres import running_postgres
    from machine import machine

    info = machine()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KPI_", "DAGSTER_"))}
    if args.code:
        base["PYTHONPATH"] = str(args.code.resolve())
    whole: list[dict[str, object]] = []
    runs: list[dict[str, object]] = []
    with running_postgres("bench") as pg, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        command(["targets", "check"], {**base, "KPI_HOME": str(folder / "warm")}, folder)  # disk cache
        for backend in args.warehouses:
            for sites in args.sites:
                name = f"{backend}{sites}"
                lake = _new_lake(pg, name, folder) if backend == "ducklake" else {}
                row = {"warehouse": backend, **whole_run(base, folder, name, sites, lake)}
                whole.append(row)
                print(json.dumps(row), flush=True)
            if args.site_runs:
                for at_once in (1, 4):
                    name = f"{backend}_site_runs_{at_once}"
                    lake = _new_lake(pg, name, folder) if backend == "ducklake" else {}
                    row = {"warehouse": backend,
                           **site_runs(base, folder, name, args.site_runs, at_once, lake)}
                    runs.append(row)
                    print(json.dumps(row), flush=True)
    for row in whole:
        five = next((r for r in whole if r["warehouse"] == row["warehouse"] and r["sites"] == 5), None)
        if five:
            row["wall_over_5_sites"] = round(row["wall_s"] / five["wall_s"], 2)
            row["cpu_over_5_sites"] = round(row["cpu_s"] / five["cpu_s"], 2)
            row["tree_pss_over_5_sites"] = round(row["tree_pss_peak_mb"] / five["tree_pss_peak_mb"], 2)
    result = {"bench": "many_sites", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": info, "code": str(args.code) if args.code else "this checkout",
              "week": WEEK, "whole_runs": whole, "site_runs": runs,
              "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}
    out = ROOT / "bench" / "results" / (f"many_sites_{args.label}.json" if args.label else "many_sites.json")
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
