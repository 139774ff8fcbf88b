"""Data notes about what the warehouse holds: earlier days a corrected export changed, and days
missing inside the goals' periods (with the goals they affect)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from kpi_pipeline.delivery.report.model import ChangedDay, GoalGap
from kpi_pipeline.delivery.report.view.context import ViewContext
from kpi_pipeline.delivery.report.view.shared import metric_name

SHOWN_DAYS = 6  # changed days named in a note; the rest are counted
SHOWN_RANGES = 3  # runs of missing days named in a note
SHOWN_FIELDS = 2  # a revised day lists its changes up to this many, else counts them
_SOURCES = {"raw.crm_daily": "source_crm", "raw.custom_daily": "source_custom",
            "raw.ga4_daily": "source_web"}


def runs_of_days(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days folded into (first, last) runs, in order."""
    found: list[tuple[date, date]] = []
    for day in sorted(days):
        if found and day == found[-1][1] + timedelta(days=1):
            found[-1] = (found[-1][0], day)
        else:
            found.append((day, day))
    return found


def _run_text(ctx: ViewContext, run: tuple[date, date]) -> str:
    first, last = run
    if first == last:
        return ctx.f.short_date(first)
    return ctx.f.span(ctx.f.short_date(first), ctx.f.short_date(last))


def _revision(ctx: ViewContext, changes: Sequence[ChangedDay]) -> str:
    """「受注 3 → 5」 for a day's changes, or 「5項目」 when there are more than a few."""
    if len(changes) > SHOWN_FIELDS:
        return ctx.t("changed_fields", n=len(changes))
    return ctx.t("sep_items").join(
        ctx.t("changed_value", field=metric_name(c.field, ctx.lang),
              old=ctx.f.metric(c.field, c.old_value), new=ctx.f.metric(c.field, c.new_value))
        for c in changes)


def changed_day_notes(ctx: ViewContext) -> list[str]:
    """One note per raw table: the earlier days its export changed, old → new where short."""
    notes = []
    by_table: dict[str, dict[date, list[ChangedDay]]] = {}
    for change in ctx.data.changed_days:
        by_table.setdefault(change.asset, {}).setdefault(change.date, []).append(change)
    for table, days in by_table.items():
        added = [d for d, changes in days.items() if changes[0].change == "added"]
        parts = [ctx.t("changed_added", days=_run_text(ctx, run)) for run in runs_of_days(added)]
        parts += [ctx.t("changed_day", day=ctx.f.short_date(d), changes=_revision(ctx, changes))
                  for d, changes in sorted(days.items()) if changes[0].change != "added"]
        shown = parts[:SHOWN_DAYS] + ([ctx.t("and_more", n=len(parts) - SHOWN_DAYS)]
                                      if len(parts) > SHOWN_DAYS else [])
        notes.append(ctx.t("note_changed_days", source=ctx.t(_SOURCES.get(table, "source_crm")),
                           table=table, n=len(days), days=ctx.t("sep_items").join(shown)))
    return notes


def goal_gap_notes(ctx: ViewContext) -> list[str]:
    """One note per raw table (and custom metrics): the runs of days missing inside the goals'
    periods, and the goals they affect."""
    grouped: dict[tuple[str, str | None], list[GoalGap]] = {}
    for gap in ctx.data.goal_gaps:
        grouped.setdefault((gap.source_table, gap.custom_metrics), []).append(gap)
    notes = []
    for (table, custom), gaps in grouped.items():
        days = {d for g in gaps for d in g.missing_dates}
        runs = runs_of_days(days)
        shown = [_run_text(ctx, r) for r in runs[:SHOWN_RANGES]]
        if len(runs) > SHOWN_RANGES:
            shown.append(ctx.t("and_more_runs", n=len(runs) - SHOWN_RANGES))
        source = ctx.t(_SOURCES.get(table, "source_web"))
        if custom:
            source = ctx.t("source_custom_named", metrics=ctx.t("sep_items").join(
                metric_name(m, ctx.lang) for m in custom.split(", ")))
        notes.append(ctx.t("note_goal_gap", source=source, table=table,
                           days=ctx.t("sep_items").join(shown), n=len(days),
                           goals=ctx.t("sep_items").join(dict.fromkeys(g.name for g in gaps))))
    return notes
