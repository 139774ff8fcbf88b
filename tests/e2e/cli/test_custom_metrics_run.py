"""Custom metrics and the measures log end to end: `kpi-pipeline backfill` + `run` as a user
types them, on the demo source, with a targets file that declares a CSV metric (followers,
aggregate last), a ratio metric and measures; read back from the warehouse and the HTML."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from helpers.cli import run_cli

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.slow]

WEEK = "2026-W47"
WEEK_START = date(2026, 11, 16)
CAMPAIGN_START = date(2026, 10, 12)

TARGETS = """\
timezone: Asia/Tokyo
metrics:
  - id: followers
    name: Xフォロワー数
    name_en: X followers
    phase: referral
    csv: {file: data/followers.csv, column: followers, aggregate: last}
  - id: won_per_deal
    name: 受注率（自作）
    name_en: Won per deal
    phase: revenue
    ratio: {numerator: orders, denominator: deals}
kgis:
  - id: orders_x150
    name: 3か月で成約数を1.5倍に
    metric: orders
    period: {start: 2026-10-01, end: 2026-12-31}
    baseline: {from: 2026-08-01, to: 2026-09-30}
    target: {multiplier: 1.5}
kpis:
  - id: followers_x2
    name: 3か月でXのフォロワー数を2倍に
    kgi: orders_x150
    metric: followers
    start: 2026-10-01
    deadline: 2026-12-31
    baseline: {from: 2026-09-01, to: 2026-09-30}
    target: {multiplier: 2}
  - id: close_rate_x130
    name: 1年で成約率を1.3倍に
    kgi: orders_x150
    metric: close_rate
    start: 2026-10-01
    deadline: 2027-09-30
    baseline: {from: 2026-08-01, to: 2026-09-30}
    target: {multiplier: 1.3}
  - id: won_per_deal_x120
    name: 受注率を1.2倍に
    kgi: orders_x150
    metric: won_per_deal
    start: 2026-10-01
    deadline: 2027-03-31
    baseline: {from: 2026-08-01, to: 2026-09-30}
    target: {multiplier: 1.2}
measures:
  - {id: x_campaign, name: Xキャンペーン, phase: referral, start: 2026-10-12, end: 2026-11-08, kpis: [followers_x2]}
  - {id: lpo_nov, name: LPO（料金ページ改修）, phase: revenue, start: 2026-11-18, kpis: [won_per_deal_x120]}
