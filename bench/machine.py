"""What machine a benchmark ran on: written into every bench/results/*.json."""

from __future__ import annotations

import os
import platform


def machine() -> dict:
    import dagster
    import duckdb

    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "dagster": dagster.__version__,
        "duckdb": duckdb.__version__,
    }
