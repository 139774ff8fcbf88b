"""Why a goal moved: its change split into drivers whose contributions add up exactly.

Two kinds of split, each against the previous week and against the goal's baseline:

* **factor** – a goal on the sales path is a product, e.g. 受注 = セッション × CV率 × 見込み顧客/CV
  × アポイント獲得率 × 商談化率 × 成約率 (chains in :data:`kpi_pipeline.catalog.FACTOR_CHAINS`).
  The change is split with LMDI (the log-mean Divisia index: each factor gets
  ``L(Y₁, Y₀) · ln(x₁/x₀)``), which is exact for positive factors; when a factor is 0 in one
  period the logs do not exist and the Shapley split on the levels (each factor's marginal
  effect averaged over every order of switching) is used instead, which is exact too.
  A rate goal (CVR, 商談化率, アポ率, a custom ratio) is the product of its numerator and one
  over its denominator (商談化率 = 商談数 × 1/アポイント数): its change in points splits into
  what its two sides did (:data:`kpi_pipeline.catalog.ratio_sides`).
* **channel / landing_page / campaign** – an additive GA4 metric (sessions, page views, events,
  conversions) is a sum over the values of a GA4 dimension, so each value contributes its own
  change. Beyond :data:`MAX_SEGMENTS` values the smallest contributions are folded into
  :data:`REST`.

Float rounding is the only thing that can keep the parts from summing to the change; the
largest part absorbs it, so every split sums to ``value_to − value_from`` to 1e-9. A baseline
is a weekly average (sums × 7 / days with data), a week is its own sums scaled the same way.
Against the baseline, the "after" side is what the goal's status judged this week
(:func:`judged_days`): a small count's or the deadline's window of weeks, a keep goal's period
so far, so ``value_to`` is the ``actual`` beside the status in ``mart.kpi_progress``.

A running total (``measure: cumulative``) is explained over its whole period so far, not week
on week: against the baseline, ``value_from`` is what the baseline's daily pace would have
given from the start to the end of the week and ``value_to`` the running total, so a factor's
contribution is the orders (or leads …) its shortfall since the start has cost. A KGI with a
reverse funnel is also split against its **plan** (comparison ``plan``): the top stage's
volume against the volume the plan needs by now, and each step's actual rate since the start
against its planned rate (the funnel's), so ``value_from`` is the total the pace expects by
now and ``value_to`` the running total: the gap the KGI's status judges.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations

import pandas as pd

from kpi_pipeline.calendar import iso_week_label, week_end
from kpi_pipeline.catalog import FACTOR_CHAINS, Aggregation, chain_steps, ratio_sides
from kpi_pipeline.kpi.funnel.plan import measured_rates, plan_funnel
from kpi_pipeline.kpi.judgement.baselines import baseline_and_target, baseline_window
from kpi_pipeline.kpi.judgement.goal_kinds import goal_kind
from kpi_pipeline.kpi.judgement.measured import reach_window
from kpi_pipeline.kpi.judgement.pacing import expected_total, seasonal_shape
from kpi_pipeline.kpi.metric_history import MetricHistory
from kpi_pipeline.targets.model import Goal, GoalKind, Targets

DRIVER_COLUMNS: tuple[str, ...] = (
    "site_id", "week_start", "iso_week", "item_id", "comparison", "kind", "driver",
    "value_from", "value_to", "contribution", "driver_from", "driver_to",
)
COMPARISONS: tuple[str, ...] = ("previous_week", "baseline", "plan")
# kind → the GA4 dimension of raw.ga4_by_dimension that splits the metric
DIMENSION_KINDS: dict[str, str] = {
    "channel": "sessionDefaultChannelGroup",
    "landing_page": "landingPage",
    "campaign": "sessionCampaignName",
}
# additive metric → its column in raw.ga4_by_dimension (session-scoped dimensions split these)
DIMENSION_COLUMNS: dict[str, str] = {
    "sessions": "sessions",
    "page_views": "screen_page_views",
    "event_count": "event_count",
    "conversions": "key_events",
}
MAX_SEGMENTS = 10
REST = "(rest)"

# (dimension, column, first day, last day) → {dimension value: sum}
Segments = Callable[[str, str, date, date], Mapping[str, float]]


@dataclass(frozen=True)
class Part:
    """One driver of one split: its own value before and after, and its share of the change."""

    kind: str
    driver: str
    driver_from: float
    driver_to: float
    contribution: float


@dataclass(frozen=True)
class Split:
    """A goal's change between two windows, split by one kind of driver."""

    kind: str
    value_from: float
    value_to: float
    parts: tuple[Part, ...]


