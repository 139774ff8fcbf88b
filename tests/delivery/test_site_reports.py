"""Many sites' reports rendered in report worker processes write exactly the files the run's
own process writes (kpi_pipeline/delivery/site_reports.py)."""

from __future__ import annotations

import filecmp
import re
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fixtures.report.builder import WEEK, WEEK_LABEL, sample_report_data

from kpi_pipeline.catalog import Aggregation, Direction, Metric, Phase, Unit
from kpi_pipeline.config.sites import SiteConfig
from kpi_pipeline.delivery import site_reports
from kpi_pipeline.delivery.site_reports import IndexJob, ReportJob, ReportWorkerError, run_jobs

SITES = [SiteConfig(id="shop", name="オンラインショップ"),
         SiteConfig(id="corp", name="Corporate", report_lang="en"),
         SiteConfig(id="blog", name="ブログ")]
FOLLOWERS = Metric("followers", "フォロワー数", "Followers", Unit.COUNT, Phase.REFERRAL,
                   Direction.HIGHER, Aggregation.LAST, "csv", "SNS followers at the end of the day")


def _jobs(root: Path) -> tuple[list[ReportJob], list[IndexJob]]:
    """Two weeks of three sites (one in English, one with a custom metric) and their indexes."""
    reports, indexes = [], []
    for n, site in enumerate(SITES):
        metrics = (FOLLOWERS,) if site.id == "blog" else ()
        for week in (WEEK - timedelta(weeks=1), WEEK):
            data = replace(sample_report_data(), site_id=site.id, site_label=site.label,
                           week_start=week)
            if metrics:  # the blog tracks its followers with its last KPI
                items = (*data.items[:-1], replace(data.items[-1], metric_id="followers"))
                data = replace(data, items=items)
            out = root / site.id / f"{week.isocalendar()[0]}-W{week.isocalendar()[1]:02d}"
            reports.append(ReportJob(data, out, ("html", "pdf"), site.report_lang, None, metrics))
        values = {"orders": {WEEK - timedelta(weeks=w): 10.0 + w * n for w in range(104)},
                  "sessions": {WEEK - timedelta(weeks=w): 1000.0 + 7 * w for w in range(60)}}
        indexes.append(IndexJob(site, root / site.id, True, None, values, WEEK, metrics))
    return reports, indexes


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_reports_rendered_by_workers_are_byte_identical_to_those_rendered_in_the_run(
    tmp_path: Path,
) -> None:
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    in_run = run_jobs(*_jobs(serial), workers=1)
    in_workers = run_jobs(*_jobs(parallel), workers=2)

    (worker,) = site_reports._pool()._idle  # this process and one report worker rendered them:
    children = subprocess.run(["pgrep", "-P", str(worker.process.pid)], capture_output=True, text=True)
    assert children.stdout.split(), "the report worker never rendered (it has no PDF worker)"
    assert [(r.site_id, r.iso_week, r.subject) for r in in_workers] == \
        [(r.site_id, r.iso_week, r.subject) for r in in_run]
    assert [r.out_dir for r in in_workers] == [parallel / r.out_dir.relative_to(serial) for r in in_run]
    files = _files(serial)
    assert files == _files(parallel)
    assert Path("shop", WEEK_LABEL, "report.html") in files
    assert Path("corp", WEEK_LABEL, "report.en.html") in files
    assert Path("blog", "archive", "trend-01.svg") in files and Path("blog", "index.html") in files
    # the e-mail's images carry a content id made afresh by every render, and the PDF its date
    differ = {"email.html", "email.en.html", "manifest.json", "manifest.en.json", "report.pdf",
              "report.en.pdf"}
    same = [f for f in files if f.name not in differ]
    match, mismatch, errors = filecmp.cmpfiles(serial, parallel, [str(f) for f in same], shallow=False)
    assert mismatch == [] and errors == [] and len(match) == len(same)
    cid = re.compile(r"\.[0-9a-f]{12}@kpi-pipeline")
    for manifest in (f for f in files if f.name.startswith("manifest")):
        assert cid.sub("", (serial / manifest).read_text()) == cid.sub("", (parallel / manifest).read_text())
    # the custom metric's name, registered from the job in the worker as in the run
    assert "フォロワー数" in (parallel / "blog" / WEEK_LABEL / "report.html").read_text()
    assert "フォロワー数" not in (serial / "shop" / WEEK_LABEL / "report.html").read_text()
    text = subprocess.run(["pdftotext", str(parallel / "shop" / WEEK_LABEL / "report.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "オンラインショップ" in text


def test_a_report_that_fails_in_a_worker_names_its_site_and_the_others_are_rendered(
    tmp_path: Path,
) -> None:
    reports, indexes = _jobs(tmp_path)
    broken = replace(reports[2], formats=("html", "docx"))  # corp's first week
    with pytest.raises(ReportWorkerError, match=r"^corp: ValueError: unknown report format"):
        run_jobs([*reports[:2], broken, *reports[3:]], indexes, workers=2)
    assert (tmp_path / "shop" / WEEK_LABEL / "report.html").exists()
    assert (tmp_path / "blog" / WEEK_LABEL / "report.html").exists()
