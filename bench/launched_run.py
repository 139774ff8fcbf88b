"""Bench: one week launched as the UI/daemon launches it vs the CLI's in-process run.

Both are whole commands in fresh processes, on the same KPI_HOME (demo source, the week's raw
rows already loaded by a first ``kpi-pipeline run``) and the same SQLite Dagster instance (a tmp
DAGSTER_HOME holding the shipped dagster.yaml, as under ``dagster dev``):

* cli:      ``kpi-pipeline run --week <W>``: ingest the week's days, then every weekly asset
            (marts, KPI, checks, analyst copy, report HTML+PDF) in one in-process run;
* launched: ``dagster job execute -m kpi_pipeline.definitions -j weekly_pipeline --tags
            '{"dagster/partition": "<Monday>"}'``: the weekly job as a launched run, with
            the job's own executor (what a schedule tick or the UI's "Materialize" starts). It
            does not ingest, so it does a little less than the CLI.

Interleaved, ``--repeat`` times each. ratio = launched median / cli median (goal <= 1.5).
``--code DIR`` runs another checkout's package instead (e.g. the commit before a change, from
``git archive``) for a before/after in the same run; the JSON records it.

Run: ``.venv/bin/python bench/launched_run.py`` (1-3 minutes). Writes
``bench/results/launched_run.json`` (``launched_run_<label>.json`` with ``--label``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from machine import machine  # noqa: E402

WEEK = "2026-W47"
MONDAY = "2026-11-16"
BIN = Path(sys.executable).parent


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> dict:
    load = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return {"seconds": round(seconds, 2), "load_1min": round(load, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--code", type=Path, help="run this checkout's kpi_pipeline instead")
    parser.add_argument("--label", default="", help="suffix of the results file")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench_launched_"))
    env = {**os.environ, "KPI_HOME": str(tmp / "kpi_home"), "DAGSTER_HOME": str(tmp / "dagster"),
           "KPI_LOG_LEVEL": "ERROR"}
    cwd = args.code.resolve() if args.code else ROOT
    if args.code:
        env["PYTHONPATH"] = str(cwd)
    (tmp / "dagster").mkdir()
    yaml = cwd / "kpi_pipeline" / "dagster.yaml"
    shutil.copy(yaml if yaml.exists() else cwd / "dagster.yaml", tmp / "dagster" / "dagster.yaml")
    cli = [str(BIN / "python"), "-c", "from kpi_pipeline.cli import main; main()",
           "run", "--week", WEEK]
    launched = [str(BIN / "dagster"), "job", "execute", "-m", "kpi_pipeline.definitions",
                "-j", "weekly_pipeline", "--tags", json.dumps({"dagster/partition": MONDAY})]
    try:
        prepare = timed(cli, env, cwd)  # loads the week's raw rows; not counted
        samples: dict[str, list[dict]] = {"cli": [], "launched": []}
        for _ in range(args.repeat):
            samples["cli"].append(timed(cli, env, cwd))
            samples["launched"].append(timed(launched, env, cwd))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    medians = {k: statistics.median(s["seconds"] for s in v) for k, v in samples.items()}
    result = {
        "bench": "launched_run",
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "what": f"{WEEK}: `kpi-pipeline run` vs `dagster job execute -j weekly_pipeline`, "
                "SQLite instance, interleaved; seconds per whole command",
        "code": str(args.code) if args.code else "this checkout",
        "machine": machine(),
        "prepare_seconds": prepare["seconds"],
        "samples": samples,
        "median_seconds": {k: round(v, 2) for k, v in medians.items()},
        "ratio_launched_over_cli": round(medians["launched"] / medians["cli"], 2),
    }
    name = f"launched_run{'_' + args.label if args.label else ''}.json"
    (ROOT / "bench" / "results" / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("code", "median_seconds", "ratio_launched_over_cli")}))
    print("load per sample:", {k: [s["load_1min"] for s in v] for k, v in samples.items()})


if __name__ == "__main__":
    main()
