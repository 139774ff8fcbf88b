"""Bench: `kpi-pipeline run --week W` on a two-year warehouse, beside its floor (no Dagster).

Once, untimed: `kpi-pipeline demo` builds a template KPI_HOME (warehouse, analyst copy, its
Dagster instance). Then, interleaved, ``--repeat`` times, each on a fresh copy of the template:

* run:   the console script ``kpi-pipeline run --week W`` (W: the last complete week) in a fresh
         process: ingest of W with the look-back days, the weekly pipeline's marts, KPI rows,
         checks, analyst copy, report and e-mail file, recorded in the copied SQLite instance;
* floor: the same steps called directly in one process (``demo.floor_work``): load W's days and
         the look-back days, the three SQL marts and the KPI rows of the weeks the run rebuilds,
         the analyst copy and W's report (HTML + PDF). No asset checks, no Dagster.

Both are whole processes (imports included); CPU time of the children is recorded beside wall
time. ratio = run / floor. ``--code DIR`` runs another checkout's package for the run.

Run: ``.venv/bin/python bench/weekly_run.py`` (2-4 minutes). Writes
``bench/results/weekly_run.json`` (``weekly_run_<label>.json`` with ``--label``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from demo import _today, command_vs_floor_args, floor_work, timed, write_command_vs_floor  # noqa: E402

LOOKBACK_DAYS = 3  # Settings.lookback_days default: the run re-reads these days before W


def floor(home: Path) -> None:
    """The run's work without Dagster, on a copy of the template (its own process)."""
    from kpi_pipeline.calendar import last_complete_week, monday

    today = _today()
    week = last_complete_week(today)
    first_day = week - timedelta(days=LOOKBACK_DAYS)
    floor_work(home, first_day, min(week + timedelta(days=6), today - timedelta(days=1)),
               monday(first_day), week)


def main() -> None:
    args = command_vs_floor_args(__doc__, "run", floor)
    if args is None:
        return

    from kpi_pipeline.calendar import iso_week_label, last_complete_week

    week = iso_week_label(last_complete_week(_today()))
    tmp = Path(tempfile.mkdtemp(prefix="bench_weekly_"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KPI_", "DAGSTER_"))}
    base["KPI_LOG_LEVEL"] = "ERROR"
    code = (args.code or ROOT).resolve()
    cli = [sys.executable, "-c", "from kpi_pipeline.cli import main; main()"]
    samples: dict[str, list[dict]] = {"run": [], "floor": []}
    try:
        template = tmp / "template"
        timed([*cli, "demo"], {**base, "KPI_HOME": str(template), "PYTHONPATH": str(code)}, tmp)
        for i in range(args.repeat):
            home = tmp / f"run{i}"
            shutil.copytree(template, home, symlinks=True)
            samples["run"].append(timed([*cli, "run", "--week", week],
                                        {**base, "KPI_HOME": str(home), "PYTHONPATH": str(code)}, tmp))
            shutil.rmtree(home, ignore_errors=True)
            home = tmp / f"floor{i}"
            shutil.copytree(template, home, symlinks=True)
            samples["floor"].append(timed(
                [sys.executable, str(Path(__file__).resolve()), "--floor-only", str(home)],
                {**base, "PYTHONPATH": str(ROOT)}, tmp))
            shutil.rmtree(home, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_command_vs_floor(
        "weekly_run", "run", args, samples, week=week,
        what=f"`kpi-pipeline run --week {week}` on a copy of a two-year demo KPI_HOME vs the "
             "same steps without Dagster; whole processes, interleaved",
    )

if __name__ == "__main__":
    main()