def _exact(parts: list[float], change: float) -> list[float]:
    """``parts`` with float rounding moved to the largest one, so they sum to ``change``."""
    if not parts:
        return parts
    big = max(range(len(parts)), key=lambda i: abs(parts[i]))
    rest = math.fsum(p for i, p in enumerate(parts) if i != big)
    return [change - rest if i == big else p for i, p in enumerate(parts)]


def _log_mean(a: float, b: float) -> float:
    return a if math.isclose(a, b, rel_tol=1e-12) else (a - b) / (math.log(a) - math.log(b))


def lmdi_split(before: Sequence[float], after: Sequence[float]) -> list[float]:
    """LMDI contributions of positive factors to the change of their product."""
    y0, y1 = math.prod(before), math.prod(after)
    weight = _log_mean(y1, y0)
    return [weight * (math.log(x1) - math.log(x0)) for x0, x1 in zip(before, after, strict=True)]


def shapley_split(before: Sequence[float], after: Sequence[float]) -> list[float]:
    """Shapley contributions on the levels: exact for any factors, zeros included."""
    n = len(before)

    def product(switched: frozenset[int]) -> float:
        return math.prod(after[i] if i in switched else before[i] for i in range(n))

    out = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        total = 0.0
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for chosen in combinations(others, size):
                s = frozenset(chosen)
                total += weight * (product(s | {i}) - product(s))
        out.append(total)
    return out


def factor_split(before: Sequence[float], after: Sequence[float]) -> list[float]:
    """Each factor's contribution to ``prod(after) − prod(before)``, summing to it exactly."""
    parts: list[float] | None = None
    if all(x > 0 for x in [*before, *after]) and math.prod(before) > 0 and math.prod(after) > 0:
        parts = lmdi_split(before, after)
    if parts is None or not all(math.isfinite(p) for p in parts):  # zeros (or float underflow)
        parts = shapley_split(before, after)
    return _exact(parts, math.prod(after) - math.prod(before))


def additive_split(
    before: Mapping[str, float], after: Mapping[str, float], keep: int = MAX_SEGMENTS,
) -> list[tuple[str, float, float, float]]:
    """(segment, before, after, contribution), largest contributions first, the rest folded."""
    names = list(dict.fromkeys([*after, *before]))
    rows = [(n, before.get(n, 0.0), after.get(n, 0.0)) for n in names]
    rows.sort(key=lambda r: (-abs(r[2] - r[1]), r[0]))
    if len(rows) > keep:
        tail = rows[keep - 1:]
        rows = rows[:keep - 1] + [(REST, math.fsum(r[1] for r in tail), math.fsum(r[2] for r in tail))]
    change = math.fsum(r[2] for r in rows) - math.fsum(r[1] for r in rows)
    parts = _exact([b - a for _, a, b in rows], change)
    return [(n, a, b, c) for (n, a, b), c in zip(rows, parts, strict=True)]


def _ratio(numerator: float, denominator: float) -> float | None:
    """A step's value; 0/0 is 0 (nothing flowed), x/0 breaks the chain (None)."""
    if denominator:
        return numerator / denominator
    return 0.0 if numerator == 0 else None


def chain_levels(chain: tuple[str, ...], sums: Mapping[str, float], scale: float) -> list[float] | None:
    """The factors of ``chain`` for one window: the first metric's level, then each step's ratio."""
    levels: list[float] = [sums[chain[0]] * scale]
    for above, below in zip(chain, chain[1:], strict=False):
        ratio = _ratio(sums[below], sums[above])
        if ratio is None:
            return None
        levels.append(ratio)
    return levels