"""


def _followers() -> dict[date, int]:
    """About +2 a day, +30 a day from the campaign on (a little wobble, as real counts have);
    no row for the Sunday of the report week."""
    values, day, value = {}, date(2026, 6, 1), 1000
    while day <= WEEK_START + timedelta(days=6):
        if day != WEEK_START + timedelta(days=6):
            values[day] = value
        value += (30 if day >= CAMPAIGN_START else 2) + day.toordinal() * 7919 % 5 - 2
        day += timedelta(days=1)
    return values


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("custom")
    (folder / "data").mkdir()
    rows = "".join(f"{d.isoformat()},{v},memo\n" for d, v in _followers().items())
    (folder / "data" / "followers.csv").write_text("date,followers,note\n" + rows, encoding="utf-8")
    targets = folder / "kpi_targets.yaml"
    targets.write_text(TARGETS, encoding="utf-8")
    home = folder / "home"
    env = {"KPI_TARGETS": str(targets)}
    backfill = run_cli("backfill", "--from", "2026-W30", "--to", "2026-W46", home=home,
                       cwd=folder, timeout=600, **env)
    assert backfill.returncode == 0, backfill.stderr[-3000:]
    run = run_cli("run", "--week", WEEK, home=home, cwd=folder, **env)
    assert run.returncode == 0, run.stderr[-3000:]
    return home


def _one(home: Path, sql: str, params: list[object]) -> tuple:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params).fetchone()
    finally:
        con.close()


def _weekly(home: Path, metric_id: str) -> tuple:
    return _one(home, "SELECT value, numerator, denominator FROM mart.metrics_weekly "
                      "WHERE site_id = 'demo' AND week_start = ? AND metric_id = ?", [WEEK_START, metric_id])


def test_a_last_csv_metric_is_the_csv_value_of_the_last_day_of_the_week_with_data(ran: Path) -> None:
    saturday = WEEK_START + timedelta(days=5)
    value, _, _ = _weekly(ran, "followers")
    assert value == _followers()[saturday]  # not the sum, the max or the mean of the week
    phase, = _one(ran, "SELECT phase FROM mart.aarrr_weekly WHERE week_start = ? AND metric_id = 'followers'",
                  [WEEK_START])
    assert phase == "referral"


def test_ratio_metrics_are_summed_orders_over_summed_deals_of_the_week(ran: Path) -> None:
    orders, deals = _one(ran, "SELECT sum(orders), sum(deals) FROM raw.crm_daily WHERE site_id = 'demo' "
                              "AND date BETWEEN ? AND ?", [WEEK_START, WEEK_START + timedelta(days=6)])
    for metric_id in ("close_rate", "won_per_deal"):
        value, numerator, denominator = _weekly(ran, metric_id)
        assert (numerator, denominator) == (orders, deals)
        assert value == pytest.approx(orders / deals)


def test_custom_metrics_are_in_the_catalogue_of_their_site(ran: Path) -> None:
    found = _one(ran, "SELECT aggregation, source, phase FROM mart.metric_catalog "
                      "WHERE metric_id = 'followers' AND site_id = 'demo'", [])
    assert found == ("last", "csv", "referral")
    found = _one(ran, "SELECT aggregation, numerator_metric, denominator_metric FROM mart.metric_catalog "
                      "WHERE metric_id = 'won_per_deal' AND site_id = 'demo'", [])
    assert found == ("ratio", "orders", "deals")


def test_a_kpi_on_a_csv_metric_is_judged_from_its_weekly_level(ran: Path) -> None:
    actual, baseline = _one(ran, "SELECT actual, baseline FROM mart.kpi_progress "
                                 "WHERE week_start = ? AND item_id = 'followers_x2'", [WEEK_START])
    assert actual == _followers()[WEEK_START + timedelta(days=5)]
    assert baseline == _followers()[date(2026, 9, 30)]  # the level at the end of the baseline


def test_the_measure_that_moved_followers_is_an_effect_and_the_new_one_is_too_early(ran: Path) -> None:
    before, after, change, noise, verdict = _one(
        ran, "SELECT before_value, after_value, change, noise, verdict FROM mart.measure_effects "
             "WHERE week_start = ? AND measure_id = 'x_campaign' AND kpi_id = 'followers_x2'", [WEEK_START])
    assert verdict == "improved"
    # a level is compared by its weekly gain (about 14 a week before, about 210 after), not its level
    assert before == pytest.approx(14, abs=5) and after == pytest.approx(210, abs=10)
    assert change == pytest.approx(after - before) and change > 2 * noise > 0
    verdict, = _one(ran, "SELECT verdict FROM mart.measure_effects WHERE week_start = ? "
                         "AND measure_id = 'lpo_nov'", [WEEK_START])
    assert verdict == "too_early"


def test_the_report_names_custom_metrics_and_lists_the_measures_in_act(ran: Path) -> None:
    html = (ran / "reports" / WEEK / "report.html").read_text(encoding="utf-8")
    assert "3か月でXのフォロワー数を2倍に" in html
    assert f"{_followers()[WEEK_START + timedelta(days=5)]:,}" in html
    running = html.split("実施中の施策", 1)[1].split("</ul>", 1)[0]
    ended = html.split("終了した施策", 1)[1].split("</ul>", 1)[0]
    assert "LPO（料金ページ改修）（11/18〜）" in running and "効果測定中" in running
    assert "Xキャンペーン（10/12〜11/8）" in ended and "効果あり" in ended and "週あたり+" in ended
    # the campaign is marked on the followers KPI's pace chart
    assert html.count("Xキャンペーン") >= 2
