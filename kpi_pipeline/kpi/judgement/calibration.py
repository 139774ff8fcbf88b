"""Is a status a calibrated statement about the future? A backtest over posed goals.

Many synthetic goals are posed over a metric history (several metrics, sizes, starts, lengths,
weekly, cumulative and keep goals), each is judged week by week exactly as the pipeline judges
it (:func:`~kpi_pipeline.kpi.judgement.progress.goal_row`), and the chance and status stated at
every week are compared with the outcome the deadline judgement gave. Scores:

* a reliability table: stated chance in 10-point bins against the share reached;
* the Brier score of the stated chance against the base rate's (skill = 1 − Brier / base);
* what 順調 / 要注意 / 未達 at mid-period turned into, and the share of reached goals that were
  called 順調 at mid-period (a judgement that never says 順調 tells nothing).

Histories come from the demo source's sites (``bench/calibration.py`` builds them with the
pipeline) or from :func:`synthetic_history`, a seeded family of weekly series with drifts,
seasons, steps and counting noise, so the sets scored are not the ones the model was tuned on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from kpi_pipeline.catalog import METRICS_BY_ID, Aggregation, Direction, Unit
from kpi_pipeline.kpi.judgement.progress import goal_row
from kpi_pipeline.kpi.judgement.status import RUNNING as RUNNING_STATUSES
from kpi_pipeline.kpi.judgement.status import Status
from kpi_pipeline.kpi.metric_history import MetricHistory
from kpi_pipeline.targets.model import (
    Baseline,
    Chances,
    Goal,
    Measure,
    Pacing,
    Target,
    Tolerances,
)

SITE = "backtest"
DAILY_COLUMNS = ["site_id", "date", "metric_id", "value", "numerator", "denominator", "is_provisional"]
WEEKLY_COLUMNS = ["site_id", "week_start", "iso_week", "metric_id", "value", "numerator", "denominator",
                  "days_present", "provisional_days"]
RUNNING = tuple(s.value for s in Status if s in RUNNING_STATUSES)  # in this order
FOREVER = date(9999, 12, 31)  # "today" for a backtest: every week is over


def weekly_frames(series: Mapping[str, Mapping[date, float]], site_id: str = SITE,
                  trials: Mapping[str, float] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``mart.metrics_daily`` / ``mart.metrics_weekly`` frames holding exactly these weekly values
    per metric: a count's week spread evenly over its days (Σ = the week), a rate's week as
    ``value × n / n`` every day with ``n = trials[metric]`` (default 1,000; Σ/Σ = the week)."""
    daily, weekly = [], []
    for metric_id, weeks in series.items():
        ratio = METRICS_BY_ID[metric_id].aggregation is Aggregation.RATIO
        per_day = float((trials or {}).get(metric_id, 1000.0))
        for monday, value in weeks.items():
            for i in range(7):
                day = monday + timedelta(days=i)
                if ratio:
                    daily.append((site_id, day, metric_id, value, value * per_day, per_day, False))
                else:
                    daily.append((site_id, day, metric_id, value / 7, value / 7, None, False))
            year, week, _ = monday.isocalendar()
            weekly.append((site_id, monday, f"{year}-W{week:02d}", metric_id, value,
                           value * 7 * per_day if ratio else value, 7 * per_day if ratio else None, 7, 0))
    return pd.DataFrame(daily, columns=DAILY_COLUMNS), pd.DataFrame(weekly, columns=WEEKLY_COLUMNS)


# --- synthetic histories ------------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    """The knobs of a family of synthetic series (log-scale drift, wander, seasons, steps)."""

    name: str
    seed: int
    weeks: int = 156
    wander: tuple[float, float] = (0.005, 0.03)  # weekly random-walk σ of the log level
    drift: tuple[float, float] = (-0.004, 0.006)  # weekly trend of the log level
    season: tuple[float, float] = (0.0, 0.15)  # amplitude of the yearly wave
    steps_per_year: float = 0.6  # level shifts (a channel lost, a campaign won)
    step_size: tuple[float, float] = (0.1, 0.35)
    wobble: tuple[float, float] = (0.03, 0.10)  # week-on-week noise around the level (log)


LEVELS: dict[str, tuple[float, float]] = {  # where each metric's level starts
    "sessions": (3000.0, 25000.0), "leads": (15.0, 120.0), "orders": (1.0, 6.0),
    "cvr": (0.006, 0.03), "bounce_rate": (0.3, 0.6),
}


