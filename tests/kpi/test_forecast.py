"""The chance of reaching a goal (``p_reach``), worked out by hand on flat histories.

On a history that never varied, every past forecast was exact, so the model's spread is its
floor: ±2 % (log) on the level of the weeks to come (forecast.SPREAD_FLOOR). A rate is then
lognormal around its level; a count is Poisson around a level that is lognormal, so for small
counts the chance is essentially the Poisson tail. Each case below states that arithmetic; the
chance is a share of 4,000 seeded draws (standard error under 0.01), hence the tolerances.
Goals go through ``compute_progress``: the same path as ``mart.kpi_progress``.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from helpers.week_series import frames, week_series

from kpi_pipeline.kpi.judgement.forecast import SPREAD_FLOOR, naive_backtest
from kpi_pipeline.kpi.judgement.progress import compute_progress
from kpi_pipeline.targets import load_targets

HEAD = """\
kgis:
  - {id: orders_fy, name: 1年で受注100件, metric: orders, period: {start: 2026-04-06, end: 2027-03-28},
     target: {value: 100}}
kpis:
"""
FIRST = date(2025, 9, 1)  # 62 weeks of flat history before the goals start
START, MID = date(2026, 11, 2), date(2026, 11, 23)  # 8-week goals, judged in their 4th week
GOALS = """\
  - {id: cvr_102, name: CVRを1.02%に, kgi: orders_fy, metric: cvr, start: 2026-11-02, deadline: 2026-12-27,
     baseline: {value: 0.01}, target: {value: 0.0102}}
  - {id: orders_25, name: 受注を週2.5件に, kgi: orders_fy, metric: orders, start: 2026-11-02,
     deadline: 2026-12-27, baseline: {value: 2}, target: {value: 2.5}}
  - {id: orders_total_17, name: 8週で受注17件, kgi: orders_fy, metric: orders, start: 2026-11-02,
     deadline: 2026-12-27, target: {value: 17}, measure: cumulative}
  - {id: bounce_46, name: 直帰率を46%以下に保つ, kgi: orders_fy, metric: bounce_rate, start: 2026-11-02,
     deadline: 2026-12-27, target: {at_most: 0.46}}
"""


def normal_cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def poisson_at_least(k: int, mean: float) -> float:
    return 1 - sum(math.exp(-mean) * mean ** i / math.factorial(i) for i in range(k))


@pytest.fixture(scope="module")
def mid(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Each goal in its 4th week (11-23..29), on flat weeks: CVR 1 %, 2 orders, bounce 45 %."""
    path = tmp_path_factory.mktemp("chance") / "kpi_targets.yaml"
    path.write_text(HEAD + GOALS, encoding="utf-8")
    weeks = 70  # to 2026-12-27: the goals' whole period has data
    daily, weekly = frames({"orders": week_series(FIRST, [2.0] * weeks),
                            "cvr": week_series(FIRST, [0.01] * weeks),
                            "bounce_rate": week_series(FIRST, [0.45] * weeks)})
    return compute_progress(load_targets(path), "demo", MID, daily, weekly, date(2027, 1, 31)).set_index("item_id")


def test_a_weekly_rate_goal_has_the_lognormal_chance_of_its_window_mean(mid: pd.DataFrame) -> None:
    # the window (the last 4 weeks, all still to come) must average 1.02 % from a level of
    # 1 %: P(e^(0.02 Z) ≥ 1.02) = 1 − Φ(ln 1.02 / 0.02) = 0.161
    row = mid.loc["cvr_102"]
    assert row["p_reach"] == pytest.approx(1 - normal_cdf(math.log(1.02) / SPREAD_FLOOR), abs=0.02)
    assert row["status"] == "off_track"  # under the 30 % threshold: unlikely
    assert row["forecast"] == pytest.approx(0.01, rel=0.005)
    assert row["forecast_low"] < 0.01 < 0.0102 < row["forecast_high"]  # a 16 % chance: inside the band


def test_a_small_count_goal_has_the_poisson_chance_of_its_window(mid: pd.DataFrame) -> None:
    # 2 a week, the window of 4 weeks must average 2.5: at least 10 orders where 8 are expected
    row = mid.loc["orders_25"]
    assert row["p_reach"] == pytest.approx(poisson_at_least(10, 8.0), abs=0.025)  # 0.283
    assert row["status"] == "off_track"


def test_a_cumulative_goal_has_the_chance_of_the_rest_it_needs(mid: pd.DataFrame) -> None:
    # 8 orders in the 4 complete weeks 11-02..29; 17 by 12-27 needs 9 in the last 4 weeks, where
    # 2 a week gives 8: P(Poisson(8) ≥ 9) = 0.408. The card's numbers: 9 / 4 against 2 a week
    row = mid.loc["orders_total_17"]
    assert row["actual"] == pytest.approx(8)
    assert row["p_reach"] == pytest.approx(poisson_at_least(9, 8.0), abs=0.025)
    assert row["status"] == "at_risk"  # between 30 % and 70 %
    assert (row["needed_per_week"], row["recent_per_week"]) == (pytest.approx(9 / 4), pytest.approx(2))


def test_a_keep_goal_has_the_chance_that_its_period_ends_on_the_good_side(mid: pd.DataFrame) -> None:
    # 45 % for the 4 weeks so far; the period's mean stays at most 46 % if the 4 weeks to come
    # average at most 8 × 0.46 / 4 − 0.45 = 47 %: P(0.45 e^(0.02 Z) ≤ 0.47) = Φ(ln(0.47/0.45) / 0.02)
    row = mid.loc["bounce_46"]
    assert row["p_reach"] == pytest.approx(normal_cdf(math.log(0.47 / 0.45) / SPREAD_FLOOR), abs=0.01)
    assert (row["status"], row["judgement"], row["goal_kind"]) == ("on_track", "held", "at_most")


def test_a_metric_with_too_few_weeks_has_no_chance_and_the_pace_decides(tmp_path: Path) -> None:
    path = tmp_path / "kpi_targets.yaml"
    path.write_text(HEAD + GOALS, encoding="utf-8")
    daily, weekly = frames({"cvr": week_series(date(2026, 11, 2), [0.0101] * 3)})
    row = compute_progress(load_targets(path), "demo", date(2026, 11, 16), daily, weekly,
                           date(2027, 1, 31)).set_index("item_id").loc["cvr_102"]
    assert pd.isna(row["p_reach"]) and pd.isna(row["forecast"])
    assert (row["status"], row["judgement"]) == ("on_track", "on_pace")  # 50 % done, 38 % due


def test_the_run_rate_beats_last_weeks_value_as_a_forecast_of_a_noisy_series() -> None:
    # 100 ± 20 a week at random: the mean of 8 weeks is nearer the future than any one week
    import numpy as np

    series = list(100 + np.random.default_rng(7).normal(0, 20, 80))
    found = naive_backtest(series, 4)
    assert found is not None and found["mape"] < 0.9 * found["naive_mape"]
