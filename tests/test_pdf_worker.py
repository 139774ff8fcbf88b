"""The PDF's child process: a page rendered beside the rest of the report, its errors named,
nothing left behind when it fails or is stopped (real child processes, real WeasyPrint)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kpi_pipeline.delivery.pdf import start_pdf
from kpi_pipeline.delivery.pdf_worker import PdfRenderError

PAGE = "<html><body><h1>週次KPIチェック</h1><p>受注 59件</p></body></html>"


def test_a_page_sent_to_the_worker_becomes_a_pdf_with_the_japanese_text(tmp_path: Path) -> None:
    pdf = start_pdf(tmp_path / "report.pdf", base_url=tmp_path)
    pdf.send(PAGE)
    written = pdf.wait()
    text = subprocess.run(["pdftotext", str(written), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "週次KPIチェック" in text and "受注 59件" in text
    assert "IPAexGothic" in subprocess.run(["pdffonts", str(written)], capture_output=True,
                                           text=True, check=True).stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]  # the page file is gone


def test_a_pdf_that_cannot_be_written_raises_with_the_childs_error(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").mkdir()  # a folder where the PDF should go: the child fails
    pdf = start_pdf(tmp_path / "report.pdf", base_url=tmp_path)
    pdf.send(PAGE)
    with pytest.raises(PdfRenderError, match=r"PDF not written \(report\.pdf\): IsADirectoryError"):
        pdf.wait()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]  # no page file left


def test_a_cancelled_worker_stops_and_leaves_no_pdf_and_no_page(tmp_path: Path) -> None:
    pdf = start_pdf(tmp_path / "report.pdf", base_url=tmp_path)
    children = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout
    assert children.strip(), "the worker starts at once, before its page exists"
    pdf.cancel()
    assert subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True).returncode == 1  # gone
    assert list(tmp_path.iterdir()) == []
