"""Measure effects beyond the trend: the prediction interval worked out by hand, and the verdicts
on weekly series a marketer would recognise (a metric already rising, a step beyond its rise, a
decline the measure stopped, a season both sites share)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from helpers.week_series import frames, week_series

from kpi_pipeline.catalog import Phase
from kpi_pipeline.kpi.measures.effects import ControlSite, Verdict, effect
from kpi_pipeline.kpi.measures.trend import predict, t975
from kpi_pipeline.kpi.metric_history import MetricHistory
from kpi_pipeline.targets.model import LoggedMeasure

FIRST = date(2026, 6, 1)  # a Monday: week k starts FIRST + k weeks
START = FIRST + timedelta(weeks=12)  # the measure starts on the Monday of week 12
LAST = FIRST + timedelta(weeks=15)  # evaluated in week 15: 4 after weeks (12..15)
MEASURE = LoggedMeasure("m1", "LPO", Phase.ACQUISITION, START, None, ("k1",))
WOBBLE = (10, -10)  # an alternating ±10 around the line: a history is never quite straight


def _history(values: list[float], metric_id: str = "sessions") -> MetricHistory:
    return MetricHistory(*frames({metric_id: week_series(FIRST, values)}))


def _rising(weeks: int = 16, after_extra: float = 0.0) -> list[float]:
    """1,000 sessions in week 0, +50 a week, the wobble on top; ``after_extra`` from week 12."""
    return [1000 + 50 * k + WOBBLE[k % 2] + (after_extra if k >= 12 else 0) for k in range(weeks)]


def test_the_prediction_interval_is_the_regression_one_worked_out_by_hand() -> None:
    # y = 10, 13, 14, 17 at t = -4..-1: t̄ = -2.5, Sxx = 5, Sxy = 11 → slope 2.2, intercept 19;
    # residuals -0.2, 0.6, -0.6, 0.2 → s² = 0.8 / 2 = 0.4. The mean of t = 0, 1 is predicted
    # 19 + 2.2 × 0.5 = 20.1 with variance s² (1/2 + 1/4 + (0.5 + 2.5)² / 5) = 0.4 × 2.55 = 1.02
    found = predict([-4, -3, -2, -1], [10, 13, 14, 17], [0, 1])
    assert found is not None
    assert found.slope == pytest.approx(2.2)
    assert found.expected == pytest.approx(20.1)
    assert found.se == pytest.approx(1.02 ** 0.5)
    assert found.limit == pytest.approx(4.303 * 1.02 ** 0.5)  # t(0.975, 2 df) = 4.303
    assert (found.weeks, found.df) == (4, 2)


def test_the_trend_uncertainty_widens_the_interval_the_further_ahead_it_predicts() -> None:
    near = predict([-4, -3, -2, -1], [10, 13, 14, 17], [0])
    far = predict([-4, -3, -2, -1], [10, 13, 14, 17], [8])
    assert near is not None and far is not None
    # residual spread alone would give both s·√1; the line's own uncertainty grows with distance
    assert far.se > 2 * near.se
    assert near.se > near.residual


def test_t_quantiles_are_the_table_values() -> None:
    assert [t975(d) for d in (1, 2, 6, 10, 30)] == [12.706, 4.303, 2.447, 2.228, 2.042]
    assert t975(120) == pytest.approx(1.980, abs=0.002)


def test_a_metric_rising_as_before_is_in_line_with_the_trend_not_an_effect() -> None:
    found = effect(_history(_rising()), MEASURE, "sessions", LAST)
    assert found is not None
    # before (weeks 8..11) 1,475 a week, after (12..15) 1,675: +200, far beyond twice the noise
    assert found["change"] == pytest.approx(200)
    assert found["change"] > 2 * found["noise"]
    # the trend of weeks 0..11 predicted about 1,675 for weeks 12..15: nothing beyond it
    assert found["expected_value"] == pytest.approx(1675, abs=5)
    assert abs(found["effect"]) < found["effect_limit"]
    assert found["trend_weeks"] == 12 and found["trend_slope"] == pytest.approx(50, abs=2)
    assert found["verdict"] == Verdict.TREND


def test_a_step_beyond_the_trend_is_an_effect() -> None:
    found = effect(_history(_rising(after_extra=300)), MEASURE, "sessions", LAST)
    assert found is not None
    assert found["effect"] == pytest.approx(300, abs=5)
    assert found["effect"] > found["effect_limit"]
    assert found["verdict"] == Verdict.IMPROVED


def test_a_count_is_at_least_as_noisy_as_poisson_in_the_prediction() -> None:
    # a perfectly straight history (no wobble) still has Poisson noise: √(mean ≈ 1,275) ≈ 35.7
    straight = [1000 + 50 * k + (40 if k >= 12 else 0) for k in range(16)]
    found = effect(_history(straight), MEASURE, "sessions", LAST)
    assert found is not None
    # +40 beyond the line is inside that noise: no effect, although the fit itself is exact
    assert found["effect"] == pytest.approx(40)
    assert found["effect_noise"] > 35 * 0.88 and found["verdict"] == Verdict.TREND


def test_a_decline_the_measure_stopped_is_an_effect_though_before_and_after_look_alike() -> None:
    # sessions fell 50 a week; from week 12 they hold at 1,500 (the level of weeks 9 and 10)
    values = [2000 - 50 * k + WOBBLE[k % 2] for k in range(12)] + [1500] * 4
    found = effect(_history(values), MEASURE, "sessions", LAST)
    assert found is not None
    assert abs(found["change"]) <= 2 * found["noise"]  # the old before/after: within noise
    assert found["expected_value"] == pytest.approx(2000 - 50 * 13.5, abs=5)
    assert found["verdict"] == Verdict.IMPROVED


def test_a_rising_bounce_rate_the_measure_did_not_stop_is_in_line_with_the_trend() -> None:
    # lower is better: a rate rising 0.5 points a week keeps rising; the plain change says worse
    values = [0.40 + 0.005 * k + (0.002 if k % 2 else -0.002) for k in range(16)]
    found = effect(_history(values, "bounce_rate"), MEASURE, "bounce_rate", LAST)
    assert found is not None
    assert found["change"] == pytest.approx(0.02, abs=0.002)
    assert found["verdict"] == Verdict.TREND


def _shared_season(shift: float) -> tuple[list[float], list[float]]:
    """Site B's sessions wobble irregularly and jump by ``shift`` from week 12; site A's are
    1,000 + 20 a week + twice site B's (the same market), with a small wobble of their own."""
    other = [500, 530, 480, 520, 490, 510, 470, 540, 500, 520, 480, 510] + [500 + shift] * 4
    mine = [1000 + 20 * k + 2 * other[k] + (5 if k % 2 else -5) for k in range(16)]
    return mine, other


