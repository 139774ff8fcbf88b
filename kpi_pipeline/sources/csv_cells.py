"""Cells of a spreadsheet export (CRM funnel, custom metrics): dates, and how many problems to
list. Light on purpose: ``kpi-pipeline targets check`` reads custom-metric CSVs without pandas."""

from __future__ import annotations

import re
from datetime import date

MAX_REPORTED = 20  # problems listed per file; the rest are counted
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: str) -> tuple[date | None, str | None]:
    """(the date, None) or (None, what is wrong with ``text``)."""
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text), None
        except ValueError:
            return None, f"{text!r} is not a calendar date"
    return None, f"{text!r} is not a date (expected YYYY-MM-DD)"
