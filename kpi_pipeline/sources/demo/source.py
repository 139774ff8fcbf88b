"""DemoSource: the embedded default source, realistic GA4 and CRM numbers with no account needed."""

from __future__ import annotations

from datetime import date

import pandas as pd

from kpi_pipeline.sources.base import GA4_DAILY_COLUMNS, DailyLoad, LoadInfo
from kpi_pipeline.sources.demo.breakdowns import breakdown_pages
from kpi_pipeline.sources.demo.crm import crm_frame
from kpi_pipeline.sources.demo.noise import CounterNoise, site_key
from kpi_pipeline.sources.demo.traffic import Traffic, as_date_objects, simulate_traffic
from kpi_pipeline.sources.demo.users import week_days, weekly_users_frame

DEFAULT_SEED = 2027


def _day_range(date_from: date, date_to: date) -> pd.DatetimeIndex:
    if date_from > date_to:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}")
    return pd.date_range(date_from, date_to, freq="D")


class DemoSource:
    """Generated GA4 and CRM data for one site, deterministic per (seed, site_id, day).

    Any day's numbers are a pure function of those three, so a day loaded alone equals the
    same day loaded inside a two-year backfill, and re-runs are idempotent.
    """

    def __init__(self, site_id: str = "demo", seed: int = DEFAULT_SEED) -> None:
        self.site_id = site_id
        self.seed = seed
        self._noise = CounterNoise(site_key(seed, site_id))

    def _traffic(self, days: pd.DatetimeIndex) -> Traffic:
        return simulate_traffic(self._noise, days)

    def _info(self) -> LoadInfo:
        # no time zone: generated days are calendar days in whatever zone the reports use
        return LoadInfo(source="demo", currency="JPY")

    def load_days(self, date_from: date, date_to: date) -> DailyLoad:
        """Site totals and the five dimension breakdowns for every day in [date_from, date_to]."""
        traffic = self._traffic(_day_range(date_from, date_to))
        daily = pd.DataFrame(
            {
                "site_id": self.site_id,
                "date": as_date_objects(traffic.days),
                **{
                    name: getattr(traffic, name)
                    for name in GA4_DAILY_COLUMNS
                    if name not in ("site_id", "date")
                },
            }
        )[list(GA4_DAILY_COLUMNS)]
        pages = breakdown_pages(self.site_id, traffic, self._noise)
        return DailyLoad(ga4_daily=daily, ga4_by_dimension=pages, info=self._info())

    def load_weekly_users(self, week_starts: list[date]) -> tuple[pd.DataFrame, LoadInfo]:
        """Users per ISO week (Mondays given): between the busiest day and the sum of the days."""
        traffic = self._traffic(week_days(week_starts))
        return weekly_users_frame(self.site_id, week_starts, traffic, self._noise), self._info()

    def load_ads_days(self, date_from: date, date_to: date) -> tuple[pd.DataFrame, LoadInfo]:
        """Google Ads and Search Console numbers per day, as a linked GA4 property serves them."""
        from kpi_pipeline.sources.demo.ads import ads_frame

        traffic = self._traffic(_day_range(date_from, date_to))
        return ads_frame(self.site_id, traffic, self._noise), self._info()

    def crm_days(self, date_from: date, date_to: date) -> pd.DataFrame:
        """raw.crm_daily rows (without loaded_at): the offline funnel for every day in range."""
        traffic = self._traffic(_day_range(date_from, date_to))
        return crm_frame(self.site_id, traffic, self._noise)
