"""`kpi-pipeline report`: render (and send) the check report of a week from the warehouse."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer
from rich.markup import escape

from kpi_pipeline.calendar import iso_week_label, week_starts_between
from kpi_pipeline.cli.app import EXIT_FAILURE, EXIT_USAGE, app, settings_or_exit
from kpi_pipeline.cli.pipeline_cmd import console, week_or_exit
from kpi_pipeline.config.settings import Settings


def render_weeks(settings: Settings, first_week: date, last_week: date,
                 formats: set[str] | None = None, site_id: str | None = None,
                 lang: str | None = None):
    """Render each site's reports of the weeks from the marts (in ``lang``, default each site's
    language), then rebuild the archive; returns (site, RenderedReport)."""
    import duckdb

    from kpi_pipeline.config.sites import SitesResource, configured_sites
    from kpi_pipeline.delivery.report.load import load_report_data
    from kpi_pipeline.delivery.report.render import render_report
    from kpi_pipeline.errors import UserError
    from kpi_pipeline.warehouse import connect

    sites = SitesResource(sites=configured_sites(settings))
    chosen = [s for s in sites.sites if site_id in (None, s.id)]
    if not chosen:
        console().print(f"[red]error:[/red] --site {site_id!r}: known sites are "
                        f"{', '.join(s.id for s in sites.sites)}")
        raise typer.Exit(EXIT_USAGE)
    if not settings.warehouse.exists():
        console().print(f"[red]error:[/red] no warehouse at {settings.warehouse.label()}: "
                        "run `kpi-pipeline demo` or `kpi-pipeline run` first")
        raise typer.Exit(EXIT_USAGE)
    weeks = week_starts_between(first_week, last_week + timedelta(days=6))
    con = connect(settings.warehouse, read_only=True)
    try:
        data = []
        for site in chosen:
            built = {row[0] for row in con.execute(
                "SELECT DISTINCT week_start FROM mart.kpi_progress WHERE site_id = ?",
                [site.id]).fetchall()}
            missing = [iso_week_label(w) for w in weeks if w not in built]
            if missing:
                console().print(f"[red]error:[/red] {site.id}: {', '.join(missing)} not built yet: "
                                f"run `kpi-pipeline run --week {missing[0]}` first")
                raise typer.Exit(EXIT_USAGE)
            try:
                data += [(site, load_report_data(con, site.id, w, site_label=site.label,
                                                 timezone=settings.kpi_timezone)) for w in weeks]
            except (duckdb.BinderException, duckdb.CatalogException) as exc:
                # a column or table a newer version adds: `run` upgrades the schema (report only reads)
                raise UserError(
                    f"the warehouse {settings.warehouse.label()} was built by an older kpi-pipeline "
                    f"({' '.join(str(exc).split())[:120]}): run `kpi-pipeline run --week "
                    f"{iso_week_label(weeks[-1])}` once to upgrade it (`kpi-pipeline backfill` "
                    "to rebuild past weeks with the new columns), then report again"
                ) from None
    finally:
        con.close()
    rendered = [
        (site, render_report(d, sites.week_folder(settings.reports_dir, site,
                                                  iso_week_label(d.week_start)),
                             formats=formats or {"html", "pdf"}, lang=lang or site.report_lang,
                             templates=settings.kpi_report_templates))
        for site, d in data
    ]
    rebuild_archive_for(settings, sites)
    return rendered


def rebuild_archive_for(settings: Settings, sites) -> None:
    """Rebuild ``reports/index.html`` (with the 52-week charts read from the warehouse)."""
    from kpi_pipeline.delivery.archive.index import rebuild_archive
    from kpi_pipeline.warehouse import connect

    con = connect(settings.warehouse, read_only=True)
    try:
        rebuild_archive(settings.reports_dir, sites.sites, multi=sites.multi, con=con,
                        templates=settings.kpi_report_templates)
    finally:
        con.close()


@app.command("report")
def report_command(
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2027-W18 (default: last complete week)")] = None,
    format: Annotated[str, typer.Option("--format", help="html, pdf or html,pdf")] = "html,pdf",
    send: Annotated[bool, typer.Option("--send", help="e-mail it (SMTP_* and REPORT_* settings)")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="write report.eml instead of sending")] = False,
    force: Annotated[bool, typer.Option("--force", help="send again a week already sent")] = False,
    site: Annotated[str | None, typer.Option(help="only this site (KPI_SITES); default: all")] = None,
    lang: Annotated[str | None, typer.Option(help="ja or en (default: REPORT_LANG or the site's); "
                                                  "languages sit side by side")] = None,
) -> None:
    """Render the weekly check report from the warehouse, and optionally e-mail it and post it
    to Slack/Teams (SLACK_WEBHOOK_URL, TEAMS_WEBHOOK_URL)."""
    from kpi_pipeline.delivery.chat.post import send_chat
    from kpi_pipeline.delivery.email.message import link_line
    from kpi_pipeline.delivery.resources import DeliveryResource

    settings = settings_or_exit()
    formats = {f.strip() for f in format.split(",") if f.strip()}
    if not formats or not formats <= {"html", "pdf"}:
        console().print(f"[red]error:[/red] --format: {format!r}; use html, pdf or html,pdf")
        raise typer.Exit(EXIT_USAGE)
    if lang not in (None, "ja", "en"):
        console().print(f"[red]error:[/red] --lang: {lang!r}; use ja or en")
        raise typer.Exit(EXIT_USAGE)
    monday = week_or_exit(week, settings)
    # the values a run resolves from its EnvVars (the password and webhooks), read once here
    delivery = DeliveryResource.from_settings(settings, resolved=True)
    chat = delivery.chat_targets() if send and not dry_run else []
    email = dry_run or (send and (delivery.email_configured or not chat))
    reports = render_weeks(settings, monday, monday, formats, site_id=site, lang=lang)
    if send and not dry_run and email:
        missing = [name for name, value in (("SMTP_HOST", delivery.smtp_host),
                                            ("REPORT_FROM", delivery.report_from)) if not value]
        missing += [f"REPORT_TO (or the report_to of site {chosen.id})"
                    for chosen, _ in reports if not (chosen.report_to or delivery.report_to)]
        if missing:
            console().print(f"[red]error:[/red] e-mail delivery needs {', '.join(missing)} to be set "
                            "(or set SLACK_WEBHOOK_URL / TEAMS_WEBHOOK_URL to post to chat only); "
                            "the rendered report is on disk")
            raise typer.Exit(EXIT_USAGE)
    typer.echo(f"archive: {(settings.reports_dir / 'index.html').resolve()}")
    failed = False
    for chosen, report in reports:
        for path in (report.html, report.pdf):
            if path:
                typer.echo(f"report: {path.resolve()}")
        link = delivery.link(report.html or report.pdf or report.out_dir, settings.reports_dir)
        if email:
            failed |= not _email(report, delivery.config_for(chosen, preview=dry_run),
                                 dry_run=dry_run, force=force, link=link)
        for result in send_chat(report, chat, link=link, force=force):
            if result.error:
                console().print(f"[red]{result.channel} failed:[/red] {escape(result.error)}",
                                highlight=False)
                failed = True
            else:
                typer.echo(f"{result.channel}: {result.outcome}")
        if send and not dry_run:
            typer.echo(link_line(link, report.lang))
    if failed:
        raise typer.Exit(EXIT_FAILURE)


def _email(report, config, *, dry_run: bool, force: bool, link: str) -> bool:
    """E-mail one report (or write its .eml on a dry run); prints what happened."""
    from kpi_pipeline.delivery.email.send import AlreadySentError, send_report
    from kpi_pipeline.delivery.email.smtp_transport import DeliveryError

    try:
        result = send_report(report, config, dry_run=dry_run, force=force, link=link)
    except AlreadySentError as exc:  # as for chat: a re-run only delivers what is missing
        typer.echo(f"e-mail: {exc}".replace("force=True (--force)", "--force"))
        return True
    except DeliveryError as exc:
        console().print(f"[red]e-mail failed:[/red] {escape(str(exc))}", highlight=False)
        return False
    if result.dry_run:
        typer.echo(f"e-mail (not sent): {result.eml_path.resolve()}")
    else:
        typer.echo(f"sent {result.subject!r} via {result.server} to {', '.join(result.accepted)}")
    return True