def factor_drivers(
    chain: tuple[str, ...], before: Mapping[str, float], after: Mapping[str, float],
    scale_before: float, scale_after: float,
) -> Split | None:
    """The factor split of a chain between two windows' sums (None when a step is undefined)."""
    x0 = chain_levels(chain, before, scale_before)
    x1 = chain_levels(chain, after, scale_after)
    if x0 is None or x1 is None:
        return None
    names = [chain[0], *(s.id for s in chain_steps(chain))]
    parts = factor_split(x0, x1)
    return Split("factor", math.prod(x0), math.prod(x1), tuple(
        Part("factor", n, a, b, c) for n, a, b, c in zip(names, x0, x1, parts, strict=True)))


def segment_drivers(kind: str, before: Mapping[str, float], after: Mapping[str, float]) -> Split | None:
    """The split of an additive metric by the values of one dimension (None without data)."""
    if not before and not after:
        return None
    rows = additive_split(before, after)
    return Split(kind, math.fsum(r[1] for r in rows), math.fsum(r[2] for r in rows),
                 tuple(Part(kind, n, a, b, c) for n, a, b, c in rows))


def rate_drivers(
    sides: tuple[str, str], before: tuple[float, float], after: tuple[float, float],
    scale_before: float, scale_after: float,
) -> Split | None:
    """A rate's change split into its numerator's and its denominator's parts (None when a
    denominator is 0): rate = numerator × 1/denominator, so more leads behind the same
    appointments pull アポ率 down as surely as fewer appointments do."""
    n0, d0 = (x * scale_before for x in before)
    n1, d1 = (x * scale_after for x in after)
    if d0 <= 0 or d1 <= 0:
        return None
    parts = factor_split([n0, 1 / d0], [n1, 1 / d1])  # both sides as typical weeks
    numerator, denominator = sides
    return Split("factor", n0 / d0, n1 / d1, (
        Part("factor", numerator, n0, n1, parts[0]),
        Part("factor", denominator, d0, d1, parts[1]),
    ))


def plan_drivers(goal: Goal, week_start: date, history: MetricHistory) -> Split | None:
    """A funnel KGI's running total against its plan by now, split into the top stage's volume
    and each step's rate against the funnel's planned rates (None without a funnel, before the
    pace expects anything, or when a rate cannot be known)."""
    if not goal.cumulative or not goal.funnel or goal.target.value is None:
        return None
    to = min(week_end(week_start), goal.deadline)
    share, _ = expected_total(goal.pacing, 1.0, goal.start, goal.deadline, to, seasonal_shape(goal, history))
    measured = measured_rates(goal, history) if any(s.rate is None for s in goal.funnel) else None
    plan = plan_funnel(goal, measured)
    rates = [s.rate_to_next or 0.0 for s in reversed(plan[1:])]  # top of the funnel first
    chain = tuple(s.stage for s in reversed(plan))
    if share <= 0 or not all(rates):  # nothing expected yet, or a measured rate without data
        return None
    try:
        steps = chain_steps(chain)
    except KeyError:  # a funnel that skips a stage has no step between its neighbours
        return None
    planned = [goal.target.value * share / math.prod(rates), *rates]
    sums = {m: history.running_total(m, goal.start, to) or 0.0 for m in chain}
    actual = chain_levels(chain, sums, 1.0)
    if actual is None:
        return None
    parts = factor_split(planned, actual)
    names = [chain[0], *(s.id for s in steps)]
    return Split("factor", math.prod(planned), math.prod(actual), tuple(
        Part("factor", n, a, b, c) for n, a, b, c in zip(names, planned, actual, parts, strict=True)))


Days = tuple[date, date]


def judged_days(goal: Goal, week_start: date, history: MetricHistory) -> Days:
    """The days the goal's status judged this week: the week, a small count's or the
    deadline's window of weeks, a keep goal's or a running total's period so far."""
    end = week_end(week_start)
    if goal.cumulative:
        return goal.start, min(end, goal.deadline)
    baseline, target = baseline_and_target(goal, history)
    if goal_kind(goal.target, goal.direction, baseline, target) is not GoalKind.REACH:
        return goal.start, min(end, goal.deadline)
    if baseline is None:
        return week_start, end
    last, weeks = reach_window(goal, week_start, baseline, final=end >= goal.deadline)
    return last - timedelta(weeks=weeks - 1), week_end(last)


def _windows(goal: Goal, week_start: date, history: MetricHistory) -> dict[str, tuple[Days, Days]]:
    """comparison → (days before, days after)."""
    this_week = (week_start, week_end(week_start))
    found = {"previous_week": ((week_start - timedelta(days=7), week_start - timedelta(days=1)), this_week)}
    window = baseline_window(goal)
    if window is not None:
        found["baseline"] = (window, judged_days(goal, week_start, history))
    return found


