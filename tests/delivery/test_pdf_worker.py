"""The PDF's worker process: a page rendered beside the rest of the report, the same warm
worker for the next report, its errors named, nothing left behind when a render is given up
(real child processes, real WeasyPrint, checked with poppler and pgrep)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from kpi_pipeline.delivery.report.pdf import start_pdf
from kpi_pipeline.delivery.report.pdf_worker import PdfRenderError

PAGE = "<html><body><h1>週次KPIチェック</h1><p>受注 59件</p></body></html>"


def _workers() -> list[int]:
    """This process's PDF workers."""
    found = subprocess.run(["pgrep", "-P", str(os.getpid()), "-f", "pdf_worker"],
                           capture_output=True, text=True).stdout
    return sorted(int(pid) for pid in found.split())


def _render(folder: Path, page: str = PAGE) -> Path:
    folder.mkdir(exist_ok=True)
    pdf = start_pdf(folder / "report.pdf", base_url=folder)
    pdf.send(page)
    return pdf.wait()


def test_a_page_becomes_a_pdf_with_the_japanese_text_and_nothing_else_is_left(tmp_path: Path) -> None:
    written = _render(tmp_path)
    text = subprocess.run(["pdftotext", str(written), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "週次KPIチェック" in text and "受注 59件" in text
    assert "IPAexGothic" in subprocess.run(["pdffonts", str(written)], capture_output=True,
                                           text=True, check=True).stdout
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]  # the page file is gone


def test_the_next_report_is_rendered_by_the_same_warm_worker(tmp_path: Path) -> None:
    _render(tmp_path / "first")
    workers = _workers()
    assert len(workers) == 1
    _render(tmp_path / "second")
    assert _workers() == workers
    assert (tmp_path / "second" / "report.pdf").stat().st_size > 0


def test_a_pdf_that_cannot_be_written_is_named_and_the_worker_goes_on(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").mkdir()  # a folder where the PDF should go: the worker fails
    pdf = start_pdf(tmp_path / "report.pdf", base_url=tmp_path)
    pdf.send(PAGE)
    with pytest.raises(PdfRenderError, match=r"PDF not written \(report\.pdf\): IsADirectoryError"):
        pdf.wait()
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]  # no page file left
    assert _render(tmp_path / "after").exists()


def test_a_worker_that_dies_mid_page_is_an_error_and_the_next_render_gets_a_new_one(tmp_path: Path) -> None:
    pdf = start_pdf(tmp_path / "report.pdf", base_url=tmp_path)
    pdf.send(PAGE * 2000)  # long enough to be still at work
    (worker,) = _workers()
    os.kill(worker, signal.SIGKILL)
    with pytest.raises(PdfRenderError, match=r"PDF not written \(report\.pdf\): the PDF worker exited"):
        pdf.wait()
    assert not (tmp_path / "report.pdf").exists()
    assert _render(tmp_path / "again").exists()
    assert worker not in _workers()


def test_a_render_given_up_stops_its_worker_and_leaves_no_pdf_and_no_page(tmp_path: Path) -> None:
    pdf = start_pdf(tmp_path / "report.pdf", base_url=tmp_path)
    pdf.send(PAGE * 2000)
    working = _workers()
    pdf.cancel()
    assert len(_workers()) == len(working) - 1  # stopped, not left laying out a page nobody wants
    assert list(tmp_path.iterdir()) == []
