"""A measure's done log (``done:``): what the team did, day by day, to compare with ``plan:``.

Inline (``done: [{date: 2026-11-03, count: 1}]``) or a CSV beside the targets file with the
columns ``date`` and ``count`` (any order and case; other columns, such as a title or a URL of
what was published, are ignored). A day may appear on several lines (one line per article):
the counts add up. The CSV comes from a spreadsheet, so it is read like the other CSVs
(UTF-8, UTF-16 or Shift_JIS) and every bad cell is named ``file:line: column: what``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kpi_pipeline.config.csv_cells import MAX_REPORTED, parse_date, parse_number
from kpi_pipeline.config.textfile import TextFileError, read_spreadsheet_text

COLUMNS = ("date", "count")


@dataclass(frozen=True)
class CsvProblem:
    """One bad line of a done CSV (``line`` None: the file as a whole)."""

    line: int | None
    column: str
    message: str


@dataclass(frozen=True)
class DoneCsv:
    """What a done CSV holds: (line, day, count) per row, or why not."""

    rows: tuple[tuple[int, date, float], ...]
    problems: tuple[CsvProblem, ...]


def read_done_csv(path: Path) -> DoneCsv:
    """Every row of ``path`` with its line, or the problems (at most :data:`MAX_REPORTED` of
    them, then a count of the rest)."""
    try:
        text = read_spreadsheet_text(path)
    except TextFileError as exc:
        return DoneCsv((), (CsvProblem(exc.line, "", exc.reason),))
    lines = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, date, float]] = []
    problems: list[CsvProblem] = []
    try:
        at = _header(lines)
        if at is None:
            return DoneCsv((), (CsvProblem(lines.line_num or None, "", (
                "the first line must name the columns date and count (e.g. date,count,title)")),))
        for cells in lines:
            if any(cell.strip() for cell in cells):
                problems += _row(lines.line_num, cells, at, rows)
    except csv.Error as exc:
        problems.append(CsvProblem(lines.line_num, "", f"not valid CSV: {exc}"))
    if len(problems) > MAX_REPORTED:
        more = len(problems) - MAX_REPORTED
        problems = [*problems[:MAX_REPORTED], CsvProblem(None, "", f"... and {more} more problems")]
    return DoneCsv(tuple(rows), tuple(problems))


def _header(lines) -> tuple[int, int] | None:  # noqa: ANN001 (csv.reader has no public type)
    """Positions of ``date`` and ``count`` in the first non-blank line (None if either is missing)."""
    for cells in lines:
        names = [cell.strip().lower() for cell in cells]
        if not any(names):
            continue
        if not all(c in names for c in COLUMNS):
            return None
        return names.index("date"), names.index("count")
    return None


def _row(line: int, cells: list[str], at: tuple[int, int], rows: list[tuple[int, date, float]]) -> list[CsvProblem]:
    """Parse one row into ``rows``; its problems."""
    width = max(at) + 1
    if len(cells) < width:
        return [CsvProblem(line, "", f"has {len(cells)} fields, the header has {width} or more")]
    day_text, count_text = cells[at[0]].strip(), cells[at[1]].strip()
    day, day_problem = parse_date(day_text) if day_text else (None, "is empty")
    count, count_problem = parse_number(count_text) if count_text else (None, "is empty (write 0 or leave the line out)")
    if count is not None and count < 0:
        count, count_problem = None, f"{count_text!r} is negative: count what was done (0 or more)"
    found = [CsvProblem(line, column, problem) for column, problem in
             (("date", day_problem), ("count", count_problem)) if problem]
    if day is not None and count is not None:
        rows.append((line, day, count))
    return found