def synthetic_series(family: Family, metric_id: str, index: int, first_monday: date) -> dict[date, float]:
    """One seeded weekly series of ``metric_id`` (counts are Poisson around their level)."""
    rng = np.random.default_rng([family.seed, index, sum(map(ord, metric_id))])
    n = family.weeks
    low, high = LEVELS[metric_id]
    log_level = math.log(rng.uniform(low, high))
    wander = rng.normal(0, rng.uniform(*family.wander), n).cumsum()
    trend = rng.uniform(*family.drift) * np.arange(n)
    season = rng.uniform(*family.season) * np.sin(2 * np.pi * np.arange(n) / 52 + rng.uniform(0, 2 * np.pi))
    steps = np.zeros(n)
    for _ in range(rng.poisson(family.steps_per_year * n / 52)):
        steps[rng.integers(8, n):] += rng.choice([-1, 1]) * rng.uniform(*family.step_size)
    level = np.exp(log_level + wander + trend + season + steps + rng.normal(0, rng.uniform(*family.wobble), n))
    metric = METRICS_BY_ID[metric_id]
    if metric.unit is Unit.RATE:
        values = np.clip(level, 1e-4, 0.95)
    else:
        values = rng.poisson(level).astype(float)
    return {first_monday + timedelta(weeks=i): float(v) for i, v in enumerate(values)}


def synthetic_history(family: Family, metrics: Sequence[str], first_monday: date,
                      index: int = 0) -> MetricHistory:
    """A site's history of ``metrics`` from one family (``index`` picks another draw)."""
    series = {m: synthetic_series(family, m, index, first_monday) for m in metrics}
    return MetricHistory(*weekly_frames(series), site_id=SITE)


# --- posed goals ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pose:
    """Which goals to pose: lengths in weeks, sizes as multipliers of the baseline (mirrored for
    lower-is-better metrics), a start every ``every`` weeks after ``warmup`` weeks of history."""

    lengths: tuple[int, ...] = (8, 13, 26)
    sizes: tuple[float, ...] = (1.05, 1.15, 1.3)
    cumulative_sizes: tuple[float, ...] = (0.95, 1.05, 1.15)
    keep_margins: tuple[float, ...] = (0.97, 1.03)
    every: int = 4
    warmup: int = 60
    pacings: tuple[Pacing, ...] = (Pacing.LINEAR, Pacing.COMPOUND)


def _goal(goal_id: str, metric_id: str, start: date, weeks: int, target: Target,
          measure: Measure, pacing: Pacing, chances: Chances) -> Goal:
    deadline = start + timedelta(weeks=weeks) - timedelta(days=1)
    base = (start - timedelta(days=28), start - timedelta(days=1))
    return Goal(kind="kpi", id=goal_id, name=goal_id, metric_id=metric_id,
                phase=METRICS_BY_ID[metric_id].phase, start=start, deadline=deadline, target=target,
                baseline=Baseline(window=base), pacing=pacing, measure=measure,
                tolerances=Tolerances(), kgi_id="backtest", chances=chances)


DEFAULT_POSE = Pose()
DEFAULT_CHANCES = Chances()


def pose_goals(history: MetricHistory, metrics: Sequence[str], first: date, last: date,
               pose: Pose = DEFAULT_POSE, chances: Chances = DEFAULT_CHANCES) -> list[Goal]:
    """Goals over the weeks ``first``..``last`` (Mondays) of ``history``'s ``metrics``."""
    goals = []
    for metric_id in metrics:
        lower = METRICS_BY_ID[metric_id].direction is Direction.LOWER
        count = METRICS_BY_ID[metric_id].unit is Unit.COUNT
        start = first + timedelta(weeks=pose.warmup)
        k = 0
        while True:
            for weeks in pose.lengths:
                if start + timedelta(weeks=weeks) > last + timedelta(days=7):
                    continue
                pacing = pose.pacings[k % len(pose.pacings)]
                for size in pose.sizes:
                    multiplier = 1 / size if lower else size
                    goals.append(_goal(f"{metric_id}_{start}_{weeks}w_x{size}", metric_id, start, weeks,
                                       Target(multiplier=multiplier), Measure.WEEKLY, pacing, chances))
                if count:
                    for size in pose.cumulative_sizes:
                        goals.append(_goal(f"{metric_id}_{start}_{weeks}w_total_x{size}", metric_id, start,
                                           weeks, Target(multiplier=size), Measure.CUMULATIVE, pacing, chances))
                baseline = history.weekly_average(metric_id, start - timedelta(days=28), start - timedelta(days=1))
                for margin in pose.keep_margins if baseline else ():
                    line = baseline * (margin if not lower else 2 - margin)
                    target = Target(at_most=line) if lower else Target(at_least=line)
                    goals.append(_goal(f"{metric_id}_{start}_{weeks}w_keep{margin}", metric_id, start,
                                       weeks, target, Measure.WEEKLY, pacing, chances))
                k += 1
            start += timedelta(weeks=pose.every)
            if start + timedelta(weeks=min(pose.lengths)) > last + timedelta(days=7):
                break
    return goals


# --- judging and scoring ----------------------------------------------------------------------

