"""Replace one site's days in raw.ga4_by_dimension in pages, as an API load does.

Usage: partition_writer.py WAREHOUSE TAG [--stall]. Writes ``PAGES`` pages of ``PAGE_ROWS`` rows
with ``dimension_value`` prefixed by TAG. With --stall it prints ``started`` after the DELETE
and the first page are done (inside the open transaction) and sleeps: the test kills it there.
"""

from __future__ import annotations

import sys
import time
from datetime import date, datetime, timedelta

import pandas as pd

from kpi_pipeline.warehouse import connect, replace_rows

SITE = "s1"
FIRST_DAY, LAST_DAY = date(2026, 11, 9), date(2026, 11, 15)
PAGE_ROWS = 140_000  # more than a DuckDB row group: the page is written to the file, uncommitted
PAGES = 2
WHERE = "site_id = ? AND date BETWEEN ? AND ?"


def page(tag: str, number: int, rows: int = PAGE_ROWS) -> pd.DataFrame:
    days = [FIRST_DAY + timedelta(days=i % 7) for i in range(rows)]
    return pd.DataFrame({
        "site_id": SITE,
        "date": days,
        "dimension": "pagePath",
        "dimension_value": [f"{tag}/{number}/{i}" for i in range(rows)],
        "sessions": 3,
        "engaged_sessions": 2,
        "screen_page_views": 5,
        "event_count": 9,
        "key_events": 0.0,
        "loaded_at": datetime(2026, 11, 24, 5, 0),
    })


def pages(tag: str, stall: bool):
    for number in range(PAGES):
        yield page(tag, number)
        if stall:
            print("started", flush=True)
            time.sleep(120)


def main() -> None:
    path, tag = sys.argv[1], sys.argv[2]
    stall = "--stall" in sys.argv[3:]
    con = connect(path)
    try:
        written = replace_rows(con, "raw.ga4_by_dimension", pages(tag, stall), WHERE,
                               [SITE, FIRST_DAY, LAST_DAY])
    finally:
        con.close()
    print(f"done {written}", flush=True)


if __name__ == "__main__":
    main()
