"""What the weeks before a measure predict for the weeks after it, and how sure that is.

A least-squares line through the weekly values before the start (optionally with a control
series as a second regressor: the same metric on another site, whose common ups and downs then
cancel) is extrapolated over the weeks after it. The question "did the measure do anything?"
becomes "is the after-weeks' mean outside what the before-weeks predict?", and the spread of
that prediction is the textbook prediction interval of a regression:

    Var(ȳ_after − ŷ) = s² · (1/m + x̄ᵀ (XᵀX)⁻¹ x̄)

with ``s`` the residual standard deviation of the fit (``n − p`` degrees of freedom), ``m`` the
after weeks and ``x̄`` the mean regressor row of the after weeks. The first term is the after
weeks' own wobble, the second the uncertainty of the fitted line itself, which grows the further
the after weeks lie from the middle of the before weeks: a trend fitted on a few noisy weeks
predicts little. The 95 % interval is ``t(0.975, n − p) × se``.

Pure maths on lists of numbers (numpy only), tested with values worked out by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Two-sided 95 % quantiles of Student's t, t(0.975, df), for df = 1..30 (any statistics table).
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
         2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
         2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t975(df: int) -> float:
    """t(0.975, df); beyond the table 1.96 + 2.5/df (within 0.002 of the exact value)."""
    if df < 1:
        raise ValueError("a t quantile needs at least one degree of freedom")
    return _T975[df - 1] if df <= len(_T975) else 1.96 + 2.5 / df


@dataclass(frozen=True)
class Prediction:
    """The after-weeks' mean the before weeks predict, and the spread of a miss when nothing
    changed: ``se`` one standard error, ``limit`` the half-width of the 95 % interval."""

    expected: float
    se: float
    limit: float
    residual: float  # the fit's residual standard deviation (before any floor): how well it fits
    slope: float  # the trend, in the metric's unit per week
    weeks: int  # before weeks fitted
    df: int
    control_t: float | None = None  # t statistic of the control's weight (None without one)

    @property
    def control_explains(self) -> bool:
        """Whether the control's weight is significant at the 95 % level (|t| > t(0.975, df)):
        it moves with the metric beyond what the trend explains."""
        return self.control_t is not None and abs(self.control_t) > t975(self.df)


def predict(
    before_t: Sequence[float], before_y: Sequence[float], after_t: Sequence[float], *,
    before_control: Sequence[float] | None = None, after_control: Sequence[float] | None = None,
    floor: float = 0.0,
) -> Prediction | None:
    """Fit ``y = a + b·t (+ c·control)`` on the before weeks and predict the mean of the after
    weeks ``after_t`` (with the control's after values). None when the fit has fewer than two
    degrees of freedom. ``floor`` is the least residual spread believed (a count's Poisson
    noise: a perfectly straight history does not make every wobble significant)."""
    y = np.asarray(before_y, dtype=float)
    columns = [np.ones(len(y)), np.asarray(before_t, dtype=float)]
    mean_row = [1.0, float(np.mean(after_t))]
    if before_control is not None and after_control is not None:
        columns.append(np.asarray(before_control, dtype=float))
        mean_row.append(float(np.mean(after_control)))
    n, p, m = len(y), len(columns), len(after_t)
    if m == 0 or n - p < 2:
        return None
    x = np.column_stack(columns)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residuals = y - x @ beta
    residual = math.sqrt(float(residuals @ residuals) / (n - p))
    row = np.asarray(mean_row)
    inverse = np.linalg.pinv(x.T @ x)
    se = max(residual, floor) * math.sqrt(1 / m + float(row @ inverse @ row))
    control_t = None
    if p == 3:  # the control's weight against its own standard error (the fit's residual spread)
        spread = residual * math.sqrt(float(inverse[2, 2]))
        weight = float(beta[2])
        control_t = weight / spread if spread > 0 else (math.inf if weight else 0.0)
    return Prediction(float(row @ beta), se, t975(n - p) * se, residual, float(beta[1]), n, n - p,
                      control_t)
