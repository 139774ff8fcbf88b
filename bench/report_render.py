"""Benchmark: render one weekly check report (HTML + charts + PDF + e-mail parts) against the
same HTML without charts, on the hand-built 2027-W18 sample (1 KGI, 6 KPIs, 5 phases, funnel).

    .venv/bin/python bench/report_render.py [--repeat 5]

Writes bench/results/report_render.json (medians in seconds, per-stage split, the ratio).

The PDF is laid out by a worker process (kpi_pipeline/delivery/report/pdf_worker.py) while this
process writes the PNG charts and e-mail parts: the ``pdf`` stage is the wait for it after
all that, and the CPU figures are this process's only (the worker's are not in them). The
first render starts the worker (WeasyPrint's import, the font); later ones reuse it, warm.
"""

from __future__ import annotations

import argparse
import ctypes.util
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the sample data builder lives with the tests

from fixtures.report.builder import sample_report_data  # noqa: E402

from kpi_pipeline.delivery import render_report  # noqa: E402
from kpi_pipeline.delivery.report.model import ReportData  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "report_render.json"


def _time(fn: object, repeat: int) -> tuple[list[float], list[dict[str, float]], list[float]]:
    """Wall times, per-stage wall times and CPU times of ``repeat`` calls."""
    times, stages, cpu = [], [], []
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        report = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        stages.append(report.timings)
    return times, stages, cpu


def run(repeat: int) -> dict[str, object]:
    data: ReportData = sample_report_data()
    load_before = round(os.getloadavg()[0], 2)  # other work on a shared machine slows wall time
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        started = time.perf_counter()
        render_report(data, out / "cold", formats={"html", "pdf"})
        cold = time.perf_counter() - started  # first render: font loading, caches
        full, full_stages, full_cpu = _time(
            lambda: render_report(data, out / "full", formats={"html", "pdf"}), repeat
        )
        bare, _, bare_cpu = _time(
            lambda: render_report(data, out / "bare", formats={"html"}, charts=False), repeat
        )
        html_charts, _, _ = _time(
            lambda: render_report(data, out / "html", formats={"html"}), repeat
        )
        pdf_size = (out / "full" / "report.pdf").stat().st_size
    median = statistics.median
    stage_names = full_stages[0].keys()
    return {
        "what": "one weekly report: 1 KGI + 6 KPIs, 13 charts (SVG + PNG), 6-page A4 PDF "
                "(laid out by the warm PDF worker; CPU figures: this process only)",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "repeat": repeat,
        "full_report_s": {"median": round(median(full), 3), "min": round(min(full), 3),
                          "cpu_median": round(median(full_cpu), 3)},
        "full_report_stages_median_s": {
            k: round(median(s[k] for s in full_stages), 3) for k in stage_names
        },
        "html_with_charts_no_pdf_s": round(median(html_charts), 3),
        "html_without_charts_s": {"median": round(median(bare), 4), "min": round(min(bare), 4),
                                  "cpu_median": round(median(bare_cpu), 4)},
        "ratio_full_to_html_without_charts": round(median(full) / median(bare), 1),
        "ratio_full_to_html_without_charts_cpu": round(median(full_cpu) / median(bare_cpu), 1),
        "first_render_in_process_s": round(cold, 3),
        "pdf_bytes": pdf_size,
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1m_before": load_before,
            "harfbuzz_subset": bool(ctypes.util.find_library("harfbuzz-subset")),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    result = run(parser.parse_args().repeat)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
