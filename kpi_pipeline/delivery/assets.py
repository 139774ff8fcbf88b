"""Delivery assets: the weekly check report (HTML + PDF) and its e-mail."""
# No `from __future__ import annotations` here: Dagster inspects the context annotation at runtime.

from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
    MetadataValue,
)

from kpi_pipeline.config.sites import SiteConfig, SitesResource
from kpi_pipeline.delivery.archive.index import build_top_index, site_index_folder
from kpi_pipeline.delivery.chat.post import send_chat
from kpi_pipeline.delivery.email.send import AlreadySentError, send_report
from kpi_pipeline.delivery.email.smtp_transport import DeliveryError
from kpi_pipeline.delivery.paths import INDEX
from kpi_pipeline.delivery.report.render import RenderedReport
from kpi_pipeline.delivery.resources import DeliveryResource
from kpi_pipeline.delivery.sent_marker import read_sent_marker
from kpi_pipeline.delivery.site_reports import (
    index_job,
    report_job,
    run_jobs,
    start_workers,
    usable_cores,
)
from kpi_pipeline.orchestration.asset_defaults import weekly_asset
from kpi_pipeline.orchestration.partitions import (
    iso_week_label,
    week_starts_between,
)
from kpi_pipeline.orchestration.resources import WarehouseResource
from kpi_pipeline.orchestration.run_window import partition_days

GROUP = "delivery"
REPORT_INPUTS = [AssetKey(["mart", name]) for name in
                 ("aarrr_weekly", "kpi_progress", "funnel_plan", "metric_anomalies", "goal_drivers",
                  "measure_effects", "do_check")]


@weekly_asset(
    key=["delivery", "weekly_report"],
    group=GROUP,
    kinds={"html", "pdf"},
    deps=REPORT_INPUTS,
    description=(
        "The weekly KPI check report for the ISO week: summary (KGI status, KPIs on track / at "
        "risk / off track, biggest change), KPI table, AARRR phases vs last week and last year, "
        "reverse funnel, Act hints, data notes. HTML and PDF (Japanese by default) under "
        "$KPI_HOME/reports/<ISO week>/ (English beside it as report.en.html), and the archive "
        "$KPI_HOME/reports/index.html: every week, newest first, with 52-week trends."
    ),
)
def weekly_report(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    sites: SitesResource,
    delivery: DeliveryResource,
) -> MaterializeResult:
    date_from, date_to = partition_days(context)
    weeks = week_starts_between(date_from, date_to)
    root = warehouse.reports_dir
    workers = delivery.report_workers or usable_cores()
    start_workers(workers, len(sites.selected) * len(weeks))  # they start while the data is read
    with warehouse.connection() as con:  # everything the reports show, read at once
        jobs = [report_job(con, site, week, out_dir=sites.week_folder(root, site, iso_week_label(week)),
                           formats=delivery.formats, timezone=warehouse.timezone,
                           templates=delivery.templates_path)
                for site in sites.selected for week in weeks]
        # the archive index of each site rendered now (the other sites keep theirs)
        indexes = [index_job(con, site, site_index_folder(root, site, multi=sites.multi),
                             weeks, top_index=sites.multi, templates=delivery.templates_path)
                   for site in sites.selected]
    reports = run_jobs(jobs, indexes, workers=workers)
    rendered: dict[str, RenderedReport] = {}
    for job, report in zip(jobs, reports, strict=True):
        context.log.info(f"{report.site_id} {report.iso_week}: {report.subject} → {job.out_dir}")
        rendered[report.site_id] = report  # the last week of each site
    index = build_top_index(root, sites.sites, templates=delivery.templates_path) if sites.multi \
        else root / INDEX
    metadata: dict[str, object] = {"weeks": len(weeks), "sites": len(rendered),
                                   "report_workers": min(workers, len(jobs)),
                                   "archive": MetadataValue.path(str(index))}
    for site_id, report in rendered.items():
        prefix = f"{site_id}/" if sites.multi else ""
        metadata[f"{prefix}subject"] = report.subject
        metadata[f"{prefix}status_counts"] = MetadataValue.json(report.status_counts)
        for kind, path in (("html", report.html), ("pdf", report.pdf)):
            if path:
                metadata[f"{prefix}{kind}"] = MetadataValue.path(str(path))
    return MaterializeResult(metadata=metadata)


