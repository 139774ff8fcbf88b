"""The calendar of a Japanese B2B site: weekdays, public holidays, New Year, Golden Week, Obon.

Everything here is a pure function of the date (no randomness), so the shape of a week or a year
is the same whatever range is generated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EPOCH = pd.Timestamp("2024-01-01")
MIX_YEARS_CAP = 4.0

# Monday .. Sunday: B2B traffic peaks early in the week and halves at the weekend.
WEEKDAY_FACTOR = np.array([1.0, 1.04, 1.03, 1.0, 0.93, 0.53, 0.50])
HOLIDAY_FACTOR = 0.52

# Fixed-date public holidays (month, day); equinoxes approximated by their usual dates.
# fmt: off
_FIXED_HOLIDAYS = (
    (1, 1), (1, 2), (1, 3), (2, 11), (2, 23), (3, 20), (4, 29), (5, 3), (5, 4), (5, 5),
    (8, 11), (9, 23), (11, 3), (11, 23),
)
# fmt: on
# Happy-Monday holidays (month, n-th Monday): 成人の日, 海の日, 敬老の日, スポーツの日.
_MONDAY_HOLIDAYS = ((1, 2), (7, 3), (9, 3), (10, 2))

# Extra dips on top of weekday and holiday factors: (first (month, day), last (month, day), factor).
_BREAKS = (
    ((12, 26), (12, 27), 0.85),
    ((12, 28), (12, 31), 0.55),
    ((1, 1), (1, 3), 0.6),
    ((1, 4), (1, 5), 0.85),
    ((4, 27), (5, 6), 0.75),  # Golden Week and the bridging days
    ((8, 10), (8, 16), 0.68),  # Obon
)


def years_since_epoch(days: pd.DatetimeIndex) -> np.ndarray:
    """Fractional years since 2024-01-01 (negative before): the clock of every trend."""
    return np.asarray((days - EPOCH).days, dtype=np.float64) / 365.25


def mix_years(days: pd.DatetimeIndex) -> np.ndarray:
    """Years since 2024 for shifts in the mix (social's share, CVR, new users), held from 2028.

    Compounding a share's growth forever would let one channel swallow the site; traffic as a
    whole keeps growing with :func:`years_since_epoch`.
    """
    return np.clip(years_since_epoch(days), -2.0, MIX_YEARS_CAP)


def _month_day(days: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(days.month * 100 + days.day)


def is_holiday(days: pd.DatetimeIndex) -> np.ndarray:
    """Japanese public holidays (approximate: no substitute holidays)."""
    md = _month_day(days)
    fixed = np.isin(md, [m * 100 + d for m, d in _FIXED_HOLIDAYS])
    nth = (np.asarray(days.day) - 1) // 7 + 1
    monday = np.asarray(days.weekday) == 0
    happy = np.zeros(len(days), dtype=bool)
    for month, n in _MONDAY_HOLIDAYS:
        happy |= monday & (np.asarray(days.month) == month) & (nth == n)
    return fixed | happy


def is_business_day(days: pd.DatetimeIndex) -> np.ndarray:
    return (np.asarray(days.weekday) < 5) & ~is_holiday(days)


def day_of_week_factor(days: pd.DatetimeIndex) -> np.ndarray:
    """Weekday shape, with public holidays treated like a weekend day."""
    factor = WEEKDAY_FACTOR[np.asarray(days.weekday)]
    return np.where(is_holiday(days) & (factor > HOLIDAY_FACTOR), HOLIDAY_FACTOR, factor)


def season_factor(days: pd.DatetimeIndex) -> np.ndarray:
    """Yearly shape: a soft autumn peak and a summer low, plus the holiday-season breaks."""
    doy = np.asarray(days.dayofyear, dtype=np.float64)
    factor = 1.0 + 0.045 * np.cos(2.0 * np.pi * (doy - 290.0) / 365.25)
    factor = factor * np.where(np.asarray(days.month) == 3, 1.04, 1.0)  # fiscal year-end
    md = _month_day(days)
    for (m0, d0), (m1, d1), dip in _BREAKS:
        factor = factor * np.where((md >= m0 * 100 + d0) & (md <= m1 * 100 + d1), dip, 1.0)
    return factor


def step_lift(days: pd.DatetimeIndex, start: str, ramp_days: int, lift: float) -> np.ndarray:
    """1 before ``start``, rising linearly to ``1 + lift`` over ``ramp_days``, then staying."""
    elapsed = np.asarray((days - pd.Timestamp(start)).days, dtype=np.float64)
    return 1.0 + lift * np.clip(elapsed / ramp_days, 0.0, 1.0)


def window(days: pd.DatetimeIndex, month: int, day: int, length: int) -> np.ndarray:
    """0..1 intensity of a yearly burst starting on (month, day) for ``length`` days.

    Ramps up over the first days and fades over the last ones, like paid budgets do.
    """
    start = pd.to_datetime({"year": days.year, "month": month, "day": day})
    offset = np.asarray((days - pd.DatetimeIndex(start)).days, dtype=np.float64)
    inside = (offset >= 0) & (offset < length)
    ramp = np.minimum(np.minimum(offset + 1.0, length - offset) / 3.0, 1.0)
    return np.where(inside, ramp, 0.0)


def monthly_send(days: pd.DatetimeIndex, weekday: int, nth: int) -> np.ndarray:
    """Traffic of a mail sent on the n-th given weekday of each month, decaying over 3 days."""
    out = np.zeros(len(days))
    for lag, weight in ((0, 1.0), (1, 0.45), (2, 0.2)):
        sent = days - pd.Timedelta(days=lag)
        is_send = (np.asarray(sent.weekday) == weekday) & (
            (np.asarray(sent.day) - 1) // 7 + 1 == nth
        )
        out = out + np.where(is_send, weight, 0.0)
    return out


@dataclass(frozen=True)
class Campaign:
    """A marketing campaign that runs in yearly bursts: ``(month, day, length)`` windows."""

    name: str
    bursts: tuple[tuple[int, int, int], ...] = ()
    newsletter: bool = False

    def activity(self, days: pd.DatetimeIndex) -> np.ndarray:
        if self.newsletter:
            return monthly_send(days, weekday=1, nth=2)  # second Tuesday
        total = np.zeros(len(days))
        for month, day, length in self.bursts:
            total = np.maximum(total, window(days, month, day, length))
        return total


CAMPAIGNS: dict[str, Campaign] = {
    c.name: c
    for c in (
        Campaign("spring_webinar", ((2, 1, 38),)),
        Campaign("wp_kgi_download", ((5, 13, 21), (9, 1, 28), (11, 10, 24))),
        Campaign("retargeting_q3", ((7, 1, 92),)),
        Campaign("monthly_newsletter", newsletter=True),
    )
}