@dataclass(frozen=True)
class WeekJudged:
    elapsed: float  # share of the period elapsed at the end of the week
    p_reach: float | None
    status: str
    pace_status: str  # what the pace rule alone said (progress against the pace, tolerances)


@dataclass(frozen=True)
class Case:
    """One posed goal: what was said each week, and whether the deadline judgement reached it."""

    goal_id: str
    metric_id: str
    kind: str  # weekly, cumulative or keep
    weeks: tuple[WeekJudged, ...]
    reached: bool

    def at(self, share: float) -> WeekJudged | None:
        """The first running week at or past ``share`` of the period."""
        for week in self.weeks:
            if week.elapsed >= share and week.status in RUNNING:
                return week
        return None


def judge(goals: Iterable[Goal], history: MetricHistory, site_id: str = SITE) -> list[Case]:
    """Every goal judged week by week from its start to its deadline, as the pipeline does."""
    cases = []
    for goal in goals:
        week, weeks, final = goal.start - timedelta(days=goal.start.weekday()), [], None
        while final is None:
            row = goal_row(goal, history, site_id, week, FOREVER)
            if row["status"] in ("achieved", "missed"):
                final = row["status"] == "achieved"
            elif row["status"] != "no_data":
                weeks.append(WeekJudged(float(row["elapsed_share"]), row["p_reach"], str(row["status"]),
                                        str(row["pace_status"])))
            week += timedelta(weeks=1)
            if week > goal.deadline + timedelta(days=7):
                break
        if final is None:
            continue
        kind = "cumulative" if goal.cumulative else ("keep" if goal.target.line is not None else "weekly")
        cases.append(Case(goal.id, goal.metric_id, kind, tuple(weeks), final))
    return cases


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    goals: int
    stated: float  # mean stated chance
    reached: float  # share reached


@dataclass
class Score:
    """How one set of cases scored at one point of their periods."""

    share: float
    goals: int
    base_rate: float
    brier: float
    brier_base: float
    bins: list[Bin] = field(default_factory=list)
    statuses: dict[str, dict[str, float]] = field(default_factory=dict)
    on_track_of_reached: float = 0.0

    @property
    def skill(self) -> float:
        return 1 - self.brier / self.brier_base if self.brier_base else 0.0

    @property
    def worst_bin_gap(self) -> float:
        return max((abs(b.stated - b.reached) for b in self.bins), default=0.0)

    def to_json(self) -> dict[str, object]:
        return {
            "share_of_period": self.share, "goals": self.goals, "base_rate": self.base_rate,
            "brier": self.brier, "brier_base_rate": self.brier_base, "brier_skill": self.skill,
            "reliability": [b.__dict__ for b in self.bins], "statuses": self.statuses,
            "on_track_share_of_reached": self.on_track_of_reached,
            "worst_bin_gap": self.worst_bin_gap,
        }


def pace_rule(cases: Sequence[Case], share: float = 0.5) -> dict[str, dict[str, float]]:
    """What the pace rule's statuses at ``share`` of each period turned into (the baseline)."""
    said: dict[str, list[bool]] = {s: [] for s in RUNNING}
    for case in cases:
        week = case.at(share)
        if week is not None and week.pace_status in said:
            said[week.pace_status].append(case.reached)
    return {s: {"goals": len(r), "reached": float(np.mean(r)) if r else 0.0} for s, r in said.items()}


def score(cases: Sequence[Case], share: float = 0.5, min_bin: int = 10) -> Score:
    """Stated chance and status at ``share`` of each period against the outcome (bins with
    fewer than ``min_bin`` goals are listed but not counted as populated)."""
    judged = [(c, c.at(share)) for c in cases]
    judged = [(c, w) for c, w in judged if w is not None and w.p_reach is not None]
    p = np.array([w.p_reach for _, w in judged], dtype=float)
    y = np.array([c.reached for c, _ in judged], dtype=float)
    if not len(p):
        return Score(share, 0, 0.0, 0.0, 0.0)
    base = float(y.mean())
    result = Score(share, len(p), base, float(np.mean((p - y) ** 2)), base * (1 - base))
    edges = np.linspace(0, 1, 11)
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (p >= low) & ((p < high) if high < 1 else (p <= high))
        if inside.sum() >= min_bin:
            result.bins.append(Bin(float(low), float(high), int(inside.sum()), float(p[inside].mean()),
                                   float(y[inside].mean())))
    for status in RUNNING:
        said = [c.reached for c, w in judged if w.status == status]
        result.statuses[status] = {"goals": len(said), "reached": float(np.mean(said)) if said else 0.0}
    reached = [w.status for c, w in judged if c.reached]
    result.on_track_of_reached = float(np.mean([s == "on_track" for s in reached])) if reached else 0.0
    return result
