"""Did a measure (施策) move its KPIs? The weeks after its start against what the weeks before
predicted, with the uncertainty of that prediction beside the difference.

For each measure of the log and each KPI it names, the KPI's metric is compared over the
:data:`BEFORE_WEEKS` complete ISO weeks before the week the measure started and the (up to)
:data:`AFTER_WEEKS` weeks from the first full week after the start, as far as the evaluated
week reaches. Both are typical weekly values (a count's weekly average, a ratio's Σ/Σ, a
level's last value), so windows of different length compare: ``before_value``, ``after_value``
and their difference ``change``, with the metric's normal week-to-week wobble beside it
(``noise``: σ·√(1/n₁ + 1/n₂), σ from :func:`~kpi_pipeline.kpi.anomalies.weekly_noise`).

A metric already rising by the same amount every week rises between any two windows, so the
change alone would credit every measure with the trend. The verdict therefore compares the
after weeks with what the trend of the :data:`TREND_WEEKS` complete weeks before the start
predicts for them (:mod:`~kpi_pipeline.kpi.measures.trend`: a least-squares line, extrapolated,
with its 95 % prediction interval, which holds the uncertainty of the line as well as the
weeks' own wobble): ``expected_value``, ``effect = after_value − expected_value`` and
``effect_limit``. Outside the limit the measure improved or worsened the KPI (by the metric's
direction); inside it there is no effect beyond the trend: 「トレンドどおり」 when the plain
change was larger than twice its noise (what the trend explains), else 「誤差の範囲」.

**Control.** Where another site of ``KPI_SITES`` tracks the same built-in metric over every
week of the fit and of the after window, and no measure of that site names a KPI on that metric
in those weeks, its weekly values join the fit as a second regressor (a difference-in-differences
whose weight is estimated rather than fixed at 1): a season or a market shift both sites share
then no longer reads as an effect. It is used only when it explains the weeks before the start
beyond the trend (its weight's t statistic is significant at the 95 % level: the control moves
with the metric), judged on those weeks only; of several such sites, the one leaving the
smallest residual spread (``control_site``).

A level read off once a day (followers: aggregate ``last`` or ``mean``) grows on its own, so
for those the values compared are the *weekly change* before and after (followers gained per
week), the trend is fitted on the weekly changes, and no other site serves as a control (a
custom metric's meaning is its site's own).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from kpi_pipeline.calendar import iso_week_label, monday
from kpi_pipeline.catalog import BUILTIN_BY_ID, Aggregation, Direction, Unit, metric
from kpi_pipeline.kpi.anomalies import MIN_NOISE_WEEKS, NOISE_WEEKS, binomial_noise, weekly_noise
from kpi_pipeline.kpi.measures.trend import Prediction, predict
from kpi_pipeline.kpi.metric_history import MetricHistory
from kpi_pipeline.targets.model import LoggedMeasure, Targets

EFFECT_COLUMNS: tuple[str, ...] = (
    "site_id", "week_start", "iso_week", "measure_id", "measure_name", "phase", "kpi_id",
    "metric_id", "measure_start", "measure_end", "before_weeks", "after_weeks", "before_value",
    "after_value", "change", "noise", "verdict", "trend_weeks", "trend_slope", "expected_value",
    "effect", "effect_noise", "effect_limit", "control_site",
)
BEFORE_WEEKS = 4
AFTER_WEEKS = 4
NOISE_FACTOR = 2.0  # about 95 % of differences between two normal periods fall inside
TREND_WEEKS = NOISE_WEEKS  # complete weeks before the start the trend is fitted on
MIN_TREND_WEEKS = MIN_NOISE_WEEKS


class Verdict:
    IMPROVED = "improved"  # 効果あり
    WORSENED = "worsened"  # 悪化
    NOISE = "noise"  # 誤差の範囲
    UNKNOWN = "unknown"  # too little history to know the noise
    TOO_EARLY = "too_early"  # no full week after the start yet
    TREND = "trend"  # トレンドどおり（施策の効果は確認できず）: the change is what the trend predicted


def judge(change: float, noise: float | None, direction: Direction) -> str:
    """The verdict on a before/after difference: inside the noise is no effect."""
    if noise is None or not math.isfinite(noise) or noise <= 0:
        return Verdict.UNKNOWN
    if abs(change) <= NOISE_FACTOR * noise:
        return Verdict.NOISE
    better = change < 0 if direction is Direction.LOWER else change > 0
    return Verdict.IMPROVED if better else Verdict.WORSENED


def beyond_trend(effect: float, prediction: Prediction, plain: str, direction: Direction) -> str:
    """The verdict on the after weeks against the trend's prediction: outside the 95 % interval
    an effect (better or worse by ``direction``); inside it 「トレンドどおり」 when the plain
    before/after verdict ``plain`` saw a change, else 「誤差の範囲」."""
    tolerance = 1e-9 * max(1.0, abs(prediction.expected))  # a perfectly straight history
    if abs(effect) <= max(prediction.limit, tolerance):
        return Verdict.TREND if plain in (Verdict.IMPROVED, Verdict.WORSENED) else Verdict.NOISE
    better = effect < 0 if direction is Direction.LOWER else effect > 0
    return Verdict.IMPROVED if better else Verdict.WORSENED


@dataclass(frozen=True)
class ControlSite:
    """Another site that may serve as a control: its metric history, and the (metric, start,
    end) of every KPI its own measures log names (those weeks it is not a control for)."""

    site_id: str
    history: MetricHistory
    treated: tuple[tuple[str, date, date | None], ...] = ()

    @classmethod
    def of(cls, site_id: str, plan: Targets, history: MetricHistory) -> ControlSite:
        metrics = {k.id: k.metric_id for k in plan.kpis}
        return cls(site_id, history, tuple((metrics[k], m.start, m.end) for m in plan.measures
                                           for k in m.kpis if k in metrics))

    def untouched(self, metric_id: str, first: date, last: date) -> bool:
        """No measure of this site names a KPI on ``metric_id`` between ``first`` and ``last``."""
        return not any(m == metric_id and start <= last and (end is None or end >= first)
                       for m, start, end in self.treated)


def first_full_week(start: date) -> date:
    """The Monday of the first ISO week the measure ran for whole (its start's week if a Monday)."""
    return start if start.weekday() == 0 else monday(start) + timedelta(days=7)


def _weeks_with_values(history: MetricHistory, metric_id: str, weeks: list[date]) -> list[date]:
    return [w for w in weeks if history.week_value(metric_id, w) is not None]


def is_level(metric_id: str) -> bool:
    """A level (followers) rather than a flow: compared by its weekly change."""
    return metric(metric_id).aggregation in (Aggregation.LAST, Aggregation.MEAN)


def _gains(history: MetricHistory, metric_id: str, weeks: list[date]) -> dict[date, float]:
    """Each week's change against the week before (weeks where both have a value)."""
    out = {}
    for week in weeks:
        now, before = history.week_value(metric_id, week), history.week_value(metric_id, week - timedelta(weeks=1))
        if now is not None and before is not None:
            out[week] = now - before
    return out


def _growths(history: MetricHistory, metric_id: str, weeks: list[date]) -> list[float]:
    return list(_gains(history, metric_id, weeks).values())


def _level_values(
    history: MetricHistory, metric_id: str, before: list[date], after: list[date], reference_end: date,
) -> tuple[float | None, float | None, float | None]:
    """(before, after, σ) of a level's weekly change."""
    gained_before, gained_after = _growths(history, metric_id, before), _growths(history, metric_id, after)
    reference = [reference_end - timedelta(weeks=i) for i in range(NOISE_WEEKS - 1, -1, -1)]
    sigma = weekly_noise(_growths(history, metric_id, reference))
    mean = lambda values: sum(values) / len(values) if values else None  # noqa: E731
    return mean(gained_before), mean(gained_after), sigma


def effect(
    history: MetricHistory, measure: LoggedMeasure, metric_id: str, week_start: date,
    *, before_weeks: int = BEFORE_WEEKS, after_weeks: int = AFTER_WEEKS,
    controls: Sequence[ControlSite] = (),
) -> dict[str, object] | None:
    """One measure × metric as of the ISO week ``week_start`` (None before the measure starts)."""
    if measure.start > week_start + timedelta(days=6):
        return None
    first_after = first_full_week(measure.start)
    after = [first_after + timedelta(weeks=i) for i in range(after_weeks)]
    after = _weeks_with_values(history, metric_id, [w for w in after if w <= week_start])
    before_end = monday(measure.start) - timedelta(days=1)  # the Sunday before the start's week
    before = [monday(before_end) - timedelta(weeks=i) for i in range(before_weeks - 1, -1, -1)]
    before = _weeks_with_values(history, metric_id, before)
    found: dict[str, object] = {
        "measure_id": measure.id, "measure_name": measure.name,
        "phase": measure.phase.value if measure.phase else None, "metric_id": metric_id,
        "measure_start": measure.start, "measure_end": measure.end,
        "before_weeks": len(before), "after_weeks": len(after), "before_value": None,
        "after_value": None, "change": None, "noise": None, "verdict": Verdict.TOO_EARLY,
        "trend_weeks": 0, "trend_slope": None, "expected_value": None, "effect": None,
        "effect_noise": None, "effect_limit": None, "control_site": None,
    }
    m = metric(metric_id)
    if is_level(metric_id):
        before_value, after_value, sigma = _level_values(history, metric_id, before, after, monday(before_end))
    else:
        before_value = history.weekly_average(metric_id, before[0], before[-1] + timedelta(days=6)) if before else None
        after_value = history.weekly_average(metric_id, after[0], after[-1] + timedelta(days=6)) if after else None
        reference = [v for _, v in history.recent_weeks(metric_id, monday(before_end), NOISE_WEEKS)]
        sigma = weekly_noise(reference, count=m.unit is Unit.COUNT) if before_value is not None else None
    found.update(before_value=before_value, after_value=after_value)
    if before_value is None or after_value is None:
        found["verdict"] = Verdict.TOO_EARLY if not after else Verdict.UNKNOWN
        return found
    noise = sigma * math.sqrt(1 / len(before) + 1 / len(after)) if sigma is not None else None
    change = after_value - before_value
    plain = judge(change, noise, m.direction)
    found.update(change=change, noise=noise, verdict=plain)
    fitted = _trend(history, metric_id, monday(before_end), after, first_after, controls)
    if fitted is not None:
        prediction, control = fitted
        effect_size = after_value - prediction.expected
        found.update(trend_weeks=prediction.weeks, trend_slope=prediction.slope,
                     expected_value=prediction.expected, effect=effect_size,
                     effect_noise=prediction.se, effect_limit=prediction.limit, control_site=control,
                     # without a known weekly noise, the prediction's own error tells a
                     # change from a wobble
                     verdict=beyond_trend(effect_size, prediction,
                                          judge(change, noise or prediction.se, m.direction),
                                          m.direction))
    return found


def _series(history: MetricHistory, metric_id: str, weeks: list[date]) -> dict[date, float]:
    """The weekly values the trend is fitted on: a flow's complete weeks, a level's weekly gains."""
    if is_level(metric_id):
        return _gains(history, metric_id, weeks)
    return dict(history.recent_weeks(metric_id, weeks[-1], len(weeks)))


def _floor(history: MetricHistory, metric_id: str, values: list[float], first: date, last: date) -> float:
    """The least weekly spread believed: Poisson for a count, binomial for a rate."""
    m = metric(metric_id)
    if is_level(metric_id) or not values:
        return 0.0
    mean = sum(values) / len(values)
    if m.unit is Unit.COUNT:
        return math.sqrt(max(mean, 0.0))
    if m.unit is Unit.RATE and m.aggregation is Aggregation.RATIO and 0 < mean < 1:
        days = history.days(metric_id, first, last + timedelta(days=6))
        per_week = float(days["denominator"].sum()) / len(values) if len(days) else 0.0
        return binomial_noise(mean, per_week)
    return 0.0


def _trend(
    history: MetricHistory, metric_id: str, last_before: date, after: list[date], origin: date,
    controls: Sequence[ControlSite],
) -> tuple[Prediction, str | None] | None:
    """The trend of the weeks before ``last_before`` (inclusive) predicting the ``after`` weeks,
    with the control site that explains those weeks best (if any explains them significantly
    beyond the trend); None with too little history."""
    weeks = [last_before - timedelta(weeks=i) for i in range(TREND_WEEKS - 1, -1, -1)]
    series = _series(history, metric_id, weeks)
    if len(series) < MIN_TREND_WEEKS or not after:
        return None
    fit_weeks = sorted(series)
    t = lambda ws: [(w - origin).days / 7 for w in ws]  # noqa: E731
    values = [series[w] for w in fit_weeks]
    floor = _floor(history, metric_id, values, fit_weeks[0], fit_weeks[-1])
    fitted, chosen = predict(t(fit_weeks), values, t(after), floor=floor), None
    if fitted is None:
        return None
    if metric_id not in BUILTIN_BY_ID or is_level(metric_id):
        return fitted, None
    for control in controls:
        if not control.untouched(metric_id, fit_weeks[0], after[-1] + timedelta(days=6)):
            continue
        control_before = [control.history.week_value(metric_id, w) for w in fit_weeks]
        control_after = [control.history.week_value(metric_id, w) for w in after]
        if any(v is None for v in control_before + control_after):
            continue
        candidate = predict(t(fit_weeks), values, t(after), before_control=control_before,
                            after_control=control_after, floor=floor)
        # chosen on the weeks before only: a control whose weight is significant there moves
        # with the metric, so its after weeks say what would have happened anyway, however far
        # they moved; of several, the one leaving the smallest residual spread
        if candidate is not None and candidate.control_explains and (
                chosen is None or candidate.residual < fitted.residual):
            fitted, chosen = candidate, control.site_id
    return fitted, chosen


def effect_rows(plan: Targets, site_id: str, week_start: date, history: MetricHistory,
                controls: Sequence[ControlSite] = ()) -> list[dict[str, object]]:
    """Rows of ``mart.measure_effects`` for one site and ISO week, as records: every measure ×
    KPI it names (a range run frames all its weeks at once). ``controls``: the other sites."""
    kpis = {k.id: k for k in plan.kpis}
    rows: list[dict[str, object]] = []
    for measure in plan.measures:
        for kpi_id in measure.kpis:
            goal = kpis.get(kpi_id)
            found = effect(history, measure, goal.metric_id, week_start, controls=controls) if goal else None
            if found is not None:
                rows.append({"site_id": site_id, "week_start": week_start,
                             "iso_week": iso_week_label(week_start), "kpi_id": kpi_id, **found})
    return rows
