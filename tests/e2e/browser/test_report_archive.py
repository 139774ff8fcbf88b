"""The archive and the reports as a reader meets them: `reports/index.html` after the CLI
rendered weeks in Japanese and English, opened in headless Chromium from a loopback server."""

from __future__ import annotations

import re
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urljoin

import pytest
from fixtures.report.builder import sample_report_data
from fixtures.report.smtp import HOST, RecordingHandler, smtp_server
from helpers.browser import (
    CHARTS_JS,
    OVERFLOW_JS,
    chromium,
    full_page_png,
    set_viewport,
    static_server,
)
from helpers.cli import run_cli
from helpers.demo_warehouse import copy_demo
from selenium.webdriver.common.by import By

from kpi_pipeline.delivery.email.send import send_report
from kpi_pipeline.delivery.email.smtp_config import SmtpConfig
from kpi_pipeline.delivery.report.render import render_report

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.slow]

WEEKS = ("2026-W46", "2026-W45")  # newest first, as the archive lists them
LAST_MONDAY = date(2026, 11, 9)
WIDTHS = (375, 1280)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Path:
    """Two years of demo data (the session's copy, ending with LAST_MONDAY's week), two weeks
    built and rendered by the CLI, the last one in English too."""
    home = tmp_path_factory.mktemp("archive_home")
    cwd = tmp_path_factory.mktemp("cwd")
    copy_demo(demo_template, home)
    built = run_cli("backfill", "--from", WEEKS[1], "--to", WEEKS[0], "--with-reports",
                    home=home, cwd=cwd)
    assert built.returncode == 0, built.stderr[-3000:]
    english = run_cli("report", "--week", WEEKS[0], "--lang", "en", home=home, cwd=cwd)
    assert english.returncode == 0, english.stderr[-3000:]
    assert f"report: {home / 'reports' / WEEKS[0] / 'report.en.html'}" in english.stdout
    return home