def _scale(history: MetricHistory, metric_id: str, start: date, end: date, days: float = 7) -> float | None:
    """``days`` / days with data of the goal's metric: a window's sums as one typical week
    (or as the ``days`` of a running total so far)."""
    present = int(history.days(metric_id, start, end)["value"].notna().sum())
    return days / present if present else None


def _scales(goal: Goal, history: MetricHistory, comparison: str, window: Days, after: Days) -> tuple[float | None, float | None]:
    """(before, after) scales: typical weeks, or for a running total against its baseline the
    baseline's pace over the days so far beside the total itself."""
    if goal.cumulative and comparison == "baseline":
        elapsed = (after[1] - after[0]).days + 1
        return _scale(history, goal.metric_id, *window, days=elapsed), 1.0
    return _scale(history, goal.metric_id, *window), _scale(history, goal.metric_id, *after)


def _sums(history: MetricHistory, chain: tuple[str, ...], start: date, end: date) -> dict[str, float] | None:
    sums = {m: history.running_total(m, start, end) for m in chain}
    return None if any(v is None for v in sums.values()) else sums  # type: ignore[misc]


def goal_splits(
    goal: Goal, week_start: date, history: MetricHistory, segments: Segments,
) -> list[tuple[str, Split]]:
    """Every (comparison, split) of one goal in one week."""
    out: list[tuple[str, Split]] = []
    chain = FACTOR_CHAINS.get(goal.metric_id)
    column = DIMENSION_COLUMNS.get(goal.metric_id)
    sides = ratio_sides(goal.metric_id) if goal.aggregation is Aggregation.RATIO else None
    plan = plan_drivers(goal, week_start, history)
    out += [("plan", plan)] if plan else []
    for comparison, (window, after_days) in _windows(goal, week_start, history).items():
        scale_from, scale_to = _scales(goal, history, comparison, window, after_days)
        if scale_from is None or scale_to is None:
            continue
        if sides is not None:
            before, after = history.ratio_sums(goal.metric_id, *window), history.ratio_sums(goal.metric_id, *after_days)
            split = rate_drivers(sides, before, after, scale_from, scale_to) if before and after else None
            out += [(comparison, split)] if split else []
        if chain is not None:
            before, after = _sums(history, chain, *window), _sums(history, chain, *after_days)
            split = factor_drivers(chain, before, after, scale_from, scale_to) if before and after else None
            out += [(comparison, split)] if split else []
        if column is not None:
            for kind, dimension in DIMENSION_KINDS.items():
                before_seg = {k: v * scale_from for k, v in segments(dimension, column, *window).items()}
                after_seg = {k: v * scale_to for k, v in segments(dimension, column, *after_days).items()}
                split = segment_drivers(kind, before_seg, after_seg)
                out += [(comparison, split)] if split else []
    return out


def goal_drivers(
    targets: Targets, site_id: str, week_start: date, history: MetricHistory, segments: Segments,
) -> pd.DataFrame:
    """Rows for ``mart.goal_drivers``: every goal active in the week, split both ways."""
    return pd.DataFrame(driver_rows(targets, site_id, week_start, history, segments),
                        columns=list(DRIVER_COLUMNS))


def driver_rows(
    targets: Targets, site_id: str, week_start: date, history: MetricHistory, segments: Segments,
) -> list[dict[str, object]]:
    """The week's rows of ``mart.goal_drivers`` as records (a range run frames all weeks at once)."""
    rows: list[dict[str, object]] = []
    for goal in targets.goals:
        if week_end(week_start) < goal.start or week_start > goal.deadline:
            continue
        for comparison, split in goal_splits(goal, week_start, history, segments):
            rows += [{
                "site_id": site_id, "week_start": week_start, "iso_week": iso_week_label(week_start),
                "item_id": goal.id, "comparison": comparison, "kind": split.kind,
                "driver": p.driver, "value_from": split.value_from, "value_to": split.value_to,
                "contribution": p.contribution, "driver_from": p.driver_from,
                "driver_to": p.driver_to,
            } for p in split.parts]
    return rows
