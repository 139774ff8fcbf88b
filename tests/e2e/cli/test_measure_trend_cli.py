"""Effects beyond the trend: `kpi-pipeline backfill` + `run` on two sites with hand-made CSVs.

Site a logs three measures, all started on Monday 2026-10-26 (week 12 of the series) and judged
in 2026-W47 (after weeks 12..15 of the series):

* 問い合わせ (a custom CSV count) was already rising by 10 a week and keeps doing so: the old
  before/after comparison called that an effect; now it reads 「トレンドどおり」.
* 資料請求 rises the same way and jumps by 80 a week from the start: 効果あり.
* 受注 (the CRM export) moves with site b's orders, and both jump by 200 a week from the start (a
  season, not the measure): with site b as the control, 「トレンドどおり」 again.
"""

from __future__ import annotations

import email
import subprocess
from datetime import date, timedelta
from email import policy
from pathlib import Path

import duckdb
import pytest
from helpers.cli import run_cli

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.slow]

FIRST = date(2026, 8, 3)  # Monday of week 0 of the series (2026-W32)
START = FIRST + timedelta(weeks=12)  # 2026-10-26, Monday of 2026-W44
WEEK, WEEK_START = "2026-W47", FIRST + timedelta(weeks=15)
WEEKS = 16
SITES = """\
sites:
  - {id: a, name: サイトA, source: demo, crm_csv: a/crm.csv, targets: a/kpi_targets.yaml}
  - {id: b, name: サイトB, source: demo, crm_csv: b/crm.csv, targets: b/kpi_targets.yaml}
"""
TARGETS_A = """\
timezone: Asia/Tokyo
metrics:
  - {id: inquiries, name: 問い合わせ数, name_en: Inquiries, phase: revenue,
     csv: {file: inquiries.csv, column: inquiries, aggregate: sum}}
  - {id: brochures, name: 資料請求数, name_en: Brochure requests, phase: revenue,
     csv: {file: brochures.csv, column: brochures, aggregate: sum}}
kgis:
  - {id: orders_x2, name: 受注を2倍に, metric: orders, period: {start: 2026-10-01, end: 2027-03-31},
     baseline: {from: 2026-08-03, to: 2026-09-27}, target: {multiplier: 2}}
kpis:
  - {id: inquiries_up, name: 問い合わせを増やす, kgi: orders_x2, metric: inquiries, start: 2026-10-01,
     deadline: 2027-03-31, baseline: {from: 2026-08-03, to: 2026-09-27}, target: {multiplier: 2}}
  - {id: brochures_up, name: 資料請求を増やす, kgi: orders_x2, metric: brochures, start: 2026-10-01,
     deadline: 2027-03-31, baseline: {from: 2026-08-03, to: 2026-09-27}, target: {multiplier: 2}}
  - {id: orders_up, name: 受注を増やす, kgi: orders_x2, metric: orders, start: 2026-10-01,
     deadline: 2027-03-31, baseline: {from: 2026-08-03, to: 2026-09-27}, target: {multiplier: 2}}
measures:
  - {id: faq, name: FAQページ刷新, phase: revenue, start: 2026-10-26, kpis: [inquiries_up]}
  - {id: brochure_cta, name: 資料請求CTA改善, phase: revenue, start: 2026-10-26, kpis: [brochures_up]}
  - {id: sales_push, name: 営業強化週間, phase: revenue, start: 2026-10-26, kpis: [orders_up]}
"""
TARGETS_B = """\
timezone: Asia/Tokyo
kgis:
  - {id: orders_b, name: 受注を1.5倍に, metric: orders, period: {start: 2026-10-01, end: 2027-03-31},
     baseline: {from: 2026-08-03, to: 2026-09-27}, target: {multiplier: 1.5}}
"""
# Site b's weekly orders: an irregular market around 300, then +200 a week from week 12.
ORDERS_B = [300, 330, 280, 320, 290, 310, 270, 340, 300, 320, 280, 310] + [500] * 4


def _wobble(k: int) -> int:
    """A small irregular wobble (−5..5): real weeks are never on a straight line."""
    return (k * 7) % 11 - 5


def inquiries(k: int) -> int:
    """問い合わせ a week: 200 + 10 a week, all along."""
    return 200 + 10 * k + _wobble(k)


def brochures(k: int) -> int:
    """資料請求 a week: the same rise, and 80 more a week from the measure's start."""
    return inquiries(k) + (80 if k >= 12 else 0)


def orders_a(k: int) -> int:
    """Site a's orders a week: 400 + 10 a week + site b's market, with a wobble of its own."""
    return 400 + 10 * k + ORDERS_B[k] + _wobble(k + 3)