def test_the_archive_lists_every_week_newest_first_with_counts_progress_and_both_languages(
        home: Path) -> None:
    html = (home / "reports" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'id="w-(\d{4}-W\d{2})"', html) == list(WEEKS)
    newest = html[html.index(f'id="w-{WEEKS[0]}"'):html.index(f'id="w-{WEEKS[1]}"')]
    links = re.findall(r'href="([^"]+)"', newest)
    assert links == [f"{WEEKS[0]}/report.html", f"{WEEKS[0]}/report.pdf",
                     f"{WEEKS[0]}/report.en.html", f"{WEEKS[0]}/report.en.pdf"]
    assert all((home / "reports" / link).is_file() for link in links)
    assert "順調" in newest and "1年で受注100件" in newest and "%" in newest
    # the Japanese report of the week is still there, whole, after the English render
    ja = (home / "reports" / WEEKS[0] / "report.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in ja
    assert '<html lang="en">' in (home / "reports" / WEEKS[0] / "report.en.html").read_text(
        encoding="utf-8")


def test_the_archive_charts_52_weeks_of_each_goal_beside_last_year(home: Path) -> None:
    html = (home / "reports" / "index.html").read_text(encoding="utf-8")
    charts = re.findall(r'<img class="trend" src="([^"]+)"', html)
    assert charts and all((home / "reports" / c).is_file() for c in charts)
    svg = (home / "reports" / charts[0]).read_text(encoding="utf-8")
    assert "直近52週" in svg and "前年同週" in svg  # both lines, named in the legend
    first_week = LAST_MONDAY - timedelta(weeks=51)
    assert f"{first_week.month}/{first_week.day}" in svg and "11/9" in svg  # a year of weeks


def test_rendering_one_language_keeps_the_other_and_each_has_its_own_sent_marker(
        tmp_path: Path) -> None:
    out = tmp_path / "2027-W18"
    render_report(sample_report_data(), out, formats={"html"}, charts=False)
    handler = RecordingHandler()
    with smtp_server(handler) as port:
        config = SmtpConfig(host=HOST, port=port, security="none", sender="kpi@example.jp",
                            to=("team@example.jp",), timeout=5.0)
        send_report(out, config)
        english = render_report(sample_report_data(), out, formats={"html"}, lang="en")
        render_report(sample_report_data(), out, formats={"html"}, charts=False)  # ja again
        send_report(english, config)  # English was never sent: it goes
    assert (out / "report.html").exists() and (out / "report.en.html").exists()
    assert (out / "sent.json").exists() and (out / "sent.en.json").exists()
    assert (out / "charts.en").is_dir() and any((out / "charts.en").iterdir())
    assert [str(r.message["Subject"])[:8] for r in handler.received] == ["【KPIチェック", "[KPI che"]


def _no_overflow(driver, where: str) -> None:
    scroll, inner = driver.execute_script(OVERFLOW_JS)
    assert scroll <= inner, f"{where}: page is {scroll}px wide in a {inner}px viewport"


def _charts_load(driver, where: str) -> int:
    charts = driver.execute_script(CHARTS_JS)
    broken = [src for src, width in charts if not width]
    assert charts and not broken, f"{where}: charts not shown: {broken}"
    return len(charts)


@pytest.mark.slow
def test_index_and_week_open_in_chromium_with_working_links_charts_and_no_overflow(
        home: Path, tmp_path: Path) -> None:
    with static_server(home / "reports") as base, chromium(tmp_path / "profile") as driver:
        for width in WIDTHS:
            set_viewport(driver, width)
            driver.get(base)
            assert WEEKS[0] in driver.title or driver.find_element(By.ID, f"w-{WEEKS[0]}")
            _no_overflow(driver, f"index at {width}px")
            assert _charts_load(driver, "index") >= 2
            full_page_png(driver, tmp_path / f"index-{width}.png")

        # every report link of the archive answers with a file of the right kind
        hrefs = [a.get_attribute("href") for a in
                 driver.find_elements(By.CSS_SELECTOR, "a.report-html, a.report-pdf")]
        assert len(hrefs) == 6  # W46: ja + en, W45: ja; HTML and PDF each
        for href in hrefs:
            with urllib.request.urlopen(href, timeout=10) as response:  # noqa: S310 (loopback)
                body = response.read(5)
                assert response.status == 200
                assert body == b"%PDF-" if href.endswith(".pdf") else body.startswith(b"<!DOC")

        # index → week → back to the index
        driver.find_element(By.CSS_SELECTOR, f'#w-{WEEKS[0]} a.report-html[hreflang="ja"]').click()
        assert driver.current_url == urljoin(base, f"{WEEKS[0]}/report.html")
        for width in WIDTHS:
            set_viewport(driver, width)
            driver.get(driver.current_url)
            _no_overflow(driver, f"{WEEKS[0]} report at {width}px")
            assert _charts_load(driver, "report") >= 5
            full_page_png(driver, tmp_path / f"report-{width}.png")
        driver.find_element(By.CSS_SELECTOR, ".archive-link a").click()
        assert driver.current_url == base + "index.html"
    shots = sorted(p.name for p in tmp_path.glob("*.png"))
    assert shots == ["index-1280.png", "index-375.png", "report-1280.png", "report-375.png"]
    assert all((tmp_path / s).stat().st_size > 10_000 for s in shots)


def test_links_join_the_base_url_with_the_percent_encoded_place_under_reports(
        tmp_path: Path) -> None:
    from kpi_pipeline.delivery.paths import report_link

    page = tmp_path / "reports" / "shop jp" / "2027-W18" / "report.en.html"
    for base in ("https://r.example.jp/kpi", "https://r.example.jp/kpi/"):
        assert report_link(page, tmp_path / "reports", base) == \
            "https://r.example.jp/kpi/shop%20jp/2027-W18/report.en.html"
    assert report_link(page, tmp_path / "reports", None) == str(page.resolve())
