"""An analyst querying the published snapshot in a loop, as a notebook or the duckdb CLI would.

Usage: analyst.py PUBLISHED_DB STOP_FILE hold|reopen. ``hold`` keeps one read-only connection
open the whole time; ``reopen`` opens a fresh one per query. Each time the answer changes it
prints ``seen <rows in mart.metrics_daily> <rows in mart.metrics_weekly>`` (both read in one
connection, so one snapshot); at the end ``queries <n>``. Any error ends it with exit code 1.
Uses plain duckdb, not the pipeline's package: that is what an analyst has.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

QUERY = ("SELECT (SELECT count(*) FROM mart.metrics_daily), "
         "(SELECT count(*) FROM mart.metrics_weekly)")


def main() -> None:
    path, stop, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    held = duckdb.connect(path, read_only=True) if mode == "hold" else None
    last, queries = None, 0
    while not stop.exists():
        con = held or duckdb.connect(path, read_only=True)
        try:
            answer = con.execute(QUERY).fetchone()
        finally:
            if con is not held:
                con.close()
        queries += 1
        if answer != last:
            print(f"seen {answer[0]} {answer[1]}", flush=True)
            last = answer
        time.sleep(0.005)
    print(f"queries {queries}", flush=True)


if __name__ == "__main__":
    main()