def test_another_site_moving_the_same_way_is_the_control_and_explains_the_jump() -> None:
    mine, other = _shared_season(200)
    control = ControlSite("b", _history(other))
    alone = effect(_history(mine), MEASURE, "sessions", LAST)
    found = effect(_history(mine), MEASURE, "sessions", LAST, controls=[control])
    assert alone is not None and found is not None
    # without the control, the shared +400 reads as an effect of the measure
    assert alone["verdict"] == Verdict.IMPROVED and alone["control_site"] is None
    # with it, the fit weighs site B about ×2 and predicts the jump (+400 on the trend alone's
    # expectation): nothing beyond it
    assert found["control_site"] == "b"
    assert found["expected_value"] - alone["expected_value"] == pytest.approx(400, abs=60)
    assert abs(found["effect"]) < found["effect_limit"]
    assert found["verdict"] == Verdict.TREND


def test_a_site_running_its_own_measure_on_the_metric_is_not_a_control() -> None:
    mine, other = _shared_season(200)
    busy = ControlSite("b", _history(other), (("sessions", START - timedelta(weeks=2), None),))
    found = effect(_history(mine), MEASURE, "sessions", LAST, controls=[busy])
    assert found is not None and found["control_site"] is None
    assert found["verdict"] == Verdict.IMPROVED


def test_a_site_that_does_not_move_with_the_metric_is_not_used_as_a_control() -> None:
    mine = _rising(after_extra=300)
    unrelated = ControlSite("c", _history([500 + (7 * k) % 11 for k in range(16)]))
    found = effect(_history(mine), MEASURE, "sessions", LAST, controls=[unrelated])
    assert found is not None and found["control_site"] is None
    assert found["verdict"] == Verdict.IMPROVED
