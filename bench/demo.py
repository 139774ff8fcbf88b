"""Bench: `kpi-pipeline demo` as a user runs it, beside its floor (the same steps, no Dagster).

* demo:  the console script in a fresh process with an empty KPI_HOME (its Dagster instance
         goes to $KPI_HOME/dagster, SQLite, as the UI reads it): two years of demo data, 104
         weeks of marts, KPI progress, funnel, anomalies, checks, analyst copy, one report;
* floor: the same work called directly in one process, without Dagster runs or events:
         load the demo source's days into DuckDB, the three SQL marts over the range, the KPI
         rows of every week, the analyst copy and one report (HTML + PDF). No asset checks.

Both are timed as whole processes (imports included), interleaved, ``--repeat`` times; with the
children's CPU time (steadier on a shared machine). ratio = demo / floor.
``--code DIR`` runs another checkout's package for the demo (a before/after in the same run).

Run: ``.venv/bin/python bench/demo.py`` (2-5 minutes). Writes ``bench/results/demo.json``
(``demo_<label>.json`` with ``--label``).
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
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from machine import machine  # noqa: E402

YEARS = 2


def floor(home: Path) -> None:
    """The demo's work without Dagster (run in its own process by ``main``)."""
    from kpi_pipeline.calendar import last_complete_week, monday

    today = _today()
    first_day = today - timedelta(days=365 * YEARS + 7)
    floor_work(home, first_day, today - timedelta(days=1), monday(first_day) + timedelta(days=7),
               last_complete_week(today))


def _today() -> date:
    from kpi_pipeline.config.settings import Settings

    return datetime.now(Settings().tz).date()


def floor_work(home: Path, first_day: date, last_day: date, first_week: date, last_week: date) -> None:
    """Load ``first_day..last_day``, build the marts and KPI rows of ``first_week..last_week``,
    publish the analyst copy and render ``last_week``'s report: the steps of a CLI run, called
    directly (also ``bench/weekly_run.py``'s floor)."""
    import pandas as pd

    from kpi_pipeline.calendar import iso_week_label, week_starts_between
    from kpi_pipeline.config.settings import EXAMPLE_TARGETS, Settings
    from kpi_pipeline.delivery.report.load import load_report_data
    from kpi_pipeline.delivery.report.render import render_report, report_dir
    from kpi_pipeline.kpi.anomalies import detect_anomalies
    from kpi_pipeline.kpi.funnel.plan import FUNNEL_COLUMNS, funnel_rows
    from kpi_pipeline.kpi.judgement.progress import progress_frame, progress_rows
    from kpi_pipeline.kpi.metric_history import MetricHistory
    from kpi_pipeline.marts.build import AARRR_WEEKLY, METRICS_DAILY, METRICS_WEEKLY, build_model
    from kpi_pipeline.publish.snapshot import publish_snapshot
    from kpi_pipeline.raw.load import load_crm_days, load_web_days, load_web_weekly_users
    from kpi_pipeline.sources.demo import DemoSource
    from kpi_pipeline.targets import load_targets
    from kpi_pipeline.warehouse import connect, ensure_schema, replace_rows
    from kpi_pipeline.warehouse.catalog_table import write_metric_catalog

    settings = Settings.from_env({"KPI_HOME": str(home)})
    today = datetime.now(settings.tz).date()
    home.mkdir(parents=True, exist_ok=True)
    con = connect(settings.warehouse_path)
    ensure_schema(con)
    write_metric_catalog(con)
    source = DemoSource(site_id="demo")
    load_web_days(con, source, first_day, last_day, lookback_days=0)
    load_web_weekly_users(con, source, week_starts_between(first_week, last_day))
    load_crm_days(con, source.crm_days(first_day, last_day), "demo", first_day, last_day,
                  source="demo")
    mart_to = min(last_week + timedelta(days=6), last_day)
    for model in (METRICS_DAILY, METRICS_WEEKLY, AARRR_WEEKLY):
        build_model(con, model, site_id="demo", date_from=first_week, date_to=mart_to,
                    provisional_from=today - timedelta(days=3))
    targets = load_targets(EXAMPLE_TARGETS)
    daily = con.execute("SELECT * FROM mart.metrics_daily").df()
    weekly = con.execute("SELECT * FROM mart.metrics_weekly").df()
    history = MetricHistory(daily, weekly, "demo")  # once per run, as the assets do
    weeks = week_starts_between(first_week, last_week + timedelta(days=6))
    where = "site_id = ? AND week_start BETWEEN ? AND ?"
    for table, frame in (  # one frame of all the weeks' records per table, as the assets do
        ("mart.kpi_progress",
         progress_frame([r for w in weeks for r in progress_rows(targets, "demo", w, history, today)])),
        ("mart.funnel_plan",
         pd.DataFrame([r for w in weeks for r in funnel_rows(targets, "demo", w, history)],
                      columns=list(FUNNEL_COLUMNS))),
        # every week judged in one pass, the run's weeks kept (as the asset hands them out)
        ("mart.metric_anomalies", _in_weeks(detect_anomalies(weekly), weeks)),
    ):
        replace_rows(con, table, frame, where, ["demo", first_week, last_week + timedelta(days=6)])
    data = load_report_data(con, "demo", last_week, site_label=None, timezone=settings.kpi_timezone)
    con.close()
    publish_snapshot(settings.warehouse_path, home)
    render_report(data, report_dir(settings.reports_dir, iso_week_label(last_week)),
                  formats={"html", "pdf"}, lang="ja")


