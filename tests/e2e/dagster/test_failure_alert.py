"""A failed run e-mails ops (real SMTP server on loopback); without SMTP the sensor is inactive."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    DefaultSensorStatus,
    SkipReason,
    build_run_status_sensor_context,
)
from fixtures.report.smtp import RecordingHandler, smtp_server

from kpi_pipeline.config.settings import Settings
from kpi_pipeline.definitions import build_definitions
from kpi_pipeline.delivery.alerts import build_failure_sensor
from kpi_pipeline.delivery.resources import DeliveryResource
from kpi_pipeline.orchestration.runner import PipelineRunError, ingest_days, run_weeks

pytestmark = pytest.mark.slow

WEEK = date(2026, 11, 16)


def _failed_run(tmp_path: Path) -> tuple[DagsterInstance, object, object]:
    """A real weekly run that fails: the targets file has a wrong metric."""
    broken = tmp_path / "targets.yaml"
    broken.write_text(
        "timezone: Asia/Tokyo\nkpis:\n  - id: k\n    name: x\n    metric: sessionz\n"
        "    start: 2026-10-01\n    deadline: 2026-12-31\n    baseline: {value: 100}\n"
        "    target: {value: 200}\n", encoding="utf-8")
    settings = Settings.from_env({"KPI_HOME": str(tmp_path / "home"), "KPI_TARGETS": str(broken)})
    defs = build_definitions(settings)
    instance = DagsterInstance.ephemeral()
    ingest_days(defs, instance, WEEK, date(2026, 11, 22))
    with pytest.raises(PipelineRunError, match="targets.yaml"):
        run_weeks(defs, instance, WEEK, WEEK, selection=[
            AssetKey(["mart", "metrics_daily"]), AssetKey(["mart", "kpi_progress"])])
    run = instance.get_runs(limit=1)[0]
    record = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.RUN_FAILURE).records[0]
    return instance, run, record.event_log_entry.dagster_event


def test_a_failed_run_emails_ops_the_failing_step_and_its_error(tmp_path: Path) -> None:
    instance, run, event = _failed_run(tmp_path)
    handler = RecordingHandler()
    with smtp_server(handler) as port:
        delivery = DeliveryResource(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none",
                                    report_from="kpi@example.com", report_to="ops@example.com")
        sensor = build_failure_sensor(email_configured=True)
        context = build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_instance=instance, dagster_run=run,
            dagster_event=event, resources={"delivery": delivery},
        ).for_run_failure()
        sensor(context)
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    (mail,) = handler.received
    assert mail.rcpt_tos == ["ops@example.com"]
    assert "run failed: weekly_pipeline 2026-11-16" in mail.message["Subject"]
    body = mail.message.get_content()
    assert "mart__kpi_progress" in body
    assert "targets.yaml:1: kgis: missing required field" in body
    assert run.run_id in body


def test_without_smtp_the_alert_sensor_is_off_and_skips(tmp_path: Path) -> None:
    instance, run, event = _failed_run(tmp_path)
    sensor = build_failure_sensor(email_configured=False)
    context = build_run_status_sensor_context(
        sensor_name=sensor.name, dagster_instance=instance, dagster_run=run,
        dagster_event=event, resources={"delivery": DeliveryResource()},
    ).for_run_failure()
    assert sensor.default_status == DefaultSensorStatus.STOPPED
    assert isinstance(sensor(context), SkipReason)



def test_a_backfill_launched_from_the_asset_pages_is_named_after_the_weekly_job(tmp_path: Path) -> None:
    # the UI runs asset backfills as Dagster's hidden __ASSET_JOB; ops know the job by its name
    from kpi_pipeline.delivery.alerts import failure_message, job_label
    from kpi_pipeline.delivery.email.smtp_config import SmtpConfig

    broken = tmp_path / "targets.yaml"
    broken.write_text("timezone: Asia/Tokyo\nkpis: []\n", encoding="utf-8")
    settings = Settings.from_env({"KPI_HOME": str(tmp_path / "home"), "KPI_TARGETS": str(broken)})
    defs = build_definitions(settings)
    instance = DagsterInstance.ephemeral()
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, asset_selection=[AssetKey(["mart", "kpi_progress"])],
        partition_key=WEEK.isoformat(), raise_on_error=False)
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    record = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.RUN_FAILURE).records[0]
    context = build_run_status_sensor_context(
        sensor_name="email_ops_on_run_failure", dagster_instance=instance, dagster_run=run,
        dagster_event=record.event_log_entry.dagster_event, resources={"delivery": DeliveryResource()},
    ).for_run_failure()
    message = failure_message(context, SmtpConfig(host="127.0.0.1", sender="kpi@example.com",
                                                  to=("ops@example.com",)))
    assert run.job_name.startswith("__ASSET_JOB") and job_label(run) == "weekly_pipeline"
    assert "run failed: weekly_pipeline 2026-11-16" in message["Subject"]
    assert "Job: weekly_pipeline" in message.get_content()
    assert "Open:" not in message.get_content()  # no DAGSTER_WEBSERVER_URL: no link
    linked = failure_message(context, SmtpConfig(host="127.0.0.1", sender="kpi@example.com",
                                                 to=("ops@example.com",)),
                             Settings.from_env({"DAGSTER_WEBSERVER_URL": "https://dagster.example.com/"})
                             .dagster_webserver_url)
    assert f"Open: https://dagster.example.com/runs/{run.run_id}" in linked.get_content()
