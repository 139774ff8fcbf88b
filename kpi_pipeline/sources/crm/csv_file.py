"""Read the offline sales funnel from a CRM export CSV, with errors that say where to look.

The file is written by people (or a spreadsheet), so every problem is reported at once, each
naming file, line and column, instead of stopping at the first or failing later in a mart.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from kpi_pipeline.config.csv_cells import MAX_REPORTED, parse_date
from kpi_pipeline.config.textfile import TextFileError, read_utf8
from kpi_pipeline.errors import UserError
from kpi_pipeline.sources.base import CRM_DAILY_COLUMNS

CSV_COLUMNS: tuple[str, ...] = ("date", "leads", "appointments", "deals", "orders", "revenue")
COUNT_COLUMNS: tuple[str, ...] = ("leads", "appointments", "deals", "orders")
# Counts are stored as BIGINT and summed over years; revenue as DOUBLE. A day above this is a
# typo (or a unit mistake) and would overflow the sums.
LARGEST = 10**15

_WHOLE = re.compile(r"\+?\d+")
_NEGATIVE_WHOLE = re.compile(r"-\d+")


class _Rows(Protocol):
    """What we use of ``csv.reader``: rows, and the physical line the last row ended on."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


class CrmCsvError(UserError):
    """The CSV cannot be loaded; ``problems`` holds one ``file:line: column: what`` per issue."""

    title = "CRM CSV has errors"
    listing = True

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = problems
        shown = problems[:MAX_REPORTED]
        more = len(problems) - len(shown)
        lines = shown + ([f"... and {more} more problems"] if more > 0 else [])
        super().__init__("\n".join(lines))


def _decode(path: Path) -> str:
    try:
        return read_utf8(path, "CRM_CSV")
    except TextFileError as exc:
        raise CrmCsvError(path, [str(exc)]) from None


def _parse_count(text: str) -> tuple[int | None, str | None]:
    if _WHOLE.fullmatch(text):
        value = int(text)
        if value > LARGEST:
            return None, f"{text!r} is too large for a day's count (at most {LARGEST:,})"
        return value, None
    if _NEGATIVE_WHOLE.fullmatch(text):
        return None, f"{text!r} is negative; counts are 0 or more"
    return None, f"{text!r} is not a whole number"


def _parse_revenue(text: str) -> tuple[float | None, str | None]:
    try:
        value = float(text)
    except ValueError:
        return None, f"{text!r} is not a number (yen, digits only, e.g. 1200000)"
    if not math.isfinite(value):
        return None, f"{text!r} is not a number (yen, digits only, e.g. 1200000)"
    if value < 0:
        return None, f"{text!r} is negative; revenue is 0 or more"
    if value > LARGEST:
        return None, f"{text!r} is too large for a day's revenue (at most {LARGEST:,})"
    return value, None


def _header(path: Path, rows: _Rows) -> dict[str, int]:
    """Column positions from the first non-blank line; header names are trimmed, any case."""
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        line = rows.line_num
        names = [cell.strip().lower() for cell in row]
        problems = [
            f"{path}:{line}: {name}: column appears more than once"
            for name in sorted({n for n in names if n and names.count(n) > 1})
        ]
        missing = [c for c in CSV_COLUMNS if c not in names]
        if missing:
            problems.append(
                f"{path}:{line}: missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (the header must have: {','.join(CSV_COLUMNS)})"
            )
        if problems:
            raise CrmCsvError(path, problems)
        return {c: names.index(c) for c in CSV_COLUMNS}
    raise CrmCsvError(
        path, [f"{path}: file is empty; expected a header line: {','.join(CSV_COLUMNS)}"]
    )


def read_crm_csv(path: Path, site_id: str) -> pd.DataFrame:
    """raw.crm_daily rows (without loaded_at) from a ``date,leads,...,revenue`` CSV.

    UTF-8 with or without BOM; dates YYYY-MM-DD; counts whole and non-negative; each date once.
    Extra columns are ignored. Raises :class:`CrmCsvError` listing every problem found.
    """
    path = Path(path)
    rows: _Rows = csv.reader(io.StringIO(_decode(path), newline=""))
    try:
        columns = _header(path, rows)
        width = max(columns.values()) + 1
        problems: list[str] = []
        records: list[tuple] = []
        seen: dict[date, int] = {}
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < width:
                problems.append(
                    f"{path}:{line}: has {len(row)} fields, the header has {width} or more"
                )
                continue
            values: dict[str, object] = {}
            for name, index in columns.items():
                text = row[index].strip()
                if not text:
                    problems.append(f"{path}:{line}: {name}: is empty")
                    continue
                parse = {"date": parse_date, "revenue": _parse_revenue}.get(name, _parse_count)
                value, problem = parse(text)
                if problem:
                    problems.append(f"{path}:{line}: {name}: {problem}")
                else:
                    values[name] = value
            day = values.get("date")
            if isinstance(day, date):
                if day in seen:
                    problems.append(
                        f"{path}:{line}: date: {day.isoformat()} already appears on line {seen[day]}"
                    )
                else:
                    seen[day] = line
            if len(values) == len(CSV_COLUMNS):
                records.append(tuple(values[c] for c in CSV_COLUMNS))
    except csv.Error as exc:
        raise CrmCsvError(path, [f"{path}:{rows.line_num}: not valid CSV: {exc}"]) from None
    if problems:
        raise CrmCsvError(path, problems)
    return _frame(records, site_id)


def _frame(records: list[tuple], site_id: str) -> pd.DataFrame:
    records.sort(key=lambda r: r[0])
    data = list(zip(*records, strict=True)) if records else [[] for _ in CSV_COLUMNS]
    frame = pd.DataFrame({"site_id": pd.Series([site_id] * len(records), dtype=object)})
    frame["date"] = np.array(data[0], dtype=object)
    for name, column in zip(CSV_COLUMNS[1:], data[1:], strict=True):
        frame[name] = np.array(column, dtype=np.float64 if name == "revenue" else np.int64)
    return frame[list(CRM_DAILY_COLUMNS)]
