"""Schedules, built from the partitioned jobs so each tick targets the right partition.

Both run in the partitions' time zone (``KPI_TIMEZONE``) and start switched off: turn them on
in the Dagster UI (Automation) once the targets file and sources are set up. They only run
under ``dagster-daemon`` (``dagster dev`` starts one).
"""

from dagster import DefaultScheduleStatus, build_schedule_from_partitioned_job

from kpi_pipeline.jobs import daily_ingest_job, weekly_pipeline_job

# 05:00 every day: load yesterday; the loader also re-reads the look-back window (GA4 late data).
daily_ingest_schedule = build_schedule_from_partitioned_job(
    daily_ingest_job,
    name="daily_ingest_schedule",
    hour_of_day=5,
    minute_of_hour=0,
    default_status=DefaultScheduleStatus.STOPPED,
    description="Every day at 05:00 (KPI_TIMEZONE): ingest yesterday and re-read the look-back window.",
)

# Monday 09:00: marts, KPI progress, report and e-mail for the week that ended on Sunday.
weekly_pipeline_schedule = build_schedule_from_partitioned_job(
    weekly_pipeline_job,
    name="weekly_report_schedule",
    day_of_week=1,
    hour_of_day=9,
    minute_of_hour=0,
    default_status=DefaultScheduleStatus.STOPPED,
    description="Every Monday at 09:00 (KPI_TIMEZONE): the weekly check for last week.",
)

ALL_SCHEDULES = [daily_ingest_schedule, weekly_pipeline_schedule]