@weekly_asset(
    key=["delivery", "report_email"],
    pool=None,
    group=GROUP,
    kinds={"email"},
    deps=[weekly_report],
    description=(
        "E-mails the week's report (HTML with inline PNG charts, plain text, PDF attached, a "
        "link to the HTML report) to REPORT_TO/REPORT_CC via SMTP_*, and posts a summary to "
        "Slack/Teams when SLACK_WEBHOOK_URL/TEAMS_WEBHOOK_URL are set. Without SMTP settings it "
        "writes report.eml instead. A week already sent (per channel) is not sent again (use "
        "`kpi-pipeline report --send --force`); backfills over several weeks never send."
    ),
)
def report_email(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    sites: SitesResource,
    delivery: DeliveryResource,
) -> MaterializeResult:
    date_from, date_to = partition_days(context)
    weeks = week_starts_between(date_from, date_to)
    if len(weeks) > 1:
        context.log.info(f"backfill of {len(weeks)} weeks: reports are not e-mailed")
        return MaterializeResult(metadata={"sent": False, "reason": "backfill range"})
    outcome: dict[str, str] = {}
    chat: dict[str, dict[str, str]] = {}
    failures: list[str] = []
    for site in sites.selected:
        out_dir = sites.week_folder(warehouse.reports_dir, site, iso_week_label(weeks[0]))
        try:
            outcome[site.id] = _deliver(context, delivery, site, out_dir,
                                        _link(delivery, warehouse.reports_dir, out_dir, site))
        except (DeliveryError, ValueError) as exc:
            failures.append(f"{site.id}: {exc} The rendered report stays in {out_dir}.")
            outcome[site.id] = "failed"
        chat[site.id], chat_failures = _post_chat(context, delivery, warehouse.reports_dir,
                                                  site, out_dir)
        failures += chat_failures
    if failures:
        # every site was tried; the run fails so ops see it (and the failure alert fires)
        raise Failure(description="\n".join(failures),
                      metadata={"outcome": MetadataValue.json(outcome),
                                "chat": MetadataValue.json(chat)})
    return MaterializeResult(metadata={"outcome": MetadataValue.json(outcome),
                                       "chat": MetadataValue.json(chat)})


def _link(delivery: DeliveryResource, reports_root: Path, out_dir: Path, site: SiteConfig) -> str:
    """Where readers open the week's HTML report (its PDF when only a PDF was rendered)."""
    report = RenderedReport.load(out_dir, site.report_lang)
    return delivery.link(report.html or report.pdf or out_dir, reports_root)


def _post_chat(context: AssetExecutionContext, delivery: DeliveryResource, reports_root: Path,
               site: SiteConfig, out_dir: Path) -> tuple[dict[str, str], list[str]]:
    """Post one site's week to each configured chat channel; (outcome per channel, failures)."""
    targets = delivery.chat_targets()
    if not targets:
        return {}, []
    try:
        report = RenderedReport.load(out_dir, site.report_lang)
    except (OSError, ValueError, KeyError) as exc:  # no (readable) report: nothing to post
        return ({t.channel: "failed" for t in targets},
                [f"{site.id}: no rendered report to post in {out_dir} ({exc.__class__.__name__})"])
    results = send_chat(report, targets, link=_link(delivery, reports_root, out_dir, site))
    for r in results:
        context.log.info(f"{site.id}: {r.channel}: {r.error or r.outcome}")
    return ({r.channel: r.outcome for r in results},
            [f"{site.id}: {r.error}" for r in results if r.error])


def _deliver(context: AssetExecutionContext, delivery: DeliveryResource, site: SiteConfig,
             out_dir: Path, link: str) -> str:
    """Send one site's report (or write report.eml when e-mail is not configured)."""
    if not delivery.can_send(site):
        # still produce the message, so ops can inspect exactly what would be sent
        result = send_report(out_dir, delivery.config_for(site, preview=True), dry_run=True,
                             lang=site.report_lang, link=link)
        context.log.info(f"{site.id}: SMTP_HOST/REPORT_FROM/REPORT_TO not set: wrote {result.eml_path}")
        return f"not configured: wrote {result.eml_path}"
    marker = read_sent_marker(out_dir, site.report_lang)
    if marker is not None:
        context.log.info(f"{site.id}: {out_dir.name} was already sent on {marker.get('sent_at')}")
        return f"already sent on {marker.get('sent_at')}"
    try:
        result = send_report(out_dir, delivery.config_for(site), lang=site.report_lang, link=link)
    except AlreadySentError as exc:
        return str(exc)
    context.log.info(f"{site.id}: sent {result.subject!r} via {result.server} to {', '.join(result.accepted)}")
    return f"sent to {', '.join(result.accepted)}"
