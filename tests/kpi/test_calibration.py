"""A status is a calibrated statement about the future, on a seeded set of goals nobody tuned on.

Synthetic family C (seed 11, the default knobs; the model's constants were chosen on the demo
site and family A), three histories: every metric of the family, 8- and 13-week goals of three
sizes, running totals and keep goals, a start every 8 weeks (goals of one history share its
weeks, so more histories rather than more starts), each judged week by week as the pipeline judges it
(bench/calibration.py runs the full sets and docs/metrics.md quotes them). The bars are the
issue's: at mid-period the stated chance beats the base rate (Brier skill ≥ 0.3), every bin
with 20 goals or more is within 15 points of what happened, 順調 came true at least 7 times in
10, 未達 at most 15 in 100, and 順調 is still said of a fair share of the goals reached.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kpi_pipeline.kpi.judgement import calibration as cal

FAMILY_C = cal.Family(name="C", seed=11)
FIRST = date(2023, 1, 2)


@pytest.fixture(scope="module")
def cases() -> list[cal.Case]:
    metrics = list(cal.LEVELS)
    last = FIRST + timedelta(weeks=FAMILY_C.weeks - 1)
    found = []
    for index in range(3):
        history = cal.synthetic_history(FAMILY_C, metrics, FIRST, index)
        found += cal.judge(cal.pose_goals(history, metrics, FIRST, last, cal.Pose(lengths=(8, 13), every=8)), history)
    return found


def test_the_set_is_large_and_mixed(cases: list[cal.Case]) -> None:
    assert len(cases) > 2000
    assert {c.kind for c in cases} == {"weekly", "cumulative", "keep"}
    mid = cal.score(cases, 0.5)
    assert 0.2 < mid.base_rate < 0.6  # neither all easy nor all impossible


def test_the_chance_at_mid_period_beats_the_base_rate(cases: list[cal.Case]) -> None:
    mid = cal.score(cases, 0.5)
    assert mid.skill >= 0.3, mid.to_json()


def test_every_populated_bin_is_within_15_points_of_what_happened(cases: list[cal.Case]) -> None:
    mid = cal.score(cases, 0.5, min_bin=20)
    assert len(mid.bins) >= 8  # the chances said spread over the range
    gaps = {f"{b.low:.0%}": round(b.stated - b.reached, 3) for b in mid.bins}
    assert mid.worst_bin_gap <= 0.15, gaps


def test_on_track_comes_true_and_off_track_does_not(cases: list[cal.Case]) -> None:
    mid = cal.score(cases, 0.5)
    assert mid.statuses["on_track"]["reached"] >= 0.7, mid.statuses
    assert mid.statuses["off_track"]["reached"] <= 0.15, mid.statuses
    assert mid.on_track_of_reached >= 0.5  # 順調 is said of most goals that were reached


def test_the_chance_sharpens_as_the_deadline_nears(cases: list[cal.Case]) -> None:
    early, mid, late = (cal.score(cases, share) for share in (0.25, 0.5, 0.75))
    assert early.brier > mid.brier > late.brier
