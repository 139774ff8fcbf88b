"""A query's result as text: DuckDB's own boxes for a terminal, CSV, JSON or Markdown for pipes.

The box is what the ``duckdb`` shell prints (column types under the names, NULL, the row count,
long results cut in the middle), drawn by DuckDB itself. The other formats hold every row with
values as DuckDB returned them: no pandas dtypes in between (an INTEGER column with a NULL
stays ``3``, not ``3.0``), NULL as an empty cell (CSV, Markdown) or ``null`` (JSON).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import duckdb

OUTPUT_FORMATS = ("box", "csv", "json", "markdown")


def box(relation: duckdb.DuckDBPyRelation, width: int | None = None) -> str:
    """DuckDB's box rendering of ``relation`` (``width``: the terminal's columns)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        relation.show(max_width=width)
    return printed.getvalue().rstrip("\n")


def _plain(value: Any) -> Any:
    """A cell as JSON has it: dates and times in ISO 8601, decimals and NaN as numbers or null."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    plain = _plain(value)
    return json.dumps(plain, ensure_ascii=False) if isinstance(plain, list | dict) else str(plain)


def to_csv(relation: duckdb.DuckDBPyRelation) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(relation.columns)
    writer.writerows([_cell(v) for v in row] for row in relation.fetchall())
    return out.getvalue().rstrip("\n")


def rows_as_json(relation: duckdb.DuckDBPyRelation) -> list[dict[str, Any]]:
    columns = relation.columns
    return [dict(zip(columns, map(_plain, row), strict=True)) for row in relation.fetchall()]


def json_text(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1)


def to_markdown(relation: duckdb.DuckDBPyRelation) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    rows = [line(list(relation.columns)), line(["---"] * len(relation.columns))]
    rows += [line([_cell(v) for v in row]) for row in relation.fetchall()]
    return "\n".join(rows)


def renderer(output: str, width: int | None = None) -> Callable[[duckdb.DuckDBPyRelation], str]:
    """The function that turns a relation into ``output`` text."""
    return {"box": lambda rel: box(rel, width), "csv": to_csv,
            "json": lambda rel: json_text(rows_as_json(rel)), "markdown": to_markdown}[output]
