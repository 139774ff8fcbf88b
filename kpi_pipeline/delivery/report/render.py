"""Render a week's check report: HTML, PDF, PNG charts and the e-mail bodies, into one folder.

The folder (``$KPI_HOME/reports/<ISO week>/``) holds everything the e-mail needs, described by
``manifest.json``, so sending can run later or elsewhere from the folder alone. Each language
has its own files in that folder (``report.html``, ``report.en.html``: see
:mod:`kpi_pipeline.delivery.paths`), so rendering one language keeps the others.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from kpi_pipeline.config.folder_lock import folder_lock
from kpi_pipeline.config.package_data import templates_dir
from kpi_pipeline.delivery.paths import DEFAULT_LANG, lang_name, lang_of
from kpi_pipeline.delivery.report.inline_css import inline_css
from kpi_pipeline.delivery.report.model import ReportData
from kpi_pipeline.delivery.report.pdf import start_pdf
from kpi_pipeline.delivery.report.summary import week_summary
from kpi_pipeline.delivery.report.view.build import ReportView, build_view
from kpi_pipeline.delivery.wording.messages import translator

if TYPE_CHECKING:
    from kpi_pipeline.delivery.report.charts import Chart, DrawnChart
    from kpi_pipeline.delivery.report.pdf_worker import PdfWorker

FORMATS = frozenset({"html", "pdf"})
MANIFEST = "manifest.json"
SENT_MARKER = "sent.json"  # written by delivery.email on sending; kept across re-renders
SENT_PREFIX = "sent"  # sent.json, and one marker per chat channel (sent-slack.json, ...)
STALE_WORK_SECONDS = 3600  # a work folder this old is left over from a killed render
EMAIL_MAX_IMAGE_WIDTH = 640


@dataclass(frozen=True)
class ChartFile:
    """A PNG chart on disk and how the e-mail HTML refers to it."""

    name: str
    path: Path
    cid: str
    alt: str
    width: int


@dataclass(frozen=True)
class RenderedReport:
    """Where a rendered report's files are, plus what the e-mail needs to know."""

    out_dir: Path
    iso_week: str
    site_id: str
    lang: str
    subject: str
    html: Path | None
    pdf: Path | None
    email_html: Path
    email_text: Path
    charts: tuple[ChartFile, ...]
    status_counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    summary: dict[str, object] = field(default_factory=dict)

    @property
    def manifest(self) -> Path:
        return self.out_dir / lang_name(MANIFEST, self.lang)

    def marker(self, name: str = SENT_MARKER) -> Path:
        """This language's "sent" marker ``name`` (``sent.json``, ``sent-slack.json``, ...)."""
        return self.out_dir / lang_name(name, self.lang)

    def to_json(self) -> dict[str, object]:
        rel = lambda p: None if p is None else p.name  # noqa: E731
        return {
            "iso_week": self.iso_week,
            "site_id": self.site_id,
            "lang": self.lang,
            "subject": self.subject,
            "html": rel(self.html),
            "pdf": rel(self.pdf),
            "email_html": rel(self.email_html),
            "email_text": rel(self.email_text),
            "charts": [
                {"name": c.name, "file": f"{c.path.parent.name}/{c.path.name}", "cid": c.cid,
                 "alt": c.alt, "width": c.width}
                for c in self.charts
            ],
            "status_counts": self.status_counts,
            "summary": self.summary,
        }

    @classmethod
    def load(cls, out_dir: Path, lang: str = DEFAULT_LANG) -> RenderedReport:
        """Read a rendered report back from its folder (``manifest.json`` of ``lang``)."""
        out_dir = Path(out_dir)
        doc = json.loads((out_dir / lang_name(MANIFEST, lang)).read_text(encoding="utf-8"))
        path = lambda name: None if name is None else out_dir / name  # noqa: E731
        return cls(
            out_dir=out_dir,
            iso_week=doc["iso_week"],
            site_id=doc["site_id"],
            lang=doc["lang"],
            subject=doc["subject"],
            html=path(doc["html"]),
            pdf=path(doc["pdf"]),
            email_html=out_dir / doc["email_html"],
            email_text=out_dir / doc["email_text"],
            charts=tuple(
                ChartFile(c["name"], out_dir / c["file"], c["cid"], c["alt"], c["width"])
                for c in doc["charts"]
            ),
            status_counts=doc.get("status_counts", {}),
            summary=doc.get("summary", {}),
        )


def report_dir(reports_root: Path, iso_week: str) -> Path:
    """``<reports_root>/<ISO week>``, e.g. ``$KPI_HOME/reports/2027-W18`` (one site; with
    several, use :meth:`kpi_pipeline.config.sites.SitesResource.week_folder`)."""
    return Path(reports_root) / iso_week


