"""One writer process on the DuckLake warehouse of ``KPI_WAREHOUSE``/``KPI_LAKE_DATA_PATH``.

Usage: lake_writer.py SITE FIRST_DAY LAST_DAY ROUNDS GO_FILE. Connects through
``kpi_pipeline.warehouse.connect``, prints ``ready``, waits for GO_FILE (so two writers start
together), then replaces the demo source's web rows of SITE for the days ROUNDS times (each a
DELETE + INSERT transaction over raw.ga4_daily, raw.ga4_by_dimension and meta.runs) and prints
``done ROUNDS``.
"""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.raw.load import load_web_days
from kpi_pipeline.sources.demo import DemoSource
from kpi_pipeline.warehouse import connect


def main() -> None:
    site, first, last, rounds, go = sys.argv[1:6]
    con = connect(Settings.from_env().warehouse)
    try:
        print("ready", flush=True)
        while not Path(go).exists():
            time.sleep(0.02)
        for _ in range(int(rounds)):
            load_web_days(con, DemoSource(site_id=site), date.fromisoformat(first),
                          date.fromisoformat(last), lookback_days=0)
    finally:
        con.close()
    print(f"done {rounds}", flush=True)


if __name__ == "__main__":
    main()
