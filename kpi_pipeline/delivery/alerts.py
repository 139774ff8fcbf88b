"""Failure alerts: when a run fails, e-mail ops what failed and where, using the SMTP settings."""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from dataclasses import replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from dagster import (
    DagsterRun,
    DefaultSensorStatus,
    RunFailureSensorContext,
    SkipReason,
    run_failure_sensor,
)

from kpi_pipeline.delivery.email.addresses import header_text
from kpi_pipeline.delivery.email.smtp_config import SmtpConfig
from kpi_pipeline.delivery.email.smtp_transport import deliver
from kpi_pipeline.delivery.resources import DeliveryResource
from kpi_pipeline.orchestration.jobs import METRIC_CATALOG, RAW_DAILY_KEYS
from kpi_pipeline.orchestration.run_errors import step_error

IMPLICIT_ASSET_JOB = "__ASSET_JOB"  # Dagster's name for runs launched from asset pages


def job_label(run: DagsterRun) -> str:
    """The job ops know for a run. Backfills and "Materialize" from the UI's asset pages run as
    Dagster's hidden ``__ASSET_JOB``; they are named after the job with the same assets."""
    if not run.job_name.startswith(IMPLICIT_ASSET_JOB):
        return run.job_name
    keys = set(run.asset_selection or ())
    if keys and keys <= set(RAW_DAILY_KEYS):
        return "daily_ingest"
    if keys == {METRIC_CATALOG}:
        return "metric_catalog"
    return "weekly_pipeline"


def failure_message(context: RunFailureSensorContext, config: SmtpConfig,
                    webserver_url: str | None = None) -> EmailMessage:
    """Plain-text alert naming the job, partition, run and each failed step's error; with
    ``webserver_url`` (``DAGSTER_WEBSERVER_URL``) a link to the run."""
    run = context.dagster_run
    partition = run.tags.get("dagster/partition") or "..".join(
        filter(None, (run.tags.get("dagster/asset_partition_range_start"),
                      run.tags.get("dagster/asset_partition_range_end")))
    )
    job = job_label(run)
    lines = [f"Job: {job}", f"Run: {run.run_id}"]
    if partition:
        lines.append(f"Partition: {partition}")
    if webserver_url:
        lines.append(f"Open: {webserver_url.rstrip('/')}/runs/{run.run_id}")
    lines.append("")
    for event in context.get_step_failure_events():
        lines.append(f"Step {event.step_key} failed: {step_error(event)}")
    if context.failure_event.message:
        lines.append("")
        lines.append(context.failure_event.message)
    msg = EmailMessage()
    msg["Subject"] = header_text(f"[kpi-pipeline] run failed: {job} {partition}".strip())
    msg["From"] = config.sender
    msg["To"] = ", ".join(config.to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="kpi-pipeline")
    msg.set_content("\n".join(lines))
    return msg


def alert_config(delivery: DeliveryResource) -> SmtpConfig | None:
    """SMTP settings with ops (ALERT_TO, else REPORT_TO) as recipients; None if not configured."""
    if not delivery.alerts_configured:
        return None
    # alerts are for ops only: no report CCs
    return replace(delivery.smtp_config(to=delivery.alert_to or delivery.report_to), cc=())


def build_failure_sensor(email_configured: bool):
    """The sensor; running by default only when SMTP settings exist (inactive otherwise)."""

    @run_failure_sensor(
        name="email_ops_on_run_failure",
        description="E-mails ops (ALERT_TO, else REPORT_TO) when a run fails: job, partition, "
        "failed steps and their errors. Inactive when SMTP is not configured.",
        default_status=DefaultSensorStatus.RUNNING if email_configured else DefaultSensorStatus.STOPPED,
        monitor_all_code_locations=False,
    )
    def email_ops_on_run_failure(context: RunFailureSensorContext, delivery: DeliveryResource):
        config = alert_config(delivery)
        if config is None:
            return SkipReason("SMTP_HOST, REPORT_FROM or REPORT_TO is not set")
        deliver(failure_message(context, config, delivery.webserver_url), config, None, "the Dagster run log")
        context.log.info(f"failure alert for run {context.dagster_run.run_id} sent via {config.server}")
        return None

    return email_ops_on_run_failure


__all__ = ["alert_config", "build_failure_sensor", "failure_message", "job_label"]
