"""HTML to PDF with WeasyPrint, embedding the bundled IPAexGothic so Japanese renders anywhere."""

from __future__ import annotations

from pathlib import Path

from kpi_pipeline.delivery.fonts import FONT_FAMILY, ipaex_font_path


def font_face_css() -> str:
    """``@font-face`` rules pointing at the bundled ``ipaexg.ttf`` (regular; bold synthesized)."""
    uri = ipaex_font_path().as_uri()
    return f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{uri}"); }}\n'


def write_pdf(html: str, path: Path, *, base_url: Path, extra_css: str = "") -> Path:
    """Render ``html`` (with its own ``<style>``) to ``path`` as an A4 PDF."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    stylesheet = CSS(string=font_face_css() + extra_css, font_config=fonts)
    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=str(base_url)).write_pdf(
        str(path), stylesheets=[stylesheet], font_config=fonts
    )
    return path
