"""Schedules, built from the partitioned jobs so each tick targets the right partition.

Both run in the partitions' time zone (``KPI_TIMEZONE``) and start switched off: turn them on
in the Dagster UI (Automation) once the targets file and sources are set up. They only run
under ``dagster-daemon`` (``dagster dev`` starts one).
"""

from datetime import timedelta

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    build_schedule_from_partitioned_job,
    schedule,
)

from kpi_pipeline.calendar import monday
from kpi_pipeline.orchestration.jobs import daily_ingest_job, weekly_pipeline_job


def build_schedules(timezone: str) -> list[ScheduleDefinition]:
    """Both schedules in ``timezone`` (KPI_TIMEZONE, from the settings: the definitions loader)."""

    # 05:00 every day: load the week holding yesterday (its days up to yesterday); the loader
    # also re-reads the look-back window (GA4 late data). On Mondays that is last week, complete.
    @schedule(
        name="daily_ingest_schedule",
        cron_schedule="0 5 * * *",
        job=daily_ingest_job,
        execution_timezone=timezone,
        default_status=DefaultScheduleStatus.STOPPED,
        description="Every day at 05:00 (KPI_TIMEZONE): ingest the week so far up to yesterday "
        "and re-read the look-back window.",
    )
    def daily_ingest_schedule(context: ScheduleEvaluationContext) -> RunRequest:
        yesterday = (context.scheduled_execution_time - timedelta(days=1)).date()
        week = monday(yesterday).isoformat()
        return RunRequest(run_key=f"{week}@{yesterday}", partition_key=week)

    # Monday 09:00: marts, KPI progress, report and e-mail for the week that ended on Sunday
    # (the partitions' time zone: the job's partitions come from its assets).
    weekly_pipeline_schedule = build_schedule_from_partitioned_job(
        weekly_pipeline_job,
        name="weekly_report_schedule",
        day_of_week=1,
        hour_of_day=9,
        minute_of_hour=0,
        default_status=DefaultScheduleStatus.STOPPED,
        description="Every Monday at 09:00 (KPI_TIMEZONE): the weekly check for last week.",
    )
    return [daily_ingest_schedule, weekly_pipeline_schedule]
