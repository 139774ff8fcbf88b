"""``kpi-pipeline targets check`` warns about goals the weekly Check cannot judge well."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest
from helpers.week_series import frames, week_series
from typer.testing import CliRunner

from kpi_pipeline.cli.app import _register_commands, app
from kpi_pipeline.warehouse import ensure_schema, replace_rows

_register_commands()

FILE = """\
kgis:
  - {id: orders_fy, name: 1年で受注100件, metric: orders, period: {start: 2026-04-06, end: 2027-03-28},
     target: {value: 100}}
kpis:
  - id: bounce_up
    name: 直帰率を45%に
    kgi: orders_fy
    metric: bounce_rate
    start: 2026-10-05
    deadline: 2026-12-27
    baseline: {value: 0.44}
    target: {value: 45%}
  - id: orders_x150
    name: 3か月で成約数を1.5倍に
    kgi: orders_fy
    metric: orders
    start: 2026-10-05
    deadline: 2026-12-27
    baseline: {value: 2}
    target: {multiplier: 1.5}
  - id: cvr_tiny
    name: CVRを少しだけ上げる
    kgi: orders_fy
    metric: cvr
    start: 2026-10-05
    deadline: 2026-12-27
    baseline: {from: 2026-08-31, to: 2026-10-04}
    target: {multiplier: 1.02}
"""


def check(tmp_path: Path, home: Path) -> str:
    path = tmp_path / "kpi_targets.yaml"
    path.write_text(FILE, encoding="utf-8")
    result = CliRunner().invoke(app, ["targets", "check", str(path)], env={"KPI_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_reach_target_on_the_worse_side_and_a_small_count_are_warned_without_a_warehouse(tmp_path: Path) -> None:
    out = check(tmp_path, tmp_path / "no-warehouse-here")
    assert "OK: 1 KGIs, 3 KPIs" in out
    assert (f"warning: {tmp_path / 'kpi_targets.yaml'}:12: kpis[0].target: bounce_up: the target 45.00% is on the "
            "worse side of the baseline 44.00% (bounce_rate is better lower)") in out
    assert "Write target: {at_most: 45.00%}" in out
    assert "kpis[1].target: orders_x150: about 2.0 orders a week (under 10): judged on the mean of the weeks since the start (at least 4)" in out
    assert "measure: cumulative" in out
    # the noise warning needs the warehouse's history: without one it is skipped, not guessed
    assert "cvr_tiny" not in out


def test_a_planned_change_inside_the_weekly_noise_is_warned_when_the_warehouse_has_history(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # CVR swings 2.1 % ↔ 1.9 % week to week: σ = 0.2 pt / 0.6745 / √2 = 0.21 pt. The baseline weeks
    # 08-31..10-04 are 1.9, 2.1, 1.9, 2.1, 1.9 % = 1.98 %; ×1.02 is 2.02 %, a change of 0.04 pt
    cvr = week_series(date(2026, 6, 29), [0.019 if i % 2 else 0.021 for i in range(14)])
    daily, weekly = frames({"cvr": cvr})
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        ensure_schema(con)
        replace_rows(con, "mart.metrics_daily", daily, "TRUE")
        replace_rows(con, "mart.metrics_weekly", weekly, "TRUE")
    out = check(tmp_path, home)
    assert ("kpis[2].target: cvr_tiny: the planned change 1.98% → 2.02% is smaller than the usual "
            "week-to-week swing of cvr (about 0.21%)") in out


@pytest.mark.parametrize("line", ["kpis[0].target", "kpis[1].target"])
def test_warnings_do_not_fail_the_check(tmp_path: Path, line: str) -> None:
    assert line in check(tmp_path, tmp_path / "none")


ACHIEVABLE = """\
kgis:
  - {id: orders_fy, name: 1年で受注100件, metric: orders, period: {start: 2026-04-06, end: 2027-03-28},
     target: {value: 100}}
kpis:
  - {id: sessions_x150, name: 8週でセッション数を1.5倍に, kgi: orders_fy, metric: sessions, start: 2026-10-05,
     deadline: 2026-11-29, baseline: {from: 2026-03-02, to: 2026-03-29}, target: {multiplier: 1.5}}
  - {id: sessions_x110, name: 8週でセッション数を1.1倍に, kgi: orders_fy, metric: sessions, start: 2026-10-05,
     deadline: 2026-11-29, baseline: {from: 2026-03-02, to: 2026-03-29}, target: {multiplier: 1.1}}
  - {id: sessions_x125, name: 8週でセッション数を1.25倍に, kgi: orders_fy, metric: sessions, start: 2026-10-05,
     deadline: 2026-11-29, baseline: {from: 2026-03-02, to: 2026-03-29}, target: {multiplier: 1.25}}
"""


def test_a_target_is_checked_for_its_chance_at_the_start_against_the_history(tmp_path: Path) -> None:
    """Achievable: sessions ran 10,000 a week (±3 %) for a year and 12,000 since late June.
    From March's 10,000, ×1.5 (15,000) is far beyond anything the history shows, ×1.1 (11,000) is
    met by the level already reached, ×1.25 (12,500) is a stretch with a fair chance."""
    home = tmp_path / "home"
    home.mkdir()
    wobble = [1.0, 1.03, 0.98, 1.01, 0.97, 1.02]
    weeks = [(10000.0 if i < 50 else 12000.0) * wobble[i % 6] for i in range(66)]
    daily, weekly = frames({"sessions": week_series(date(2025, 7, 7), weeks)})  # to 2026-10-04
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        ensure_schema(con)
        replace_rows(con, "mart.metrics_daily", daily, "TRUE")
        replace_rows(con, "mart.metrics_weekly", weekly, "TRUE")
    path = tmp_path / "kpi_targets.yaml"
    path.write_text(ACHIEVABLE, encoding="utf-8")
    result = CliRunner().invoke(app, ["targets", "check", str(path)], env={"KPI_HOME": str(home), "COLUMNS": "400"})
    assert result.exit_code == 0, result.output  # warnings, not errors
    out = " ".join(result.stdout.split())
    march = sum(weeks[34:38]) / 4  # the baseline: 2026-03-02..29
    before = weeks[:65]  # the history up to the week before the start (2026-09-28..10-04)
    chance = re.search(r"kpis\[0\]\.target: sessions_x150: at its start the chance of reaching "
                       rf"{march * 1.5:,.1f} by 2026-11-29 is (\d+)%: unrealistic – the deadline window must "
                       rf"average {march * 1.5:,.1f} where the last 8 weeks ran {sum(before[-8:]) / 8:,.1f}", out)
    assert chance and int(chance.group(1)) < 10, out
    assert f"warning: {path}:6: kpis[0].target" in out  # the line of the target in the file
    best = max(sum(before[i:i + 4]) / 4 for i in range(len(before) - 52, len(before) - 3))
    assert f"and the best 4 weeks of the last year {best:,.1f}" in out
    assert (f"{path}:8: kpis[1].target: sessions_x110: at its start the chance of reaching {march * 1.1:,.1f} "
            "by 2026-11-29 is 100%: no stretch") in out
    assert "sessions_x125: at its start" not in out
