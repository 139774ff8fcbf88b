"""Shared partition definitions: ISO weeks, for raw ingest and for everything from the marts on.

Raw ingest is partitioned by week too, not by day (docs/design-notes.md): a two-year load is
~100 partitions instead of ~730, each a Dagster event or two per asset, and the UI's status per
week is what ops act on. Its partitions include the current week, which the daily schedule
loads day by day (up to yesterday). Both are in the reporting time zone (``KPI_TIMEZONE``,
default Asia/Tokyo). Weeks start on Monday (ISO weeks); a weekly partition key is the Monday's
date, e.g. ``2026-11-16`` (= ``2026-W47``, see :func:`iso_week_label`).
"""

from __future__ import annotations

import warnings
from datetime import date, datetime

from dagster import BackfillPolicy, BetaWarning, WeeklyPartitionsDefinition

# single-run backfill policies are a documented, stable part of our design; silence the beta note
warnings.filterwarnings("ignore", category=BetaWarning)

from kpi_pipeline.calendar import (  # noqa: E402, F401 (re-exported)
    iso_week_label,
    week_end,
    week_starts_between,
)
from kpi_pipeline.settings import partition_calendar  # noqa: E402 (after the warning filter)

# Partitions exist from this day on (KPI_START_DATE); the demo source has data for every day since.
PARTITIONS_START, TIMEZONE = partition_calendar()

weekly_partitions = WeeklyPartitionsDefinition(
    start_date=PARTITIONS_START, timezone=TIMEZONE, day_offset=1  # Monday
)
# raw ingest: the same ISO weeks plus the one in progress (its days so far, up to yesterday)
ingest_partitions = WeeklyPartitionsDefinition(
    start_date=PARTITIONS_START, timezone=TIMEZONE, day_offset=1, end_offset=1
)

# A backfill over any range runs as one run per asset that reads the partition time window.
single_run = BackfillPolicy.single_run()


def parse_iso_week(label: str) -> date:
    """``2027-W18`` → the Monday of that ISO week. Raises ValueError with the expected form."""
    try:
        monday = datetime.strptime(label + "-1", "%G-W%V-%u").date()
    except ValueError:
        raise ValueError(f"{label!r} is not an ISO week like 2027-W18") from None
    if iso_week_label(monday) != label:  # e.g. 2025-W53 does not exist: strptime rolls over
        raise ValueError(f"{label!r} does not exist ({label[:4]} has no week {label[6:]})")
    return monday
