"""Metric-weeks far from their recent normal: robust z-score against the previous weeks.

The reference is the median of the previous ``reference_weeks`` complete weeks, and the
spread their median absolute deviation (MAD): unlike a mean and standard deviation, one
past spike does not hide the next one. ``robust_z = 0.6745 × (value − median) / MAD``;
|z| ≥ 3.5 is flagged (Iglewicz & Hoaglin's usual cut-off). Weeks with fewer than
``min_reference`` reference weeks, incomplete weeks, and flat histories (MAD = 0, where any
change would be "infinitely" unusual) are not judged.

Small counts (2 orders a week) are noisy by nature: their MAD can be 0.5, so 5 orders would
look like a 4σ event. For count metrics the spread is therefore at least what Poisson noise
gives, ``0.6745 × √median``, and that effective spread is what ``mad`` reports.

Where that floor is what sets the spread (the weeks wobble no more than counting noise), the
week is judged on the Poisson distribution itself rather than on a normal approximation of
it, which is poor in the tails of small counts: the chance of a count at least this far from
the median (one tail, mean = the median) below :data:`POISSON_TAIL` (the one-sided tail of
3.5 σ, 2.3e-4) is flagged. A drop to 0 from a median of 10 a week has P(0 | λ=10) = 4.5e-5:
flagged, although its robust z is only −3.2; 7 orders from a median of 2 (z 3.5, P = 0.0045)
is chance. ``poisson_p`` reports that probability (NULL where the robust z judged).

"Count" means a count of events (:attr:`~kpi_pipeline.catalog.Metric.counts_events`): a
level such as followers or a score such as NPS has no counting noise.
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

from kpi_pipeline.calendar import iso_week_label
from kpi_pipeline.catalog import METRICS_BY_ID

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

ANOMALY_COLUMNS: tuple[str, ...] = (
    "site_id", "week_start", "iso_week", "metric_id", "value", "median", "mad", "robust_z", "kind",
    "poisson_p",
)
THRESHOLD = 3.5
POISSON_TAIL = 0.5 * math.erfc(THRESHOLD / math.sqrt(2))  # P(Z ≥ 3.5) = 2.3e-4, the same cut-off
REFERENCE_WEEKS = 12
MIN_REFERENCE = 8
POISSON_MAD = 0.6745  # the MAD of a normal variable with σ = 1: a Poisson count's MAD ≈ 0.6745 √λ


def _poisson_term(k: int, mean: float) -> float:
    return math.exp(k * math.log(mean) - mean - math.lgamma(k + 1))


def poisson_tail(value: float, mean: float) -> float:
    """P(X ≤ value) below ``mean``, P(X ≥ value) above it, for X ~ Poisson(``mean`` > 0).

    Summed outwards from ``value``, where the terms shrink geometrically, so a count of a
    hundred thousand costs a few hundred terms, not a hundred thousand."""
    below = value < mean
    k = math.floor(value) if below else math.ceil(value)
    if (below and k < 0) or mean <= 0:
        return 0.0
    total, term = 0.0, _poisson_term(k, mean)
    while term > 0 and term >= total * 1e-17:
        total += term
        if below:
            if k == 0:
                break
            term *= k / mean
            k -= 1
        else:
            k += 1
            term *= mean / k
    return min(1.0, total)


def robust_z(
    value: float, reference: np.ndarray | list[float], *, count: bool = False,
) -> tuple[float, float, float] | None:
    """(median, MAD, robust z) of ``value`` against ``reference``; None when the MAD is 0.

    ``count``: floor the MAD at Poisson noise (see the module docstring).
    """
    scored = _scored(value, reference, count=count)
    return None if scored is None else scored[:3]


def _scored(
    value: float, reference: np.ndarray | list[float], *, count: bool = False,
) -> tuple[float, float, float, float | None] | None:
    """(median, MAD, robust z, Poisson tail or None): the tail where counting noise sets the spread."""
    import numpy as np

    ref = np.asarray(reference, dtype=float)
    median = float(np.median(ref))
    mad = float(np.median(np.abs(ref - median)))
    tail = None
    if count and median > 0:
        floor = POISSON_MAD * math.sqrt(median)
        if mad <= floor:
            tail = poisson_tail(value, median)
        mad = max(mad, floor)
    if mad == 0:
        return None
    return median, mad, POISSON_MAD * (value - median) / mad, tail


def is_anomalous(z: float, poisson_p: float | None, threshold: float = THRESHOLD) -> bool:
    """Flagged: by the Poisson tail where it applies, else by the robust z."""
    return poisson_p < POISSON_TAIL if poisson_p is not None else abs(z) >= threshold


NOISE_WEEKS = 12  # complete weeks whose week-to-week changes measure a metric's noise
MIN_NOISE_WEEKS = 6


def weekly_noise(
    values: list[float], *, count: bool = False, trials: list[float] | None = None,
) -> float | None:
    """A metric's typical week-to-week wobble (a robust standard deviation), None if unknown.

    From the week-on-week *changes* of the last weeks rather than their levels, so a goal's
    own growth is not counted as noise: σ = MAD(changes) / 0.6745 / √2 (the change of two
    independent weeks has √2 the spread of one). Counts are at least as noisy as Poisson,
    √median. A rate is at least as noisy as a binomial share of its weekly denominator
    (``trials``, e.g. the leads behind an appointment rate): √(p(1 − p) / n) with p and n the
    medians, so a rate whose recent weeks happened not to move still has noise.
    Needs :data:`MIN_NOISE_WEEKS` weeks.
    """
    if len(values) < MIN_NOISE_WEEKS:
        return None
    import numpy as np

    changes = np.diff(np.asarray(values, dtype=float))
    scored = robust_z(0.0, changes)
    sigma = scored[1] / POISSON_MAD / math.sqrt(2) if scored is not None else 0.0
    if count:
        sigma = max(sigma, math.sqrt(max(float(np.median(values)), 0.0)))
    if trials:
        sigma = max(sigma, binomial_noise(float(np.median(values)), float(np.median(trials))))
    return sigma or None


def binomial_noise(share: float, trials: float) -> float:
    """σ of a share ``share`` of ``trials`` (0 when either is outside a rate's range)."""
    if trials <= 0 or not 0 <= share <= 1:
        return 0.0
    return math.sqrt(share * (1 - share) / trials)


def detect_anomalies(
    weekly: pd.DataFrame,
    week_start: date | None = None,
    *,
    reference_weeks: int = REFERENCE_WEEKS,
    threshold: float = THRESHOLD,
    min_reference: int = MIN_REFERENCE,
) -> pd.DataFrame:
    """Rows for ``mart.metric_anomalies`` from a ``mart.metrics_weekly``-shaped frame.

    Judges every week in the frame, or only ``week_start`` when given (the weekly partition).
    """
    import numpy as np
    import pandas as pd

    rows: list[dict[str, object]] = []
    frame = weekly.assign(week_start=pd.to_datetime(weekly["week_start"]).dt.normalize())
    complete = frame[(frame["days_present"] >= 7) & frame["value"].notna()]
    wanted = pd.Timestamp(week_start) if week_start is not None else None
    for (site_id, metric_id), group in complete.groupby(["site_id", "metric_id"], sort=True):
        known = METRICS_BY_ID.get(str(metric_id))
        count = known is not None and known.counts_events
        group = group.sort_values("week_start")
        starts = group["week_start"].to_numpy()
        values = group["value"].to_numpy(dtype=float)
        for i, current in enumerate(starts):
            if wanted is not None and current != wanted:
                continue
            oldest = current - np.timedelta64(7 * reference_weeks, "D")
            ref = values[(starts >= oldest) & (starts < current)]
            if len(ref) < min_reference:
                continue
            scored = _scored(values[i], ref, count=count)
            if scored is None or not is_anomalous(scored[2], scored[3], threshold):
                continue
            median, mad, z, tail = scored
            day = pd.Timestamp(current).date()
            rows.append({
                "site_id": site_id, "week_start": day, "iso_week": iso_week_label(day),
                "metric_id": metric_id, "value": float(values[i]), "median": median, "mad": mad,
                "robust_z": z, "kind": "spike" if z > 0 else "drop", "poisson_p": tail,
            })
    return pd.DataFrame(rows, columns=list(ANOMALY_COLUMNS))
