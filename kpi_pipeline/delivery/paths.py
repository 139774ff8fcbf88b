"""Where a report's files live, and how a link to them is written: the one home of report paths.

``$KPI_HOME/reports/`` holds one folder per ISO week (``reports/<site>/<week>/`` when a
deployment serves several sites: :meth:`kpi_pipeline.config.sites.SitesResource.week_folder` is the
one place that builds it). Japanese, the default language, uses plain names
(``report.html``, ``report.pdf``, ``manifest.json``, ``sent.json``, ``charts/``); every other
language inserts its code before the extension (``report.en.html``, ``charts.en/``), so the
languages of a week sit side by side in one folder and never overwrite each other.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import quote, urljoin

DEFAULT_LANG = "ja"
LANGS = ("ja", "en")
INDEX = "index.html"
ARCHIVE_ASSETS = "archive"  # the archive's own charts, beside index.html


def lang_name(name: str, lang: str) -> str:
    """``report.html`` in ``lang``: unchanged for Japanese, ``report.en.html`` for English."""
    if lang == DEFAULT_LANG:
        return name
    stem, dot, ext = name.partition(".")
    return f"{stem}.{lang}{dot}{ext}" if dot else f"{name}.{lang}"


def lang_of(name: str) -> str:
    """The language a file or folder of a week folder belongs to (see :func:`lang_name`)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LANGS else DEFAULT_LANG


def relative_link(path: Path, start: Path) -> str:
    """``path`` relative to the folder ``start``, percent-encoded, with ``/`` separators."""
    rel = PurePosixPath(*Path(path).resolve().relative_to(Path(start).resolve()).parts)
    return quote(str(rel))


def report_link(path: Path, reports_root: Path, base_url: str | None) -> str:
    """Where a reader finds ``path``: ``REPORT_BASE_URL`` joined with its place under the
    reports folder, or without a base URL the absolute file path on this machine."""
    if not base_url:
        return str(Path(path).resolve())
    base = base_url if base_url.endswith("/") else base_url + "/"
    return urljoin(base, relative_link(path, reports_root))
