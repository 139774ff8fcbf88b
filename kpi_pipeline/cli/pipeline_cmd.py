"""Pipeline commands: demo, run, backfill, query."""

from __future__ import annotations

import shutil
import sys
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from kpi_pipeline.calendar import iso_week_label
from kpi_pipeline.cli.app import EXIT_USAGE, app, settings_or_exit
from kpi_pipeline.config.settings import Settings
from kpi_pipeline.config.warehouse_location import scrub


@cache
def console() -> Console:
    """Messages on stderr; built on first use, so its width and colours follow the environment
    the command runs in (COLUMNS, NO_COLOR, TERM), not the one the module was imported in."""
    return Console(stderr=True)


DEMO_YEARS_OF_DATA = 2


def week_or_exit(label: str | None, settings: Settings, option: str = "--week") -> date:
    """A complete ISO week the pipeline has partitions for, or exit 2 saying which exist."""
    from kpi_pipeline.calendar import last_complete_week
    from kpi_pipeline.orchestration.partitions import calendar_for, parse_iso_week

    last = last_complete_week(_today(settings))
    if label is None:
        return last
    try:
        week = parse_iso_week(label)
    except ValueError as exc:
        console().print(f"[red]error:[/red] {option}: {exc}")
        raise typer.Exit(EXIT_USAGE) from None
    first = calendar_for(settings).first_week
    if not first <= week <= last:
        console().print(
            f"[red]error:[/red] {option}: {label} is outside the weeks the pipeline can build: "
            f"{iso_week_label(first)} (KPI_START_DATE) to {iso_week_label(last)} (the last "
            "complete week)"
        )
        raise typer.Exit(EXIT_USAGE)
    return week


def _today(settings: Settings) -> date:
    from datetime import datetime

    return datetime.now(settings.tz).date()


def _check_inputs(settings: Settings) -> None:
    """Validate the sites file, every site's targets file and CRM CSV before any run starts.

    A mistake raises the file's own error (exit 2 with file:line: field) here, instead of a
    failed Dagster step later.
    """
    from kpi_pipeline.config.sites import configured_sites
    from kpi_pipeline.sources.crm import read_crm_csv
    from kpi_pipeline.targets import load_targets, timezone_mismatch

    sites = configured_sites(settings)
    for path in dict.fromkeys(Path(site.targets) for site in sites):
        mismatch = timezone_mismatch(load_targets(path), settings.kpi_timezone)
        if mismatch:
            console().print(f"[yellow]warning:[/yellow] {mismatch}")
    for site in sites:
        if site.crm_csv:
            read_crm_csv(Path(site.crm_csv), site.id)
    _check_lake(settings)


def _check_lake(settings: Settings) -> None:
    """Open a DuckLake warehouse once before any run: an unreachable catalog, or a data path
    whose key, region or endpoint is wrong, is a LakeError (exit 2 naming it), not a failed step."""
    location = settings.warehouse
    if location.is_lake:
        from kpi_pipeline.warehouse import connect

        connect(location).close()  # a new catalog is initialised here, as the run would


def run_pipeline(settings: Settings, first_week: date, last_week: date, *,
                 ingest_from: date | None = None, ingest_to: date | None = None,
                 reports: bool = True, site: str | None = None) -> None:
    """Ingest the days of the weeks, then the weekly pipeline; used by run, backfill and demo.

    One week with ``reports`` is one full weekly run (what the schedule does). A range is one
    single-run backfill of every table; with ``reports`` the last week's report and e-mail
    then run on their own (a second full run of that week would rebuild the same rows).
    ``site`` (``--site``) tags every run ``kpi/site``, exactly as a run launched so from the
    Dagster UI.
    """
    from kpi_pipeline.definitions import build_definitions
    from kpi_pipeline.orchestration.runner import (
        command_turn,
        delivery_only,
        ensure_catalog,
        ingest_days,
        instance_for_cli,
        run_weeks,
        without_delivery,
    )

    defs = build_definitions(settings)
    yesterday = _today(settings) - timedelta(days=1)
    day_from = ingest_from or first_week
    day_to = min(ingest_to or last_week + timedelta(days=6), yesterday)
    level = settings.kpi_log_level
    with instance_for_cli(settings) as instance, command_turn(instance):
        ensure_catalog(defs, instance, log_level=level)
        ingest_days(defs, instance, day_from, day_to, log_level=level, site=site)
        if reports and first_week == last_week:
            run_weeks(defs, instance, last_week, last_week, log_level=level, site=site)
            return
        run_weeks(defs, instance, first_week, last_week, selection=without_delivery(defs),
                  log_level=level, site=site)
        if reports:
            run_weeks(defs, instance, last_week, last_week, selection=delivery_only(defs),
                      log_level=level, site=site)


