"""The report's PDF rendered by a child process, beside the rest of the report.

WeasyPrint's layout is the slowest part of a report (2–3 s for the demo's week, plus ~0.8 s to
import it) and holds the GIL, so a thread would not help. A report render therefore asks for a
worker first: a new one imports WeasyPrint while the parent draws the charts, then lays out
the page's HTML while the parent writes the PNG charts and the e-mail parts. On two cores the
PDF no longer adds to a render's wall time. The worker then stays for the next report of the
same process (a run over many sites, the test suite), warm: imported, fonts loaded.

Protocol (``python -P pdf_worker.py``, run as a script so the child imports WeasyPrint and
nothing of ours; this module imports nothing of ours at the top for that reason): one JSON
line per PDF on stdin, ``{"page", "pdf", "base_url", "css"}`` (``page``: a UTF-8 HTML file
the parent wrote into the render's own work folder, so only paths cross the pipe; ``css``:
the ``@font-face`` of the bundled font), answered by one JSON line on stdout, ``{"error":
null}`` or the error's text. End of input ends the child (also when the parent dies).
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpi_pipeline.delivery.report.worker_process import IdleWorkers, WorkerProcess

PAGE_NAME = ".pdf-page.html"  # beside the PDF in the work folder; removed before the swap


class PdfRenderError(RuntimeError):
    """The PDF could not be written; the message is the worker's error."""


def _workers() -> IdleWorkers:
    """This process's idle PDF workers (imported here: as a script this module imports
    nothing of ours, see the module's docstring)."""
    global _WORKERS
    if _WORKERS is None:
        from kpi_pipeline.delivery.report.worker_process import IdleWorkers

        # -P: the script's folder (with our email.py) must not shadow the standard library
        _WORKERS = IdleWorkers([sys.executable, "-P", __file__], "PDF worker")
    return _WORKERS


_WORKERS: IdleWorkers | None = None


class PdfWorker:
    """One PDF, rendered by a worker taken before its HTML exists."""

    def __init__(self, path: Path, *, base_url: Path, css: str) -> None:
        self.path = path
        self._base_url = base_url
        self._css = css
        self._page = path.parent / PAGE_NAME
        self._child: WorkerProcess | None = _workers().take()

    def send(self, html: str) -> None:
        """Hand over the page (the worker lays it out while the caller goes on)."""
        assert self._child is not None
        self._page.write_text(html, encoding="utf-8")
        self._child.ask({"page": str(self._page), "pdf": str(self.path),
                         "base_url": str(self._base_url), "css": self._css})

    def wait(self) -> Path:
        """The written PDF, once the worker is done; :class:`PdfRenderError` if it failed."""
        from kpi_pipeline.delivery.report.worker_process import WorkerDied

        assert self._child is not None
        child, self._child = self._child, None
        try:
            error = child.answer()["error"]
        except WorkerDied as exc:
            error = str(exc)
        self._page.unlink(missing_ok=True)
        _workers().give_back(child)
        if error is not None:
            raise PdfRenderError(f"PDF not written ({self.path.name}): {error}")
        return self.path

    def cancel(self) -> None:
        """Stop the worker (the render failed elsewhere, maybe mid-layout); leaves nothing behind."""
        if self._child is not None:
            self._child.stop()
            self._child = None
        self._page.unlink(missing_ok=True)


def layout_pdf(html: str, path: Path, *, base_url: Path, css: str) -> Path:
    """Render ``html`` (with its own ``<style>``) and the extra stylesheet ``css`` to ``path``."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=str(base_url)).write_pdf(
        str(path), stylesheets=[CSS(string=css, font_config=fonts)], font_config=fonts
    )
    return path


def _serve() -> None:
    """The worker: one PDF per line of stdin, one answer per PDF on stdout."""
    import weasyprint  # noqa: F401 (the slow import, done while the parent draws the charts)

    for line in sys.stdin:
        job = json.loads(line)
        try:
            layout_pdf(Path(job["page"]).read_text(encoding="utf-8"), Path(job["pdf"]),
                       base_url=Path(job["base_url"]), css=job["css"])
            error = None
        except Exception as exc:  # noqa: BLE001 (any failure goes back to the parent as text)
            traceback.print_exc()  # the whole story in the worker's stderr file
            error = f"{type(exc).__name__}: {exc}"
        print(json.dumps({"error": error}), flush=True)


if __name__ == "__main__":
    _serve()
