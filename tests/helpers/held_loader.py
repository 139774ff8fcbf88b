"""A direct loader that holds the warehouse's write lock until told to finish.

Usage: held_loader.py WAREHOUSE FIRST_DAY LAST_DAY RELEASE_FILE. Connects through
``kpi_pipeline.warehouse.connect``, prints ``locked``, loads the demo source's web rows for the
days (its first breakdown page waits until RELEASE_FILE exists), closes and prints ``done``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd

from kpi_pipeline.raw.load import load_web_days
from kpi_pipeline.sources.base import DailyLoad
from kpi_pipeline.sources.demo import DemoSource
from kpi_pipeline.warehouse import connect, ensure_schema


class HeldSource(DemoSource):
    """The demo source whose breakdown pages wait for a file before the first page."""

    def __init__(self, release: Path) -> None:
        super().__init__()
        self.release = release

    def load_days(self, date_from: date, date_to: date) -> DailyLoad:
        load = super().load_days(date_from, date_to)
        return replace(load, ga4_by_dimension=self._held(load.ga4_by_dimension))

    def _held(self, pages: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        while not self.release.exists():
            time.sleep(0.05)
        yield from pages


def main() -> None:
    path, first, last, release = sys.argv[1:5]
    con = connect(path)
    try:
        ensure_schema(con)
        print("locked", flush=True)
        summary = load_web_days(con, HeldSource(Path(release)), date.fromisoformat(first),
                                date.fromisoformat(last), lookback_days=0)
    finally:
        con.close()
    print(f"done {summary.ga4_daily_rows}", flush=True)


if __name__ == "__main__":
    main()