SiteOption = Annotated[str | None, typer.Option(
    "--site", help="only this site of KPI_SITES (the other sites' rows are not touched)")]


def _known_site(settings: Settings, site: str | None) -> str | None:
    """``--site`` checked against the configured sites (exit 2 naming the known ones) before a
    run starts; the runs then carry it as their ``kpi/site`` tag."""
    if site is None:
        return None
    from kpi_pipeline.config.sites import SitesError, configured_sites, select_site

    try:
        select_site(configured_sites(settings), site)
    except SitesError as exc:
        console().print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    return site


@app.command("run")
def run_command(
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2027-W18 (default: last complete week)")] = None,
    site: SiteOption = None,
) -> None:
    """Materialize every asset for one ISO week: ingest, marts, KPI progress, report."""
    settings = settings_or_exit()
    site = _known_site(settings, site)
    _check_inputs(settings)
    monday = week_or_exit(week, settings)
    console().print(f"running {iso_week_label(monday)} ({monday}..{monday + timedelta(days=6)})")
    run_pipeline(settings, monday, monday, site=site)
    _print_outputs(settings, monday)


@app.command("backfill")
def backfill_command(
    from_week: Annotated[str, typer.Option("--from", help="first ISO week, e.g. 2027-W01")],
    to_week: Annotated[str, typer.Option("--to", help="last ISO week, e.g. 2027-W18")],
    chunk_weeks: Annotated[int, typer.Option(min=1, help="weeks per run (single-run backfill per chunk)")] = 26,
    with_reports: Annotated[bool, typer.Option(help="also render each week's report (never e-mails)")] = False,
    site: SiteOption = None,
) -> None:
    """Materialize a range of ISO weeks, one Dagster run per asset job per chunk, with progress."""
    settings = settings_or_exit()
    site = _known_site(settings, site)
    _check_inputs(settings)
    first, last = week_or_exit(from_week, settings, "--from"), week_or_exit(to_week, settings, "--to")
    if last < first:
        console().print("[red]error:[/red] --to is before --from")
        raise typer.Exit(EXIT_USAGE)
    weeks = (last - first).days // 7 + 1
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} weeks"),
                  TimeElapsedColumn(), console=console()) as progress:
        task = progress.add_task(f"backfill {iso_week_label(first)}..{iso_week_label(last)}", total=weeks)
        start = first
        while start <= last:
            end = min(start + timedelta(days=7 * (chunk_weeks - 1)), last)
            run_pipeline(settings, start, end, reports=False, site=site)
            if with_reports:
                from kpi_pipeline.cli.report_cmd import render_weeks

                render_weeks(settings, start, end, site_id=site)
            progress.update(task, advance=(end - start).days // 7 + 1)
            start = end + timedelta(days=7)
    console().print(f"backfilled {weeks} weeks into {settings.warehouse.label()}")


@app.command("demo")
def demo_command() -> None:
    """Build a warehouse from the demo source (two years) and write the latest weekly report."""
    settings = settings_or_exit()
    if settings.kpi_source != "demo":
        console().print("[red]error:[/red] `demo` uses the demo source; unset KPI_SOURCE or set it to demo")
        raise typer.Exit(EXIT_USAGE)
    _check_inputs(settings)
    from kpi_pipeline.calendar import last_complete_week, monday

    today = _today(settings)
    last = last_complete_week(today)
    first_day = max(date.fromisoformat(settings.kpi_start_date), today - timedelta(days=365 * DEMO_YEARS_OF_DATA + 7))
    first_week = monday(first_day) + timedelta(days=7)
    console().print(f"demo: loading {first_day}..{today - timedelta(days=1)} and building "
                    f"{(last - first_week).days // 7 + 1} weeks of marts (up to {iso_week_label(last)})")
    run_pipeline(settings, first_week, last, ingest_from=first_day,
                 ingest_to=today - timedelta(days=1))
    _print_outputs(settings, last)


def _print_outputs(settings: Settings, monday: date) -> None:
    week = iso_week_label(monday)
    location = settings.warehouse
    typer.echo(f"warehouse: {location.path.resolve() if location.path else location.label()}")
    if location.is_file and settings.published_path.exists():
        typer.echo(f"analyst copy: {settings.published_path.resolve()}")
    # reports/<week>/ for one site, reports/<site>/<week>/ for several
    for folder in sorted([settings.reports_dir / week, *settings.reports_dir.glob(f"*/{week}")]):
        for name in ("report.html", "report.pdf", "report.eml",
                     "report.en.html", "report.en.pdf", "report.en.eml"):  # English: see paths.py
            if (folder / name).exists():
                typer.echo(f"report: {(folder / name).resolve()}")
    if (settings.reports_dir / "index.html").exists():
        typer.echo(f"archive: {(settings.reports_dir / 'index.html').resolve()}")


def _lake_query_advice(settings: Settings) -> NoReturn:
    """On DuckLake there is no analyst copy, and a connection holding the catalog can read its
    conninfo back (``duckdb_databases()``) and pass SQL to PostgreSQL (``postgres_query``), so
    `query` does not open it: analysts attach the catalog themselves with a read-only role."""
    location = settings.warehouse
    console().print(
        "[red]error:[/red] the warehouse is a DuckLake, which has no analyst copy: attach the "
        "catalog read-only in DuckDB with a PostgreSQL role that may only read it:\n"
        + escape(f"  ATTACH 'ducklake:postgres:{scrub(location.catalog)}' AS kpi (DATA_PATH "
                 f"'{location.data_path}', READ_ONLY); USE kpi;")
        + "\n(see docs/ops.md, \"Analysts on DuckLake\")",
        highlight=False, soft_wrap=True,
    )
    raise typer.Exit(EXIT_USAGE)


class QueryFormat(StrEnum):
    """How ``query`` prints: DuckDB's boxes for people, the others for pipes."""

    box = "box"
    csv = "csv"
    json = "json"
    markdown = "markdown"


@app.command("query")
def query_command(
    sql: Annotated[str, typer.Argument(help="read-only SQL, e.g. \"SELECT * FROM mart.kpi_progress\"")],
    output: Annotated[QueryFormat, typer.Option(
        "--format", help="box (DuckDB's own, for reading: types, NULL, row count; long results "
        "cut in the middle), or every row as csv, json or markdown (for piping)")] = QueryFormat.box,
) -> None:
    """Run read-only SQL on the published analyst copy ($KPI_HOME/published.duckdb) and print it.

    Only reads run (SELECT, FROM, SHOW, DESCRIBE, SUMMARIZE, EXPLAIN): no file, network,
    ATTACH, COPY, EXPORT, INSTALL, LOAD or SET; the live warehouse is never opened. Several
    statements print one result each (with --format json: one list of {statement, rows}).
    """
    from kpi_pipeline.publish.query import QueryError, QueryRefused, run_read_only
    from kpi_pipeline.publish.query_output import json_text

    settings = settings_or_exit()
    if settings.warehouse.is_lake:
        _lake_query_advice(settings)
    path = settings.published_path
    if not path.exists():
        console().print(f"[red]error:[/red] {path} does not exist yet: run `kpi-pipeline demo` or `run` first")
        raise typer.Exit(EXIT_USAGE)
    try:
        results = run_read_only(path, sql, output.value, shutil.get_terminal_size().columns)
    except QueryRefused as exc:
        console().print(f"[red]query refused:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    except QueryError as exc:
        console().print(f"[red]query error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    if len(results) == 1:
        text = results[0].text
    elif output is QueryFormat.json:
        text = json_text([{"statement": r.statement, "rows": r.rows} for r in results])
    elif output is QueryFormat.csv:
        text = "\n\n".join(r.text for r in results)
    else:
        text = "\n\n".join(f"-- {r.statement}\n{r.text}" for r in results)
    sys.stdout.write(text + "\n")