def _in_weeks(frame, weeks):
    """The rows of ``frame`` whose ``week_start`` is one of ``weeks``."""
    return frame[frame["week_start"].isin(set(weeks))].reset_index(drop=True)


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> dict:
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "load_1min": round(load, 2)}


def command_vs_floor_args(doc: str, what: str,
                          floor_of: Callable[[Path], None]) -> argparse.Namespace | None:
    """The options of a command-vs-floor bench (``--repeat``, ``--code``, ``--label``); in the
    floor's own process (``--floor-only HOME``) runs ``floor_of(HOME)`` and returns None."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--code", type=Path, help=f"run this checkout's kpi_pipeline for the {what}")
    parser.add_argument("--label", default="")
    parser.add_argument("--floor-only", type=Path, help=argparse.SUPPRESS)  # the floor's process
    args = parser.parse_args()
    if args.floor_only:
        floor_of(args.floor_only)
        return None
    return args


def main() -> None:
    args = command_vs_floor_args(__doc__, "demo", floor)
    if args is None:
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench_demo_"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KPI_", "DAGSTER_"))}
    base["KPI_LOG_LEVEL"] = "ERROR"
    code = (args.code or ROOT).resolve()
    samples: dict[str, list[dict]] = {"demo": [], "floor": []}
    try:
        for i in range(args.repeat):
            home = tmp / f"demo{i}"
            env = {**base, "KPI_HOME": str(home), "PYTHONPATH": str(code)}
            samples["demo"].append(timed(
                [sys.executable, "-c", "from kpi_pipeline.cli import main; main()", "demo"],
                env, tmp))
            env = {**base, "PYTHONPATH": str(ROOT)}
            samples["floor"].append(timed(
                [sys.executable, str(Path(__file__).resolve()), "--floor-only",
                 str(tmp / f"floor{i}")], env, tmp))
            shutil.rmtree(home, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_command_vs_floor(
        "demo", "demo", args, samples,
        what="`kpi-pipeline demo` (fresh KPI_HOME, SQLite instance under it) vs the same work "
             "without Dagster; whole processes, interleaved",
    )


def write_command_vs_floor(bench: str, command: str, args: argparse.Namespace,
                           samples: dict[str, list[dict]], *, what: str, **extra: object) -> None:
    """Medians and ratios of ``samples[command]`` over ``samples["floor"]`` into
    ``results/<bench>[_<label>].json``, with the machine and every sample; a summary on stdout."""
    medians = {k: round(statistics.median(s["seconds"] for s in v), 2) for k, v in samples.items()}
    cpu = {k: round(statistics.median(s["cpu_seconds"] for s in v), 2) for k, v in samples.items()}
    result = {
        "bench": bench,
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "what": what,
        "code": str(args.code) if args.code else "this checkout",
        "today": date.today().isoformat(),
        **extra,
        "machine": machine(),
        "samples": samples,
        "median_seconds": medians,
        "median_cpu_seconds": cpu,
        f"ratio_{command}_over_floor": round(medians[command] / medians["floor"], 2),
        f"cpu_ratio_{command}_over_floor": round(cpu[command] / cpu["floor"], 2),
    }
    name = f"{bench}{'_' + args.label if args.label else ''}.json"
    (ROOT / "bench" / "results" / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("code", "median_seconds", "median_cpu_seconds",
                                             f"ratio_{command}_over_floor",
                                             f"cpu_ratio_{command}_over_floor")}))


if __name__ == "__main__":
    main()
