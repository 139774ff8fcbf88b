"""Bench: Dagster's event storage on the CLI's SQLite instance, stock vs before vs this checkout.

A job shaped like the demo's range run, with no work in its steps, so what is timed is Dagster
recording it: 10 weekly-partitioned assets (single-run backfill, the ``warehouse`` pool, as the
marts) over 104 weeks, plus two check steps with 6 partitioned checks each. Each sample is a
fresh process with an empty instance directory that

1. creates the instance (``instance``: fresh SQLite files, as the demo's first command does),
2. runs the job over the 104 weeks (``range_run``: ~1,100 events, most handed over in batches),
3. runs it for one week (``week_run``: ~100 events, nearly all stored one by one),
4. closes the instance (``close``: where this checkout checkpoints and syncs its files),

on one of three instances, interleaved, ``--repeat`` times:

* ``stock``: the repo's ``dagster.yaml`` as ``dagster dev`` opens it (``SqliteEventLogStorage``);
* ``before``: ``runner.instance_for_cli`` of ``--code DIR`` (e.g. main, via ``git archive``);
* ``after``: ``runner.instance_for_cli`` of this checkout.

events/s = events stored by the two runs / their seconds. Every sample records the 1-minute load
average; CPU seconds of each child are recorded beside wall time.

Run: ``.venv/bin/python bench/event_log.py --code DIR [--repeat 5]`` (2-5 minutes). Writes
``bench/results/event_log.json`` (``event_log_<label>.json`` with ``--label``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from machine import machine  # noqa: E402

WEEKS = 104
ASSETS = 10
CHECKS_PER_STEP = 6
FIRST_WEEK = date(2024, 1, 1)  # a Monday


def _job():
    """The demo's range run without its work: chained weekly assets and two check steps."""
    import warnings

    from dagster import (
        AssetCheckResult,
        AssetCheckSpec,
        AssetKey,
        BackfillPolicy,
        Definitions,
        WeeklyPartitionsDefinition,
        asset,
        define_asset_job,
        in_process_executor,
        multi_asset_check,
    )

    warnings.filterwarnings("ignore")
    weeks = WeeklyPartitionsDefinition(start_date=FIRST_WEEK.isoformat(), day_offset=1)
    assets, previous = [], None
    for i in range(ASSETS):
        @asset(name=f"a{i}", key_prefix="bench", partitions_def=weeks, pool="warehouse",
               backfill_policy=BackfillPolicy.single_run(), deps=[previous] if previous else [])
        def _asset() -> None:
            return None

        assets.append(_asset)
        previous = _asset.key

    def checks(target: AssetKey):
        specs = [AssetCheckSpec(f"c{j}", asset=target, partitions_def=weeks)
                 for j in range(CHECKS_PER_STEP)]

        @multi_asset_check(name=f"{target.path[-1]}_checks", specs=specs, pool="warehouse")
        def _checks():
            for spec in specs:
                yield AssetCheckResult(asset_key=target, check_name=spec.name, passed=True)

        return _checks

    defs = Definitions(assets=assets, asset_checks=[checks(assets[3].key), checks(assets[-1].key)],
                       jobs=[define_asset_job("bench")],
                       executor=in_process_executor)
    return defs.resolve_job_def("bench")


def child(variant: str, home: Path) -> None:
    """One sample, in its own process: print the timings as JSON."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    import kpi_pipeline
    from kpi_pipeline.config.settings import Settings, apply_dagster_env_defaults
    from kpi_pipeline.orchestration.runner import instance_for_cli

    job = _job()
    last_week = FIRST_WEEK + timedelta(weeks=WEEKS - 1)
    run_config = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    times: dict[str, float] = {}

    start = time.perf_counter()
    if variant == "stock":
        apply_dagster_env_defaults()  # the same event batches; only the storage class differs
        (home / "dagster").mkdir(parents=True)
        shutil.copy(ROOT / "kpi_pipeline" / "dagster.yaml", home / "dagster" / "dagster.yaml")
        instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home / "dagster")))
    else:
        instance = instance_for_cli(Settings.from_env({"KPI_HOME": str(home)}))
    times["instance"] = time.perf_counter() - start

    start = time.perf_counter()
    ranged = job.execute_in_process(run_config=run_config, instance=instance, tags={
        ASSET_PARTITION_RANGE_START_TAG: FIRST_WEEK.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: last_week.isoformat()})
    times["range_run"] = time.perf_counter() - start

    start = time.perf_counter()
    week = job.execute_in_process(run_config=run_config, instance=instance,
                                  partition_key=last_week.isoformat())
    times["week_run"] = time.perf_counter() - start

    events = {name: len(instance.all_logs(result.run_id))
              for name, result in (("range_run", ranged), ("week_run", week))}
    storage = type(instance.event_log_storage).__name__
    start = time.perf_counter()
    instance.dispose()
    times["close"] = time.perf_counter() - start
    print(json.dumps({"times": times, "events": events, "storage": storage,
                      "package": str(Path(kpi_pipeline.__file__).parent)}))


def _sample(variant: str, code: Path, home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPI_", "DAGSTER_"))}
    env["PYTHONPATH"] = str(code)
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", variant,
                           str(home)], env=env, cwd=home.parent, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{variant} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    runs = result["times"]["range_run"] + result["times"]["week_run"]
    return {
        **{k: round(v, 3) for k, v in result["times"].items()},
        "events": result["events"],
        "events_per_second": round(sum(result["events"].values()) / runs, 1),
        "process_seconds": round(seconds, 2),
        "cpu_seconds": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 2),
        "load_1min": round(load, 2),
        "storage": result["storage"],
        "package": result["package"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--code", type=Path, required=False,
                        help="the checkout whose instance_for_cli is 'before' (default: this one)")
    parser.add_argument("--label", default="")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return

    code = {"stock": ROOT, "before": (args.code or ROOT).resolve(), "after": ROOT}
    tmp = Path(tempfile.mkdtemp(prefix="bench_event_log_"))
    samples: dict[str, list[dict]] = {variant: [] for variant in code}
    try:
        for i in range(args.repeat):
            for variant, package in code.items():
                home = tmp / f"{variant}{i}"
                samples[variant].append(_sample(variant, package, home))
                shutil.rmtree(home, ignore_errors=True)
                print(variant, samples[variant][-1], flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    keys = ("instance", "range_run", "week_run", "close", "events_per_second", "cpu_seconds")
    medians = {v: {k: round(statistics.median(s[k] for s in samples[v]), 3) for k in keys}
               for v in samples}
    result = {
        "bench": "event_log",
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "what": f"a no-work job shaped like the demo's range run ({ASSETS} weekly assets, "
                f"{WEEKS} weeks, 2 check steps x {CHECKS_PER_STEP} checks), then one week; "
                "instance creation, each run and closing timed in a fresh process per sample",
        "code_before": str(args.code) if args.code else "this checkout",
        "machine": machine(),
        "samples": samples,
        "medians": medians,
        "after_over_before": {k: round(medians["after"][k] / medians["before"][k], 2)
                              for k in keys if medians["before"][k]},
        "after_over_stock": {k: round(medians["after"][k] / medians["stock"][k], 2)
                             for k in keys if medians["stock"][k]},
    }
    name = f"event_log{'_' + args.label if args.label else ''}.json"
    (ROOT / "bench" / "results" / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("medians", "after_over_before", "after_over_stock")},
                     indent=1))


if __name__ == "__main__":
    main()
