"""Read one custom metric's days from a CSV (``date,<column>``), with errors that say where.

The file comes from a spreadsheet, so every problem is listed at once as
``file:line: column: what`` (like the CRM export), and Excel's Shift_JIS "CSV" is read as is.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from kpi_pipeline.config.csv_cells import MAX_REPORTED, parse_date, parse_number
from kpi_pipeline.config.textfile import TextFileError, read_spreadsheet_text
from kpi_pipeline.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

CUSTOM_DAILY_COLUMNS: tuple[str, ...] = ("site_id", "metric_id", "date", "value", "source")


class CustomCsvError(UserError):
    """A custom metric's CSV cannot be loaded; one ``file:line: column: what`` per problem."""

    title = "custom metric CSV has errors"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:MAX_REPORTED]
        more = len(problems) - len(shown)
        super().__init__("\n".join(shown + ([f"... and {more} more problems"] if more > 0 else [])))


def _header(path: Path, rows, column: str) -> tuple[int, int]:
    """Positions of ``date`` and ``column`` in the first non-blank line (trimmed, any case)."""
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        names = [cell.strip().lower() for cell in row]
        wanted = ("date", column.lower())
        missing = [c for c in wanted if c not in names]
        if missing:
            raise CustomCsvError([
                f"{path}:{rows.line_num}: missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (the header must have: {','.join(wanted)}; it has: "
                f"{','.join(n for n in names if n) or 'nothing'})"
            ])
        return names.index("date"), names.index(column.lower())
    raise CustomCsvError([f"{path}: file is empty; expected a header line: date,{column}"])


def parse_metric_csv(path: Path, column: str) -> list[tuple[date, float]]:
    """(day, value) of ``path``'s ``column``, sorted by day.

    Dates YYYY-MM-DD, each once; values numbers (empty cells are refused: leave a day out
    instead). Extra columns are ignored. Raises :class:`CustomCsvError` listing every problem.
    """
    path = Path(path)
    try:
        text = read_spreadsheet_text(path)
    except TextFileError as exc:
        raise CustomCsvError([str(exc)]) from None
    rows = csv.reader(io.StringIO(text, newline=""))
    problems: list[str] = []
    records: list[tuple[date, float]] = []
    seen: dict[date, int] = {}
    try:
        at_date, at_value = _header(path, rows, column)
        width = max(at_date, at_value) + 1
        for row in rows:
            line = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < width:
                problems.append(f"{path}:{line}: has {len(row)} fields, the header has {width} or more")
                continue
            day, problem = parse_date(row[at_date].strip()) if row[at_date].strip() else (None, "is empty")
            if problem:
                problems.append(f"{path}:{line}: date: {problem}")
            elif day in seen:
                problems.append(f"{path}:{line}: date: {day.isoformat()} already appears on line {seen[day]}")
            else:
                seen[day] = line
            cell = row[at_value].strip()
            value, problem = parse_number(cell) if cell else (None, "is empty (leave the day out instead)")
            if problem:
                problems.append(f"{path}:{line}: {column}: {problem}")
            if day is not None and value is not None:
                records.append((day, value))
    except csv.Error as exc:
        raise CustomCsvError([f"{path}:{rows.line_num}: not valid CSV: {exc}"]) from None
    if problems:
        raise CustomCsvError(problems)
    return sorted(records)


def read_metric_csv(path: Path, column: str, metric_id: str, site_id: str) -> pd.DataFrame:
    """``raw.custom_daily`` rows (without loaded_at) of ``metric_id`` from ``path``'s ``column``
    (see :func:`parse_metric_csv`)."""
    import pandas as pd

    records = parse_metric_csv(path, column)
    return pd.DataFrame({
        "site_id": pd.Series([site_id] * len(records), dtype=object),
        "metric_id": pd.Series([metric_id] * len(records), dtype=object),
        "date": pd.Series([d for d, _ in records], dtype=object),
        "value": pd.Series([v for _, v in records], dtype="float64"),
        "source": pd.Series([str(path)] * len(records), dtype=object),
    }, columns=list(CUSTOM_DAILY_COLUMNS))
