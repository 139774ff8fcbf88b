"""Cells of a spreadsheet export (CRM funnel, custom metrics, a measure's done log): dates,
numbers, and how many problems to list. Light on purpose: ``kpi-pipeline targets check``
reads these CSVs without pandas."""

from __future__ import annotations

import math
import re
from datetime import date

MAX_REPORTED = 20  # problems listed per file; the rest are counted
LARGEST = 1e15  # a day's value above this is a typo (or a unit mistake)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


def parse_date(text: str) -> tuple[date | None, str | None]:
    """(the date, None) or (None, what is wrong with ``text``)."""
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text), None
        except ValueError:
            return None, f"{text!r} is not a calendar date"
    return None, f"{text!r} is not a date (expected YYYY-MM-DD)"


def parse_number(text: str) -> tuple[float | None, str | None]:
    """A number as a spreadsheet writes it: 1234, 1234.5, -3 or 1,234 (thousands separators)."""
    plain = text.replace(",", "") if _THOUSANDS.fullmatch(text) else text
    try:
        value = float(plain)
    except ValueError:
        return None, f"{text!r} is not a number (digits only, e.g. 1200 or 1,200)"
    if not math.isfinite(value):
        return None, f"{text!r} is not a number (digits only, e.g. 1200 or 1,200)"
    if abs(value) > LARGEST:
        return None, f"{text!r} is too large for a day's value (at most {LARGEST:,.0f})"
    return value, None
