"""Rendering a week's report folder: all of a render or none of it, and a sent week stays sent."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest
from fixtures.report.builder import WEEK_LABEL, sample_report_data, with_kpi_name
from fixtures.report.smtp import HOST, RecordingHandler, smtp_server

from kpi_pipeline.delivery import (
    AlreadySentError,
    RenderedReport,
    SmtpConfig,
    render_report,
    send_report,
)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path → content hash)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def siblings(out_dir: Path) -> list[str]:
    return sorted(p.name for p in out_dir.parent.iterdir() if p != out_dir)


def smtp(port: int) -> SmtpConfig:
    return SmtpConfig(host=HOST, port=port, security="none", sender="kpi@example.jp",
                      to=("marketing@example.jp",), timeout=5.0)


def test_a_render_that_fails_part_way_leaves_the_previous_report_untouched(tmp_path: Path) -> None:
    out = tmp_path / "reports" / WEEK_LABEL
    render_report(sample_report_data(), out)
    before = snapshot(out)
    assert "charts/kpi-02.png" in before and "report.pdf" in before
    # a name that cannot be written as UTF-8 (a lone surrogate from a mis-decoded targets
    # file): the charts render, writing report.html fails
    broken = with_kpi_name("CVR\udce9")
    with pytest.raises(UnicodeEncodeError):
        render_report(broken, out)
    assert snapshot(out) == before
    assert siblings(out) == []  # no work folder left behind
    report = RenderedReport.load(out)  # still complete: everything it names is there
    assert all(c.path.exists() for c in report.charts) and report.pdf.exists()


def test_a_successful_render_replaces_every_file_of_the_previous_one(tmp_path: Path) -> None:
    out = tmp_path / WEEK_LABEL
    render_report(sample_report_data(), out, formats={"html", "pdf"})
    (out / "report.eml").write_text("a dry run of the old render\n", encoding="utf-8")
    report = render_report(sample_report_data(), out, formats={"html"}, charts=False)
    assert sorted(snapshot(out)) == ["email.html", "email.txt", "manifest.json", "report.html"]
    assert siblings(out) == []
    assert report.out_dir == out and report.html == out / "report.html"
    assert report.pdf is None and report.charts == ()
    assert report.email_html.parent == out and report.email_text.exists()


def test_returned_paths_are_in_the_report_folder_and_match_its_manifest(tmp_path: Path) -> None:
    out = tmp_path / WEEK_LABEL
    report = render_report(sample_report_data(), out)
    loaded = RenderedReport.load(out)
    assert replace(report, timings={}) == loaded
    assert all(c.path.parent == out / "charts" and c.path.exists() for c in report.charts)


def test_a_sent_week_stays_sent_after_it_is_rendered_again(tmp_path: Path) -> None:
    out = tmp_path / WEEK_LABEL
    render_report(sample_report_data(), out, formats={"html"}, charts=False)
    handler = RecordingHandler()
    with smtp_server(handler) as port:
        first = send_report(out, smtp(port))
        marker = (out / "sent.json").read_bytes()
        render_report(sample_report_data(), out, formats={"html"}, charts=False)
        assert (out / "sent.json").read_bytes() == marker
        with pytest.raises(AlreadySentError, match=first.sent_at.isoformat()[:10]):
            send_report(out, smtp(port))
        send_report(out, smtp(port), force=True)
    assert len(handler.received) == 2


def test_a_report_left_aside_by_a_render_killed_mid_swap_is_put_back(tmp_path: Path) -> None:
    out = tmp_path / WEEK_LABEL
    render_report(sample_report_data(), out, formats={"html"}, charts=False)
    (out / "sent.json").write_text('{"sent_at": "2027-05-10T09:00:00+09:00"}', encoding="utf-8")
    # what a kill between "old folder aside" and "new folder in" leaves: the report renamed
    # aside, and the killed render's half-written work folder
    out.rename(tmp_path / f".{WEEK_LABEL}.old-0123456789ab")
    work = tmp_path / f".{WEEK_LABEL}.tmp-0123456789ab"
    work.mkdir()
    (work / "report.html").write_text("<html", encoding="utf-8")
    an_hour_ago = time.time() - 3700
    os.utime(work, (an_hour_ago, an_hour_ago))

    render_report(sample_report_data(), out, formats={"html"}, charts=False)
    assert (out / "sent.json").exists()
    assert siblings(out) == []


def test_a_failed_first_render_leaves_no_folder_at_all(tmp_path: Path) -> None:
    out = tmp_path / WEEK_LABEL
    with pytest.raises(UnicodeEncodeError):
        render_report(with_kpi_name("CVR\udce9"), out, formats={"html"}, charts=False)
    assert list(tmp_path.iterdir()) == []
