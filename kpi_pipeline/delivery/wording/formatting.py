"""Numbers and dates as a Japanese or English reader expects them.

Counts get thousands separators, rates are shown as %, their changes in points, durations in
秒 / s, money in 円 / ¥, scores (NPS, satisfaction) with one decimal. Dates are 2027年5月3日（月） in Japanese and 3 May 2027 in English.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from kpi_pipeline.catalog import METRICS_BY_ID, Unit

DASH = "—"
_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def unit_of(metric_id: str) -> Unit:
    """The metric's unit; unknown metrics are shown as counts."""
    m = METRICS_BY_ID.get(metric_id)
    return m.unit if m else Unit.COUNT


class Formatter:
    """Formats values for one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    # numbers -----------------------------------------------------------------------------
    def number(self, value: float | None, digits: int = 0) -> str:
        if _missing(value):
            return DASH
        return f"{value:,.{digits}f}"

    def count(self, value: float | None) -> str:
        """Whole numbers as 12,345; small fractional counts keep one decimal (3.2)."""
        if _missing(value):
            return DASH
        if abs(value - round(value)) < 0.05 or abs(value) >= 100:
            return self.number(value, 0)
        return self.number(value, 1)

    def percent(self, fraction: float | None, digits: int = 1) -> str:
        if _missing(fraction):
            return DASH
        return f"{fraction * 100:,.{digits}f}%"

    def rate(self, fraction: float | None) -> str:
        """A rate as %: two decimals below 10 % (CVR 1.81%), one above (bounce rate 41.2%)."""
        if _missing(fraction):
            return DASH
        return self.percent(fraction, 2 if abs(fraction) < 0.1 else 1)

    def seconds(self, value: float | None) -> str:
        if _missing(value):
            return DASH
        text = self.number(value, 1 if abs(value) < 10 else 0)
        return f"{text}秒" if self.lang == "ja" else f"{text} s"

    def yen(self, value: float | None) -> str:
        if _missing(value):
            return DASH
        text = self.number(abs(value), 0)
        sign = "-" if value < 0 else ""
        return f"{sign}{text}円" if self.lang == "ja" else f"{sign}¥{text}"

    def metric(self, metric_id: str, value: float | None) -> str:
        """A metric value in its unit."""
        unit = unit_of(metric_id)
        if unit is Unit.RATE:
            return self.rate(value)
        if unit is Unit.SECONDS:
            return self.seconds(value)
        if unit is Unit.YEN:
            return self.yen(value)
        if unit is Unit.PAGES:
            return self.number(value, 2)
        if unit is Unit.SCORE:
            return self.number(value, 1)
        if unit is Unit.MULTIPLE:
            text = self.number(value, 2)
            return text if text == DASH else (f"{text}倍" if self.lang == "ja" else f"×{text}")
        return self.count(value)

    def change(self, metric_id: str, change: float | None) -> str:
        """A week-on-week / year-on-year change: +1.2pt for rates, +12.3% otherwise."""
        if _missing(change):
            return DASH
        if unit_of(metric_id) is Unit.RATE:
            points = change * 100
            text = f"{points:+.2f}" if abs(points) < 1 else f"{points:+.1f}"
            return f"{text}pt" if self.lang == "ja" else f"{text} pts"
        return f"{change * 100:+.1f}%"

    def points(self, fraction: float) -> str:
        """A difference of rates in points, without sign: 25.0pt / 25.0 pts (0.50pt below one)."""
        points = abs(fraction) * 100
        text = f"{points:.2f}" if points < 1 else f"{points:,.1f}"
        return f"{text}pt" if self.lang == "ja" else f"{text} pts"

    def signed_count(self, value: float | None) -> str:
        if _missing(value):
            return DASH
        return ("+" if value >= 0 else "-") + self.count(abs(value))

    # punctuation -------------------------------------------------------------------------
    def span(self, low: str, high: str) -> str:
        """A range of two formatted values: 1.70%〜2.00% / 1.70%–2.00%."""
        return f"{low}〜{high}" if self.lang == "ja" else f"{low} – {high}"

    def paren(self, text: str) -> str:
        """An aside: （text） / " (text)"."""
        return f"（{text}）" if self.lang == "ja" else f" ({text})"

    # dates -------------------------------------------------------------------------------
    def date(self, d: date | None, weekday: bool = False) -> str:
        if d is None:
            return DASH
        if self.lang == "ja":
            text = f"{d.year}年{d.month}月{d.day}日"
            return f"{text}（{_WEEKDAYS_JA[d.weekday()]}）" if weekday else text
        text = f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
        return f"{_WEEKDAYS_EN[d.weekday()]} {text}" if weekday else text

    def timestamp(self, moment: datetime) -> str:
        """2027年5月10日 07:30 JST / 10 May 2027 07:30 JST: the zone's abbreviation when the
        time is aware (``UTC+04`` where the zone has no letters), nothing when naive."""
        text = f"{self.date(moment.date())} {moment:%H:%M}"
        zone = moment.tzname()
        if not zone:
            return text
        return f"{text} {'UTC' + zone if zone[0] in '+-' else zone}"

    def short_date(self, d: date) -> str:
        return f"{d.month}/{d.day}" if self.lang == "ja" else f"{d.day} {_MONTHS_EN[d.month - 1]}"

    def period(self, start: date, end: date) -> str:
        """2027年5月3日（月）〜5月9日（日） / Mon 3 May – Sun 9 May 2027."""
        if self.lang == "ja":
            head = self.date(start, weekday=True)
            tail_date = f"{end.month}月{end.day}日" if end.year == start.year else self.date(end)
            return f"{head}〜{tail_date}（{_WEEKDAYS_JA[end.weekday()]}）"
        head = f"{_WEEKDAYS_EN[start.weekday()]} {start.day} {_MONTHS_EN[start.month - 1]}"
        if start.year != end.year:
            head += f" {start.year}"
        return f"{head} – {self.date(end, weekday=True)}"

    def dates(self, days: tuple[date, ...] | list[date]) -> str:
        """A short list of days: 5/8（土）、5/9（日） / 8 May, 9 May."""
        if self.lang == "ja":
            return "、".join(f"{d.month}/{d.day}（{_WEEKDAYS_JA[d.weekday()]}）" for d in days)
        return ", ".join(self.short_date(d) for d in days)
