"""HTML to PDF with WeasyPrint, embedding the bundled IPAexGothic so Japanese renders anywhere."""

from __future__ import annotations

from pathlib import Path

from kpi_pipeline.delivery.report.fonts import FONT_FAMILY, ipaex_font_path
from kpi_pipeline.delivery.report.pdf_worker import PdfWorker


def font_face_css() -> str:
    """``@font-face`` rules pointing at the bundled ``ipaexg.ttf`` (regular; bold synthesized)."""
    uri = ipaex_font_path().as_uri()
    return f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{uri}"); }}\n'


def start_pdf(path: Path, *, base_url: Path) -> PdfWorker:
    """A child process that will render ``path`` once :meth:`PdfWorker.send` gives it the HTML
    (see :mod:`kpi_pipeline.delivery.report.pdf_worker`)."""
    return PdfWorker(path, base_url=base_url, css=font_face_css())
