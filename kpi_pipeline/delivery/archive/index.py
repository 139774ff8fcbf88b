"""The archive: ``reports/index.html`` lists every rendered week, newest first.

Rebuilt after every render (CLI ``report``/``run``/``demo``/``backfill`` and the Dagster report
asset) from the week folders themselves: each week's manifest holds its summary (status
counts, KGI progress), so the archive needs no re-render. Links are relative, so the folder
works opened from disk, served by a one-line static server or copied to a bucket. With a
warehouse connection, a 52-week chart of each goal's metric (with last year's line) heads it.
Several sites get ``reports/<site>/index.html`` each and a top ``reports/index.html``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from kpi_pipeline.config.sites import SiteConfig
from kpi_pipeline.delivery.paths import ARCHIVE_ASSETS, INDEX, LANGS, lang_name, relative_link
from kpi_pipeline.delivery.report.render import MANIFEST, environment

if TYPE_CHECKING:
    from kpi_pipeline.delivery.archive.charts import WeeklyValues  # matplotlib: import when drawn

WEEK_FOLDER = re.compile(r"^\d{4}-W\d{2}$")
MAX_CHARTS = 12
LANG_NAMES = {"ja": "日本語", "en": "English"}
TEXT: dict[str, dict[str, str]] = {
    "ja": {"title": "週次KPIチェック アーカイブ", "weeks": "週ごとのレポート", "trends": "52週の推移",
           "trend_note": "青: 直近52週 / 灰色の点線: 前年同週", "week": "週", "kpis": "KPIの状況",
           "kgis": "KGIの進捗", "reports": "レポート", "sites": "サイト", "latest": "最新",
           "no_weeks": "まだレポートはありません。", "no_kgis": "KGIなし",
           "site_index": "このサイトの全レポート"},
    "en": {"title": "Weekly KPI check archive", "weeks": "Weekly reports", "trends": "52-week trends",
           "trend_note": "Blue: last 52 weeks / grey dashes: same weeks last year", "week": "Week",
           "kpis": "KPIs", "kgis": "KGI progress", "reports": "Reports", "sites": "Sites",
           "latest": "Latest", "no_weeks": "No reports yet.", "no_kgis": "No KGIs",
           "site_index": "All reports of this site"},
}


@dataclass(frozen=True)
class WeekEntry:
    """One week folder: its summary (in the archive's language if rendered) and its files."""

    iso_week: str
    summary: dict[str, Any]
    files: tuple[tuple[str, str | None, str | None], ...]  # (lang, html link, pdf link)


@dataclass(frozen=True)
class TrendChart:
    title: str
    src: str
    alt: str


def _manifest(folder: Path, lang: str) -> dict[str, Any] | None:
    path = folder / lang_name(MANIFEST, lang)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def scan_weeks(site_folder: Path, lang: str) -> list[WeekEntry]:
    """Every rendered week under ``site_folder``, newest first, with relative links."""
    entries = []
    folders = [p for p in site_folder.iterdir() if p.is_dir() and WEEK_FOLDER.match(p.name)] \
        if site_folder.is_dir() else []
    for folder in sorted(folders, key=lambda p: p.name, reverse=True):
        docs = {code: doc for code in LANGS if (doc := _manifest(folder, code)) is not None}
        if not docs:
            continue
        preferred = docs.get(lang) or next(iter(docs.values()))
        files = tuple(
            (code,
             *(relative_link(folder / doc[kind], site_folder)
               if doc.get(kind) and (folder / doc[kind]).exists() else None
               for kind in ("html", "pdf")))
            for code, doc in docs.items()
        )
        entries.append(WeekEntry(folder.name, preferred.get("summary") or {}, files))
    return entries


def _trend_charts(values_of: WeeklyValues, site_folder: Path, latest: WeekEntry,
                  lang: str) -> list[TrendChart]:
    """Write ``archive/trend-NN.svg`` for each goal of the newest week; return their links."""
    from kpi_pipeline.delivery.archive.charts import year_chart_svg  # matplotlib

    summary = latest.summary
    last_week = date.fromisoformat(summary["week_start"])
    goals = [*summary.get("kgis", []), *summary.get("kpis", [])][:MAX_CHARTS]
    out_dir = site_folder / ARCHIVE_ASSETS
    out_dir.mkdir(parents=True, exist_ok=True)
    charts, written = [], set()
    for index, goal in enumerate(goals, start=1):
        values = values_of(goal["metric_id"], last_week)
        if not values:
            continue
        name = f"trend-{index:02d}.svg"
        _write_atomic(out_dir / name, year_chart_svg(values, goal["metric_id"], last_week, lang,
                                                     name))
        written.add(name)
        charts.append(TrendChart(goal["name"], f"{ARCHIVE_ASSETS}/{name}", goal["name"]))
    for stale in out_dir.glob("trend-*.svg"):
        if stale.name not in written:
            stale.unlink(missing_ok=True)
    return charts


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary name: a reader (a browser, a static server) never sees half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _render(templates: Path | None, template: str, **values: Any) -> str:
    return environment(templates).get_template(template).render(**values)


def newest_week_folder(site_folder: Path) -> str | None:
    """The newest ISO week folder's name under ``site_folder`` (rendered or not), or None."""
    names = [p.name for p in site_folder.iterdir() if p.is_dir() and WEEK_FOLDER.match(p.name)] \
        if site_folder.is_dir() else []
    return max(names, default=None)


def build_site_index(site: SiteConfig, site_folder: Path,
                     con: duckdb.DuckDBPyConnection | None = None, *, lang: str | None = None,
                     top_index: bool = False, templates: Path | None = None,
                     values: WeeklyValues | None = None) -> Path:
    """Write ``<site_folder>/index.html`` and its 52-week charts, drawn from the warehouse
    (``con``) or from ``values`` read from it beforehand (no charts with neither)."""
    lang = lang or site.report_lang
    weeks = scan_weeks(site_folder, lang)
    if values is None and con is not None:
        from kpi_pipeline.delivery.archive.charts import weekly_values

        values = lambda metric_id, week: weekly_values(con, site.id, metric_id, week)  # noqa: E731
    charts = _trend_charts(values, site_folder, weeks[0], lang) \
        if values is not None and weeks and weeks[0].summary.get("week_start") else []
    site_folder.mkdir(parents=True, exist_ok=True)
    index = site_folder / INDEX
    _write_atomic(index, _render(
        templates, "index.html.j2", lang=lang, t=TEXT.get(lang, TEXT["en"]), site=site.label, weeks=weeks,
        charts=charts, lang_names=LANG_NAMES, up_link="../index.html" if top_index else None,
    ))
    return index


def site_index_folder(reports_root: Path, site: SiteConfig, *, multi: bool) -> Path:
    """Where ``site``'s archive index lives: the reports folder itself for one site."""
    return Path(reports_root) / site.id if multi else Path(reports_root)


def rebuild_archive(reports_root: Path, sites: Sequence[SiteConfig], *, multi: bool,
                    con: duckdb.DuckDBPyConnection | None = None,
                    templates: Path | None = None) -> Path:
    """Rebuild the archive for ``sites``; returns ``reports_root/index.html``.

    One site: its index is the top index. Several: ``<site>/index.html`` each, and a top index
    linking every site with its newest week.
    """
    root = Path(reports_root)
    for site in sites:
        build_site_index(site, site_index_folder(root, site, multi=multi), con, top_index=multi,
                         templates=templates)
    return build_top_index(root, sites, templates=templates) if multi else root / INDEX


def build_top_index(reports_root: Path, sites: Sequence[SiteConfig], *,
                    templates: Path | None = None) -> Path:
    """Several sites: ``reports_root/index.html`` linking every site with its newest week
    (each site's own index is built by :func:`build_site_index`)."""
    root = Path(reports_root)
    rows = []
    for site in sites:
        folder = root / site.id
        weeks = scan_weeks(folder, site.report_lang)
        rows.append({"site": site.label, "index": relative_link(folder / INDEX, root),
                     "prefix": relative_link(folder, root) + "/",
                     "latest": weeks[0] if weeks else None})
    lang = sites[0].report_lang
    index = root / INDEX
    _write_atomic(index, _render(templates, "sites_index.html.j2", lang=lang, t=TEXT.get(lang, TEXT["en"]),
                                 rows=rows, lang_names=LANG_NAMES))
    return index
