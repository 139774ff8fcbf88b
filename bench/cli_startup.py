"""Bench: how long the everyday CLI commands take, whole process, against `import pandas`.

Each command runs as a fresh process (the console script's entry point), interleaved,
``--repeat`` times: ``--help``, ``targets check`` and ``funnel`` on the bundled example targets
file, and as the yardstick ``python -c "import pandas"`` and ``python -c pass``.
Goal: ``--help`` faster than ``import pandas``.

``--code DIR`` runs another checkout's package instead (e.g. the commit before, from
``git archive``) for a before/after in the same run.

Run: ``.venv/bin/python bench/cli_startup.py`` (under a minute). Writes
``bench/results/cli_startup.json`` (``cli_startup_<label>.json`` with ``--label``).
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

from machine import machine  # noqa: E402

ENTRY = "from kpi_pipeline.cli import main; main()"


def commands(example: str) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "python_pass": [py, "-c", "pass"],
        "import_pandas": [py, "-c", "import pandas"],
        "help": [py, "-c", ENTRY, "--help"],
        "targets_check": [py, "-c", ENTRY, "targets", "check", example],
        "funnel": [py, "-c", ENTRY, "funnel", example],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--code", type=Path, help="run this checkout's kpi_pipeline instead")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    code = (args.code or ROOT).resolve()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KPI_")}
    env["PYTHONPATH"] = str(code)
    example = str(code / "kpi_pipeline" / "targets" / "kpi_targets.example.yaml")
    cmds = commands(example)
    samples: dict[str, list[float]] = {name: [] for name in cmds}
    loads = []
    with tempfile.TemporaryDirectory() as cwd:  # no .env or kpi_targets.yaml of the repo
        for _ in range(args.repeat):
            loads.append(round(os.getloadavg()[0], 2))
            for name, cmd in cmds.items():
                start = time.perf_counter()
                subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
                samples[name].append(round(time.perf_counter() - start, 3))
    medians = {k: round(statistics.median(v), 3) for k, v in samples.items()}
    result = {
        "bench": "cli_startup",
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "what": "whole-process seconds of everyday CLI commands, interleaved, vs import pandas",
        "code": str(args.code) if args.code else "this checkout",
        "machine": machine(),
        "load_1min_per_round": loads,
        "samples": samples,
        "median_seconds": medians,
        "help_over_import_pandas": round(medians["help"] / medians["import_pandas"], 2),
    }
    name = f"cli_startup{'_' + args.label if args.label else ''}.json"
    (ROOT / "bench" / "results" / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("code", "median_seconds", "help_over_import_pandas")}))


if __name__ == "__main__":
    main()
