"""Bench: one CLI command as the tests run it, forked from the warm CLI, against the console
script started from scratch (the baseline), interleaved.

Each round runs every command both ways on its own empty KPI_HOME: ``run --week 2026-W47``
(ingest, the weekly job, the report) and ``targets check`` (settings and the targets file
only). Wall seconds, with CPU seconds of the command's whole process tree (the PDF worker
included) of this process's reaped children; the fork server's commands are not our children, so
theirs is the server's reaped-children time (``/proc/<server>/stat``) before and after.

Run: ``.venv/bin/python bench/cli_runner.py [--repeat 3]`` (~2 min). Writes
``bench/results/cli_runner.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from helpers import cli  # noqa: E402
from machine import machine  # noqa: E402

COMMANDS = {"run_week": ["run", "--week", "2026-W47"], "targets_check": ["targets", "check"]}
TICKS = os.sysconf("SC_CLK_TCK")


def _children_cpu(pid: int) -> float:
    """CPU seconds of ``pid``'s reaped children (and theirs): /proc/PID/stat cutime + cstime."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / TICKS


def _scratch(args: list[str], home: Path, cwd: Path) -> tuple[float, float]:
    before, start = os.times(), time.perf_counter()
    done = subprocess.run([str(cli.KPI_PIPELINE), *args], cwd=cwd, capture_output=True, text=True,
                          env=cli.user_environment(KPI_HOME=str(home), COLUMNS="250"))
    wall, after = time.perf_counter() - start, os.times()
    assert done.returncode == 0, done.stderr[-2000:]
    return wall, (after.children_user + after.children_system
                  - before.children_user - before.children_system)


def _forked(args: list[str], home: Path, cwd: Path) -> tuple[float, float]:
    server = cli.warm_cli()
    before, start = _children_cpu(server.pid), time.perf_counter()
    done = cli.run_cli(*args, home=home, cwd=cwd)
    wall = time.perf_counter() - start
    time.sleep(1.5)  # the server reaps the command's watcher within a second
    assert done.returncode == 0, done.stderr[-2000:]
    return wall, _children_cpu(server.pid) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    cli.warm_cli()
    server_start = time.perf_counter() - started
    samples: dict[str, dict[str, list[float]]] = {
        f"{name}_{how}": {"wall": [], "cpu": []} for name in COMMANDS for how in ("scratch", "forked")
    }
    loads = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.repeat):
            loads.append(round(os.getloadavg()[0], 2))
            for name, command in COMMANDS.items():
                for how, runner in (("scratch", _scratch), ("forked", _forked)):
                    home = Path(tmp) / f"{name}-{how}-{round_}"
                    wall, cpu = runner(command, home, Path(tmp))
                    samples[f"{name}_{how}"]["wall"].append(round(wall, 3))
                    samples[f"{name}_{how}"]["cpu"].append(round(cpu, 3))
    medians = {k: {m: round(statistics.median(v[m]), 3) for m in v} for k, v in samples.items()}
    result = {
        "bench": "cli_runner",
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "what": "a test's CLI command forked from the warm CLI vs the console script from scratch, "
                "interleaved, each on an empty KPI_HOME (CPU: the command's process tree)",
        "machine": machine(),
        "load_1min_per_round": loads,
        "server_start_seconds": round(server_start, 3),
        "samples": samples,
        "median": medians,
        "forked_over_scratch": {
            name: {m: round(medians[f"{name}_forked"][m] / medians[f"{name}_scratch"][m], 2)
                   for m in ("wall", "cpu")} for name in COMMANDS
        },
    }
    out = ROOT / "bench" / "results" / "cli_runner.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("median", "forked_over_scratch", "load_1min_per_round")},
                     indent=1))


if __name__ == "__main__":
    main()