def _spread(total: int) -> list[int]:
    """A week's total over its 7 days (whole numbers summing to it)."""
    return [total // 7 + (1 if i < total % 7 else 0) for i in range(7)]


def _days_of(weekly) -> list[tuple[date, int]]:
    return [(FIRST + timedelta(weeks=k, days=i), n) for k in range(WEEKS)
            for i, n in enumerate(_spread(weekly(k)))]


def _crm(weekly) -> str:
    """A CRM export whose funnel narrows: leads 8×, appointments 4×, deals 2× the orders."""
    return "date,leads,appointments,deals,orders,revenue\n" + "".join(
        f"{d},{8 * n},{4 * n},{2 * n},{n},{n * 50000}\n" for d, n in _days_of(weekly))


def _csv(column: str, weekly) -> str:
    return f"date,{column}\n" + "".join(f"{d},{n}\n" for d, n in _days_of(weekly))


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("trend")
    for site, targets in (("a", TARGETS_A), ("b", TARGETS_B)):
        (folder / site).mkdir()
        (folder / site / "kpi_targets.yaml").write_text(targets, encoding="utf-8")
    (folder / "a" / "crm.csv").write_text(_crm(orders_a), encoding="utf-8")
    (folder / "b" / "crm.csv").write_text(_crm(lambda k: ORDERS_B[k]), encoding="utf-8")
    (folder / "a" / "inquiries.csv").write_text(_csv("inquiries", inquiries), encoding="utf-8")
    (folder / "a" / "brochures.csv").write_text(_csv("brochures", brochures), encoding="utf-8")
    (folder / "sites.yaml").write_text(SITES, encoding="utf-8")
    home, env = folder / "home", {"KPI_SITES": str(folder / "sites.yaml")}
    backfill = run_cli("backfill", "--from", "2026-W32", "--to", "2026-W46", home=home, cwd=folder,
                       timeout=900, **env)
    assert backfill.returncode == 0, backfill.stderr[-3000:]
    run = run_cli("run", "--week", WEEK, home=home, cwd=folder, timeout=600, **env)
    assert run.returncode == 0, run.stderr[-3000:]
    english = run_cli("report", "--week", WEEK, "--site", "a", "--lang", "en", "--format", "html",
                      home=home, cwd=folder, **env)
    assert english.returncode == 0, english.stderr[-3000:]
    return home


def _effect(home: Path, measure_id: str) -> dict[str, object]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        cur = con.execute("SELECT * FROM mart.measure_effects WHERE site_id = 'a' AND week_start = ? "
                          "AND measure_id = ?", [WEEK_START, measure_id])
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))
    finally:
        con.close()


def _mean(weekly, weeks: range) -> float:
    return sum(weekly(k) for k in weeks) / len(weeks)


def test_a_metric_rising_as_before_reads_in_line_with_the_trend(ran: Path) -> None:
    found = _effect(ran, "faq")
    # before (weeks 8..11) and after (12..15): about +40 a week, which the old comparison called
    # 効果あり (more than twice its noise)
    assert found["before_value"] == pytest.approx(_mean(inquiries, range(8, 12)))
    assert found["after_value"] == pytest.approx(_mean(inquiries, range(12, 16)))
    assert found["change"] > 2 * found["noise"]
    # the line through weeks 0..11 (200 + 10 a week) predicts about 200 + 10 × 13.5 = 335
    assert found["trend_weeks"] == 12 and found["trend_slope"] == pytest.approx(10, abs=1)
    assert found["expected_value"] == pytest.approx(335, abs=10)
    assert abs(found["effect"]) < found["effect_limit"]
    assert found["verdict"] == "trend" and found["control_site"] is None


def test_a_step_beyond_the_trend_still_reads_as_an_effect(ran: Path) -> None:
    found = _effect(ran, "brochure_cta")
    assert found["expected_value"] == pytest.approx(335, abs=10)
    assert found["effect"] == pytest.approx(80, abs=10) and found["effect"] > found["effect_limit"]
    assert found["verdict"] == "improved"


def test_a_jump_the_other_site_shares_is_explained_by_that_control(ran: Path) -> None:
    found = _effect(ran, "sales_push")
    # +238 a week before → after, mostly site b's +200: the trend alone would call it an effect
    assert found["change"] == pytest.approx(_mean(orders_a, range(12, 16)) - _mean(orders_a, range(8, 12)))
    assert found["control_site"] == "b"
    assert abs(found["effect"]) < found["effect_limit"]
    assert found["verdict"] == "trend"


def _measure_lines(text: str, start: str, end: str) -> str:
    section = text[text.index(start):]
    return " ".join(section[:section.index(end)].split())


def test_the_report_the_pdf_and_the_email_use_the_same_verdicts(ran: Path) -> None:
    folder = ran / "reports" / "a" / WEEK
    html = _measure_lines((folder / "report.html").read_text(encoding="utf-8"), "実施中の施策", "</ul>")
    assert "FAQページ刷新（10/26〜）：問い合わせを増やす" in html
    faq, cta, push = (html.split(name, 1)[1] for name in ("FAQページ刷新", "資料請求CTA改善", "営業強化週間"))
    assert faq.split("</li>")[0].endswith("トレンドどおり（施策の効果は確認できず）")
    assert "開始前のトレンドでは" in faq and "予測の幅 ±" in faq
    assert cta.split("</li>")[0].endswith("効果あり")
    assert "対照：サイト b" in push.split("</li>")[0]
    assert push.split("</li>")[0].endswith("トレンドどおり（施策の効果は確認できず）")

    message = email.message_from_bytes((folder / "report.eml").read_bytes(), policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.count("トレンドどおり（施策の効果は確認できず）") == 2 and "効果あり" in text

    pdf = subprocess.run(["pdftotext", str(folder / "report.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout
    assert "トレンドどおり" in "".join(pdf.split())

    english = (folder / "report.en.html").read_text(encoding="utf-8")
    assert english.count("in line with the trend (no effect beyond it)") == 2
    assert "the trend before predicted" in english and "control: site b" in english
