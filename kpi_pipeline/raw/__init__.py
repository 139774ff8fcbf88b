"""Raw layer: write what a source returned into ``raw.*`` tables, one replaced partition at a time."""

from kpi_pipeline.calendar import is_provisional, provisional_since, reload_from
from kpi_pipeline.raw.load import (
    WebLoadSummary,
    load_crm_days,
    load_web_days,
    load_web_weekly_users,
)

__all__ = [
    "WebLoadSummary",
    "is_provisional",
    "load_crm_days",
    "load_web_days",
    "load_web_weekly_users",
    "provisional_since",
    "reload_from",
]
