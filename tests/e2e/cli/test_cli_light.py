"""The everyday shell commands answer without loading the pipeline's heavy stack.

`--help`, `targets check` and `funnel` are what a marketer runs while editing the targets file;
they must not pay for Dagster, pandas, DuckDB, matplotlib or WeasyPrint (seconds of imports).
How fast they are is measured in bench/cli_startup.py; this checks what they load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kpi_pipeline.config.settings import EXAMPLE_TARGETS

HEAVY = ("dagster", "pandas", "duckdb", "matplotlib", "weasyprint", "numpy")

# Runs the real console-script entry point, then lists the heavy top-level packages it loaded.
PROBE = """
import json, sys
heavy = set(json.loads(sys.argv[2]))
sys.argv = ["kpi-pipeline", *json.loads(sys.argv[1])]
from kpi_pipeline.cli import main
try:
    main()
except SystemExit as exit_:
    code = exit_.code
else:
    code = 0
loaded = sorted({name.split(".")[0] for name in sys.modules} & heavy)
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def _loaded_by(cwd: Path, *args: str) -> tuple[int, list[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KPI_", "REPORT_"))}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=120,
    )
    probe = json.loads(done.stderr.strip().splitlines()[-1])
    return probe["code"], probe["loaded"], done.stdout


@pytest.mark.parametrize("args", [
    ("--help",),
    ("targets", "check", str(EXAMPLE_TARGETS)),
    ("funnel", str(EXAMPLE_TARGETS)),
    ("run", "--help"),
], ids=["help", "targets-check", "funnel", "run-help"])
def test_everyday_commands_do_not_load_the_pipeline_stack(args: tuple[str, ...], tmp_path: Path) -> None:
    code, loaded, stdout = _loaded_by(tmp_path, *args)
    assert code == 0, stdout
    assert stdout.strip()  # it answered
    assert loaded == [], f"`kpi-pipeline {' '.join(args)}` imported {loaded}"
