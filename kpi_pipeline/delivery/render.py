"""Render a week's check report: HTML, PDF, PNG charts and the e-mail bodies, into one folder.

The folder (``$KPI_HOME/reports/<ISO week>/``) holds everything the e-mail needs, described by
``manifest.json``, so sending can run later or elsewhere from the folder alone.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from kpi_pipeline.delivery.inline_css import inline_css
from kpi_pipeline.delivery.messages import translator
from kpi_pipeline.delivery.model import ReportData
from kpi_pipeline.delivery.pdf import write_pdf
from kpi_pipeline.delivery.view import ReportView, build_view

if TYPE_CHECKING:
    from kpi_pipeline.delivery.charts import Chart

TEMPLATES_DIR = Path(
    os.environ.get("KPI_REPORT_TEMPLATES", Path(__file__).resolve().parents[2] / "reports")
)
FORMATS = frozenset({"html", "pdf"})
MANIFEST = "manifest.json"
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

    @property
    def manifest(self) -> Path:
        return self.out_dir / MANIFEST

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
                {"name": c.name, "file": f"charts/{c.path.name}", "cid": c.cid, "alt": c.alt,
                 "width": c.width}
                for c in self.charts
            ],
            "status_counts": self.status_counts,
        }

    @classmethod
    def load(cls, out_dir: Path) -> RenderedReport:
        """Read a rendered report back from its folder (``manifest.json``)."""
        out_dir = Path(out_dir)
        doc = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
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
        )


def report_dir(reports_root: Path, iso_week: str) -> Path:
    """``<reports_root>/<ISO week>``, e.g. ``$KPI_HOME/reports/2027-W18``."""
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


def _css(name: str) -> str:
    return (TEMPLATES_DIR / name).read_text(encoding="utf-8")


def render_html(
    view: ReportView,
    charts: dict[str, object],
    *,
    media: str,
    template: str = "report.html.j2",
) -> str:
    """The report document for ``media``: ``web`` or ``pdf`` (inline SVG) or ``email`` (cid PNG)."""
    env = _environment(TEMPLATES_DIR)
    css = _css("report.css") + (_css("print.css") if media == "pdf" else "")
    return env.get_template(template).render(
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
) -> RenderedReport:
    """Write ``report.html`` / ``report.pdf`` (per ``formats``), ``charts/*.png``, the e-mail
    bodies and ``manifest.json`` into ``out_dir``. ``charts=False`` leaves the charts out."""
    unknown = set(formats) - FORMATS
    if unknown:
        raise ValueError(f"unknown report format(s) {sorted(unknown)}; use html and/or pdf")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chart_dir = out_dir / "charts"
    for stale in chart_dir.glob("*.png"):  # from an earlier render of this week
        stale.unlink()
    view = build_view(data, lang, charts=charts)
    rendered: list[Chart] = []
    if charts:
        from kpi_pipeline.delivery.charts import render_charts  # matplotlib: import when used

        rendered = render_charts(data, lang)
    by_name = {c.name: c for c in rendered}
    lap("charts")

    html_path = pdf_path = None
    if "html" in formats:
        html_path = out_dir / "report.html"
        html_path.write_text(render_html(view, by_name, media="web"), encoding="utf-8")
    lap("html")
    if "pdf" in formats:
        pdf_path = write_pdf(render_html(view, by_name, media="pdf"), out_dir / "report.pdf",
                             base_url=out_dir)
    lap("pdf")
    token = secrets.token_hex(6)
    chart_files = []
    if rendered:
        chart_dir.mkdir(exist_ok=True)
    for chart in rendered:
        path = chart_dir / f"{chart.name}.png"
        path.write_bytes(chart.png)
        chart_files.append(ChartFile(
            chart.name, path, f"{chart.name}.{token}@kpi-pipeline", chart.alt,
            _png_width(chart.png),
        ))

    email_html = out_dir / "email.html"
    email_charts = {c.name: c for c in chart_files}
    email_doc = render_html(view, email_charts, media="email")
    email_html.write_text(inline_css(email_doc, _css("report.css")), encoding="utf-8")
    email_text = out_dir / "email.txt"
    text = _environment(TEMPLATES_DIR).get_template("email.txt.j2").render(
        v=view, t=translator(lang)
    )
    email_text.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    lap("email")

    report = RenderedReport(
        out_dir=out_dir, iso_week=data.iso_week, site_id=data.site_id, lang=lang,
        subject=view.subject, html=html_path, pdf=pdf_path, email_html=email_html,
        email_text=email_text, charts=tuple(chart_files),
        status_counts=data.status_counts(), timings=timings,
    )
    report.manifest.write_text(
        json.dumps(report.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return report


__all__ = ["ChartFile", "RenderedReport", "render_html", "render_report", "report_dir"]
