"""Shared partition definitions: ISO weeks, for raw ingest and for everything from the marts on.

Raw ingest is partitioned by week too, not by day (docs/design-notes.md): a two-year load is
~100 partitions instead of ~730, each a Dagster event or two per asset, and the UI's status per
week is what ops act on. Its partitions include the current week, which the daily schedule
loads day by day (up to yesterday). Both are in the reporting time zone (``KPI_TIMEZONE``,
default Asia/Tokyo), so the definitions loader builds them from the settings
(:func:`calendar_for`), never an import. Weeks start on Monday (ISO weeks); a weekly partition
key is the Monday's date, e.g. ``2026-11-16`` (= ``2026-W47``, see :func:`iso_week_label`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, cached_property
from typing import TYPE_CHECKING

from dagster import BackfillPolicy, BetaWarning, WeeklyPartitionsDefinition

# single-run backfill policies are a documented, stable part of our design; silence the beta note
warnings.filterwarnings("ignore", category=BetaWarning)

from kpi_pipeline.calendar import (  # noqa: E402, F401 (re-exported)
    iso_week_label,
    monday,
    week_end,
    week_starts_between,
)

if TYPE_CHECKING:
    from kpi_pipeline.config.settings import Settings

# Which partitions an asset declares (its ``partitions`` tag): the definitions loader attaches
# the calendar's definition (asset_defaults.with_house_policy), so no module reads settings.
PARTITIONS_TAG = "partitions"
WEEKLY = "iso_week"  # the marts on: complete ISO weeks
INGEST = "iso_week_ingest"  # raw ingest: the same weeks plus the one in progress

# A backfill over any range runs as one run per asset that reads the partition time window.
single_run = BackfillPolicy.single_run()


@dataclass(frozen=True)
class PartitionCalendar:
    """The ISO-week partitions from ``start_date`` (KPI_START_DATE) in ``timezone``
    (KPI_TIMEZONE); the demo source has data for every day since."""

    start_date: str
    timezone: str

    @cached_property
    def weekly(self) -> WeeklyPartitionsDefinition:
        return WeeklyPartitionsDefinition(start_date=self.start_date, timezone=self.timezone,
                                          day_offset=1)  # Monday

    @cached_property
    def ingest(self) -> WeeklyPartitionsDefinition:
        """The same ISO weeks plus the one in progress (its days so far, up to yesterday)."""
        return WeeklyPartitionsDefinition(start_date=self.start_date, timezone=self.timezone,
                                          day_offset=1, end_offset=1)

    def by_tag(self, kind: str) -> WeeklyPartitionsDefinition:
        """The definition an asset's ``partitions`` tag names."""
        return {WEEKLY: self.weekly, INGEST: self.ingest}[kind]

    @property
    def first_week(self) -> date:
        return monday(date.fromisoformat(self.start_date))


@cache
def partition_calendar(start_date: str, timezone: str) -> PartitionCalendar:
    """One calendar (and one set of partition definitions) per start date and time zone."""
    return PartitionCalendar(start_date, timezone)


def calendar_for(settings: Settings) -> PartitionCalendar:
    """The calendar of ``settings`` (KPI_START_DATE, KPI_TIMEZONE)."""
    return partition_calendar(settings.kpi_start_date, settings.kpi_timezone)


def parse_iso_week(label: str) -> date:
    """``2027-W18`` → the Monday of that ISO week. Raises ValueError with the expected form."""
    try:
        monday = datetime.strptime(label + "-1", "%G-W%V-%u").date()
    except ValueError:
        raise ValueError(f"{label!r} is not an ISO week like 2027-W18") from None
    if iso_week_label(monday) != label:  # e.g. 2025-W53 does not exist: strptime rolls over
        raise ValueError(f"{label!r} does not exist ({label[:4]} has no week {label[6:]})")
    return monday
