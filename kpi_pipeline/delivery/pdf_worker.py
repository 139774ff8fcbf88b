"""The report's PDF rendered in a child process, beside the rest of the report.

WeasyPrint's layout is the slowest part of a report (2–3 s for the demo's week, plus ~0.8 s to
import it) and holds the GIL, so a thread would not help. A report render therefore starts
this worker first: the child imports WeasyPrint while the parent draws the charts, then lays
out the page's HTML while the parent writes the PNG charts and the e-mail parts. On two
cores the PDF no longer adds to the render's wall time; on a busy machine it costs what it
cost before (the import moves to the child, so the CPU total stays about the same).

Protocol (``python -P pdf_worker.py PDF BASE_URL CSS``, run as a script so the child imports
WeasyPrint and nothing of ours): the child imports WeasyPrint, then reads one line on stdin,
the path of a UTF-8 HTML file (written by the parent into the render's own work folder, so
nothing crosses the pipe but a path); writes ``PDF`` with the extra stylesheet ``CSS`` (the
``@font-face`` of the bundled font); exits 0. Any failure is printed on stderr with exit 1;
the parent raises :class:`PdfRenderError` with it. An empty line (the parent gave up) exits 0
without writing. This module imports nothing of ours at the top, for that reason.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import traceback
from pathlib import Path

SOURCE_NAME = ".pdf-source.html"  # in the work folder; removed before the folder is swapped in


class PdfRenderError(RuntimeError):
    """The PDF could not be written; the message is the child's error."""


class PdfWorker:
    """One PDF, rendered by a child process started before its HTML exists."""

    def __init__(self, path: Path, *, base_url: Path, css: str) -> None:
        self.path = path
        self._source = path.parent / SOURCE_NAME
        # -P: the script's folder (with our email.py) must not shadow the standard library
        self._child = subprocess.Popen(
            [sys.executable, "-P", __file__, str(path), str(base_url), css],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

    def send(self, html: str) -> None:
        """Hand over the page (the child lays it out while the caller goes on)."""
        self._source.write_text(html, encoding="utf-8")
        assert self._child.stdin is not None
        self._child.stdin.write(f"{self._source}\n".encode())
        self._child.stdin.close()

    def wait(self) -> Path:
        """The written PDF, once the child is done; :class:`PdfRenderError` if it failed."""
        stderr = self._finish()
        if self._child.returncode != 0:
            lines = stderr.decode(errors="replace").strip().splitlines()
            raise PdfRenderError(f"PDF not written ({self.path.name}): {lines[-1] if lines else 'no message'}")
        return self.path

    def cancel(self) -> None:
        """Stop the child (the render failed elsewhere); leaves nothing behind."""
        if self._child.poll() is None:
            self._child.kill()
        self._finish()

    def _finish(self) -> bytes:
        """Close the pipes, reap the child, remove the page file; the child's stderr."""
        child = self._child
        assert child.stdin is not None and child.stderr is not None
        with contextlib.suppress(OSError):  # already closed by send, or the child is gone
            child.stdin.close()
        stderr = child.stderr.read()
        child.stderr.close()
        child.wait()
        self._source.unlink(missing_ok=True)
        return stderr


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


def _main(pdf: str, base_url: str, css: str) -> int:
    import weasyprint  # noqa: F401 (the slow import, done while the parent draws the charts)

    source = sys.stdin.readline().strip()
    if not source:
        return 0
    layout_pdf(Path(source).read_text(encoding="utf-8"), Path(pdf), base_url=Path(base_url), css=css)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(_main(*sys.argv[1:4]))
    except Exception as exc:  # noqa: BLE001 (any failure goes back to the parent as text)
        traceback.print_exc()
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
