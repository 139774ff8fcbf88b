"""Delivery assets: the weekly check report (HTML + PDF) and its e-mail."""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from kpi_pipeline.delivery.email import (
    AlreadySentError,
    DeliveryError,
    read_sent_marker,
    send_report,
)
from kpi_pipeline.delivery.load import load_report_data
from kpi_pipeline.delivery.render import RenderedReport, render_report, report_dir
from kpi_pipeline.delivery.resources import DeliveryResource
from kpi_pipeline.partitions import (
    iso_week_label,
    single_run,
    week_starts_between,
    weekly_partitions,
)
from kpi_pipeline.resources import WarehouseResource
from kpi_pipeline.windows import partition_days

GROUP = "delivery"
REPORT_INPUTS = [AssetKey(["mart", name]) for name in
                 ("aarrr_weekly", "kpi_progress", "funnel_plan", "metric_anomalies")]


@asset(
    key=["delivery", "weekly_report"],
    group_name=GROUP,
    kinds={"html", "pdf"},
    partitions_def=weekly_partitions,
    backfill_policy=single_run,
    deps=REPORT_INPUTS,
    description=(
        "The weekly KPI check report for the ISO week: summary (KGI status, KPIs on track / at "
        "risk / off track, biggest change), KPI table, AARRR phases vs last week and last year, "
        "reverse funnel, Act hints, data notes. HTML and PDF (Japanese by default) under "
        "$KPI_HOME/reports/<ISO week>/."
    ),
)
def weekly_report(
    context: AssetExecutionContext, warehouse: WarehouseResource, delivery: DeliveryResource
) -> MaterializeResult:
    date_from, date_to = partition_days(context)
    rendered: list[RenderedReport] = []
    with warehouse.connection() as con:
        data = [load_report_data(con, warehouse.site_id, week)
                for week in week_starts_between(date_from, date_to)]
    for week_data in data:
        out_dir = report_dir(warehouse.reports_dir, iso_week_label(week_data.week_start))
        report = render_report(week_data, out_dir, formats=set(delivery.formats), lang=delivery.lang)
        context.log.info(f"{report.iso_week}: {report.subject} → {out_dir}")
        rendered.append(report)
    last = rendered[-1]
    metadata = {
        "weeks": len(rendered),
        "subject": last.subject,
        "report_dir": MetadataValue.path(str(last.out_dir)),
        "status_counts": MetadataValue.json(last.status_counts),
    }
    if last.html:
        metadata["html"] = MetadataValue.path(str(last.html))
    if last.pdf:
        metadata["pdf"] = MetadataValue.path(str(last.pdf))
    return MaterializeResult(metadata=metadata)


@asset(
    key=["delivery", "report_email"],
    group_name=GROUP,
    kinds={"email"},
    partitions_def=weekly_partitions,
    backfill_policy=single_run,
    deps=[weekly_report],
    description=(
        "E-mails the week's report (HTML with inline PNG charts, plain text, PDF attached) to "
        "REPORT_TO/REPORT_CC via SMTP_*. Without SMTP settings it writes report.eml instead. A "
        "week already sent is not sent again (use `kpi-pipeline report --send --force`); "
        "backfills over several weeks never send."
    ),
)
def report_email(
    context: AssetExecutionContext, warehouse: WarehouseResource, delivery: DeliveryResource
) -> MaterializeResult:
    date_from, date_to = partition_days(context)
    weeks = week_starts_between(date_from, date_to)
    if len(weeks) > 1:
        context.log.info(f"backfill of {len(weeks)} weeks: reports are not e-mailed")
        return MaterializeResult(metadata={"sent": False, "reason": "backfill range"})
    out_dir = report_dir(warehouse.reports_dir, iso_week_label(weeks[0]))
    if not delivery.email_configured:
        # still produce the message, so ops can inspect exactly what would be sent
        from kpi_pipeline.delivery.email import SmtpConfig

        preview = SmtpConfig(host="localhost", sender=delivery.report_from or "kpi-pipeline@localhost",
                             to=(delivery.report_to or "team@localhost",))
        result = send_report(out_dir, preview, dry_run=True)
        context.log.info(f"SMTP_HOST/REPORT_FROM/REPORT_TO not set: wrote {result.eml_path}")
        return MaterializeResult(metadata={"sent": False, "reason": "e-mail not configured",
                                           "eml": MetadataValue.path(str(result.eml_path))})
    marker = read_sent_marker(out_dir)
    if marker is not None:
        context.log.info(f"{out_dir.name} was already sent on {marker.get('sent_at')}; not re-sending")
        return MaterializeResult(metadata={"sent": False, "reason": "already sent",
                                           "sent_at": str(marker.get("sent_at"))})
    try:
        result = send_report(out_dir, delivery.smtp_config())
    except AlreadySentError as exc:
        return MaterializeResult(metadata={"sent": False, "reason": str(exc)})
    except (DeliveryError, ValueError) as exc:
        raise Failure(description=f"{exc} The rendered report stays in {out_dir}.") from None
    context.log.info(f"sent {result.subject!r} via {result.server} to {', '.join(result.accepted)}")
    return MaterializeResult(metadata={
        "sent": True, "subject": result.subject, "server": result.server,
        "recipients": MetadataValue.json(list(result.accepted)), "message_id": result.message_id,
    })