@cache
def _environment(templates_dir: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2"),
            disabled_extensions=("txt", "txt.j2"),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def environment(templates: Path | None = None) -> Environment:
    """The Jinja2 environment of ``templates`` (``KPI_REPORT_TEMPLATES``), else the shipped ones."""
    return _environment(Path(templates) if templates else templates_dir())


def _css(name: str, templates: Path | None) -> str:
    return (Path(templates or templates_dir()) / name).read_text(encoding="utf-8")


def render_html(
    view: ReportView,
    charts: dict[str, object],
    *,
    media: str,
    template: str = "report.html.j2",
    templates: Path | None = None,
) -> str:
    """The report document for ``media``: ``web`` or ``pdf`` (inline SVG) or ``email`` (cid PNG)."""
    extra = {"pdf": "print.css", "web": "screen.css"}.get(media)
    css = _css("report.css", templates) + (_css(extra, templates) if extra else "")
    return environment(templates).get_template(template).render(
        v=view, t=translator(view.lang), charts=charts, media=media, css=css,
    )


def _png_width(png: bytes) -> int:
    width = int.from_bytes(png[16:20], "big") if png[:8] == b"\x89PNG\r\n\x1a\n" else 0
    return min(width, EMAIL_MAX_IMAGE_WIDTH) if width else EMAIL_MAX_IMAGE_WIDTH


def render_report(
    data: ReportData,
    out_dir: Path,
    formats: Collection[str] = FORMATS,
    lang: str = "ja",
    *,
    charts: bool = True,
    templates: Path | None = None,
) -> RenderedReport:
    """Write ``report.html`` / ``report.pdf`` (per ``formats``), ``charts/*.png``, the e-mail
    bodies and ``manifest.json`` into ``out_dir``, named for ``lang`` (``report.en.html``, ...).
    ``charts=False`` leaves the charts out; ``templates`` replaces the shipped templates folder.

    Everything is rendered into a hidden sibling folder first (``.<name>.tmp-<token>``) and
    then swapped in for ``out_dir`` (the old folder is renamed aside, the new one renamed in,
    the old one deleted). A render that fails part-way leaves the previous report as it was;
    readers never see a folder mixing two renders. The old folder's ``sent.json`` is carried
    over, so a week already sent still needs ``force`` to be sent again, and so are the other
    languages' files. Nothing else in the old folder is kept: ``out_dir`` belongs to the report.
    """
    unknown = set(formats) - FORMATS
    if unknown:
        raise ValueError(f"unknown report format(s) {sorted(unknown)}; use html and/or pdf")
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _recover(out_dir)
    token = secrets.token_hex(6)
    work = _sibling(out_dir, "tmp", token)
    work.mkdir()
    try:
        report = _render_into(work, data, formats, lang, charts=charts, token=token,
                              templates=templates)
        _swap_in(work, out_dir, token, lang)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return _moved(report, out_dir)


def _render_into(
    out_dir: Path, data: ReportData, formats: Collection[str], lang: str, *, charts: bool,
    token: str, templates: Path | None,
) -> RenderedReport:
    """Render every file of the report into the (new, empty) folder ``out_dir``.

    The PDF is laid out by a child process (:mod:`kpi_pipeline.delivery.report.pdf_worker`) started
    first, so it imports WeasyPrint while the charts are drawn and lays out the page while the
    PNG charts and the e-mail parts are written. ``timings``: ``charts`` (figures and SVG),
    ``html``, ``email`` (PNG charts and e-mail bodies), ``pdf`` (the wait for the PDF after all that).
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    pdf_path = out_dir / lang_name("report.pdf", lang) if "pdf" in formats else None
    pdf = start_pdf(pdf_path, base_url=out_dir) if pdf_path else None
    try:
        report = _render_parts(out_dir, data, lang, charts=charts, token=token, templates=templates,
                               html="html" in formats, pdf=pdf, lap=lap)
        if pdf:
            pdf.wait()
        lap("pdf")
    except BaseException:
        if pdf:
            pdf.cancel()
        raise
    report = replace(report, pdf=pdf_path, timings=timings)
    report.manifest.write_text(
        json.dumps(report.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return report


def _render_parts(
    out_dir: Path, data: ReportData, lang: str, *, charts: bool, token: str,
    templates: Path | None, html: bool, pdf: PdfWorker | None, lap: Callable[[str], None],
) -> RenderedReport:
    """Everything but waiting for the PDF: charts, HTML, the PDF's page handed to ``pdf``,
    PNG charts and e-mail bodies (the returned report's ``pdf`` is set by the caller)."""
    view = build_view(data, lang, charts=charts)
    drawn: list[DrawnChart] = []
    if charts:
        from kpi_pipeline.delivery.report.charts import draw_charts  # matplotlib: import when used

        drawn = draw_charts(data, lang)
    svgs = {c.name: c for c in _save(drawn, png=False)}
    lap("charts")

    html_path = None
    if html:
        html_path = out_dir / lang_name("report.html", lang)
        html_path.write_text(render_html(view, svgs, media="web", templates=templates), encoding="utf-8")
    if pdf:
        pdf.send(render_html(view, svgs, media="pdf", templates=templates))
    lap("html")

    chart_files = []
    chart_dir = out_dir / lang_name("charts", lang)
    if drawn:
        chart_dir.mkdir()
    for chart in _save(drawn, svg=False):
        path = chart_dir / f"{chart.name}.png"
        path.write_bytes(chart.png)
        chart_files.append(ChartFile(
            chart.name, path, f"{chart.name}.{token}@kpi-pipeline", chart.alt,
            _png_width(chart.png),
        ))

    email_html = out_dir / lang_name("email.html", lang)
    email_charts = {c.name: c for c in chart_files}
    email_doc = render_html(view, email_charts, media="email", templates=templates)
    email_html.write_text(inline_css(email_doc), encoding="utf-8")  # its own <style>
    email_text = out_dir / lang_name("email.txt", lang)
    text = environment(templates).get_template("email.txt.j2").render(
        v=view, t=translator(lang)
    )
    email_text.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    lap("email")
    return RenderedReport(
        out_dir=out_dir, iso_week=data.iso_week, site_id=data.site_id, lang=lang,
        subject=view.subject, html=html_path, pdf=None, email_html=email_html,
        email_text=email_text, charts=tuple(chart_files),
        status_counts=data.status_counts(), summary=week_summary(data, view),
    )


def _save(drawn: list[DrawnChart], *, svg: bool = True, png: bool = True) -> list[Chart]:
    if not drawn:
        return []
    from kpi_pipeline.delivery.report.charts import save_charts

    return save_charts(drawn, svg=svg, png=png)


def _sibling(out_dir: Path, kind: str, token: str) -> Path:
    """``<parent>/.<name>.<kind>-<token>``: a hidden work folder next to ``out_dir``."""
    return out_dir.parent / f".{out_dir.name}.{kind}-{token}"


def _kept(old: Path, lang: str) -> list[Path]:
    """What a render in ``lang`` keeps of the previous folder: its own "sent" markers and
    every file of the other languages."""
    return [p for p in old.iterdir()
            if lang_of(p.name) != lang or (p.name.startswith(SENT_PREFIX) and p.is_file())]


def _carry(path: Path, dest: Path) -> None:
    """Hard-link ``path`` (file or folder) into ``dest``: cheap, and the old folder stays whole
    until the swap has succeeded."""
    if path.is_dir():
        shutil.copytree(path, dest / path.name, copy_function=os.link)
    elif path.name.startswith(SENT_PREFIX):
        shutil.copy2(path, dest / path.name)  # rewritten in place by nobody, but small
    else:
        os.link(path, dest / path.name)


def _swap_in(work: Path, out_dir: Path, token: str, lang: str = DEFAULT_LANG) -> None:
    """Put the finished folder ``work`` in place of ``out_dir``, keeping its "sent" markers
    and the other languages' files."""
    with folder_lock(out_dir.parent):  # two languages of a week rendered at once keep each other's files
        _swap_locked(work, out_dir, token, lang)


def _swap_locked(work: Path, out_dir: Path, token: str, lang: str) -> None:
    old = _sibling(out_dir, "old", token)
    try:
        out_dir.rename(old)
    except FileNotFoundError:  # the week's first render
        work.rename(out_dir)
        return
    try:
        # read after the rename: a send finishing meanwhile wrote into `old`, not a lost folder
        for path in _kept(old, lang):
            _carry(path, work)
        work.rename(out_dir)
    except BaseException:
        with contextlib.suppress(OSError):  # put the previous report back
            old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _recover(out_dir: Path) -> None:
    """Tidy up after a render killed mid-way: put back a report left renamed aside (killed
    between the two renames of the swap) and delete work folders older than an hour."""
    def mtime(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:  # removed meanwhile
            return 0.0

    leftovers = sorted(
        (p for p in out_dir.parent.glob(f".{glob.escape(out_dir.name)}.*-*") if p.is_dir()),
        key=mtime, reverse=True,
    )
    if not out_dir.exists():
        aside = next((p for p in leftovers if p.name.startswith(f".{out_dir.name}.old-")), None)
        if aside is not None:
            with contextlib.suppress(OSError):
                aside.rename(out_dir)
            leftovers.remove(aside)
    cutoff = time.time() - STALE_WORK_SECONDS
    for path in leftovers:
        if mtime(path) < cutoff:
            shutil.rmtree(path, ignore_errors=True)


def _moved(report: RenderedReport, out_dir: Path) -> RenderedReport:
    """``report`` with every path moved from its work folder to ``out_dir``."""
    move = lambda p: None if p is None else out_dir / p.relative_to(report.out_dir)  # noqa: E731
    return replace(
        report, out_dir=out_dir, html=move(report.html), pdf=move(report.pdf),
        email_html=out_dir / report.email_html.relative_to(report.out_dir),
        email_text=out_dir / report.email_text.relative_to(report.out_dir),
        charts=tuple(replace(c, path=out_dir / c.path.relative_to(report.out_dir))
                     for c in report.charts),
    )


__all__ = ["ChartFile", "RenderedReport", "render_html", "render_report", "report_dir"]
