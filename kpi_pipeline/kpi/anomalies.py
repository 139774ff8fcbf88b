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
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

from kpi_pipeline.calendar import iso_week_label
from kpi_pipeline.catalog import METRICS_BY_ID, Unit

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

ANOMALY_COLUMNS: tuple[str, ...] = (
    "site_id", "week_start", "iso_week", "metric_id", "value", "median", "mad", "robust_z", "kind",
)
THRESHOLD = 3.5
REFERENCE_WEEKS = 12
MIN_REFERENCE = 8


def robust_z(
    value: float, reference: np.ndarray | list[float], *, count: bool = False,
) -> tuple[float, float, float] | None:
    """(median, MAD, robust z) of ``value`` against ``reference``; None when the MAD is 0.

    ``count``: floor the MAD at Poisson noise (see the module docstring).
    """
    import numpy as np

    ref = np.asarray(reference, dtype=float)
    median = float(np.median(ref))
    mad = float(np.median(np.abs(ref - median)))
    if count and median > 0:
        mad = max(mad, 0.6745 * math.sqrt(median))
    if mad == 0:
        return None
    return median, mad, 0.6745 * (value - median) / mad


NOISE_WEEKS = 12  # complete weeks whose week-to-week changes measure a metric's noise
MIN_NOISE_WEEKS = 6


def weekly_noise(values: list[float], *, count: bool = False) -> float | None:
    """A metric's typical week-to-week wobble (a robust standard deviation), None if unknown.

    From the week-on-week *changes* of the last weeks rather than their levels, so a goal's
    own growth is not counted as noise: σ = MAD(changes) / 0.6745 / √2 (the change of two
    independent weeks has √2 the spread of one). Counts are at least as noisy as Poisson,
    √median. Needs :data:`MIN_NOISE_WEEKS` weeks.
    """
    if len(values) < MIN_NOISE_WEEKS:
        return None
    import numpy as np

    changes = np.diff(np.asarray(values, dtype=float))
    scored = robust_z(0.0, changes)
    sigma = scored[1] / 0.6745 / math.sqrt(2) if scored is not None else 0.0
    if count:
        sigma = max(sigma, math.sqrt(max(float(np.median(values)), 0.0)))
    return sigma or None


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
        count = known is not None and known.unit is Unit.COUNT
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
            scored = robust_z(values[i], ref, count=count)
            if scored is None or abs(scored[2]) < threshold:
                continue
            median, mad, z = scored
            day = pd.Timestamp(current).date()
            rows.append({
                "site_id": site_id, "week_start": day, "iso_week": iso_week_label(day),
                "metric_id": metric_id, "value": float(values[i]), "median": median, "mad": mad,
                "robust_z": z, "kind": "spike" if z > 0 else "drop",
            })
    return pd.DataFrame(rows, columns=list(ANOMALY_COLUMNS))
