"""Split whole-number day totals across categories so the parts add up exactly.

Breakdowns must sum to the site totals (a mart that checks channel sessions against total
sessions must find no gap), so counts are split with the largest-remainder method rather than
rounded one by one.
"""

from __future__ import annotations

import numpy as np


def allocate(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split ``totals`` (shape ``(n,)``) over the columns of ``weights`` (``(n, k)``) exactly.

    Each part is ``floor(total * share)`` plus one for the largest fractional remainders, so a
    part never exceeds ``ceil(total * share)``. A row whose weights are all zero puts its whole
    total into the first column.
    """
    totals = np.asarray(totals, dtype=np.int64)
    weights = np.asarray(weights, dtype=np.float64)
    row_sum = weights.sum(axis=1, keepdims=True)
    empty = row_sum[:, 0] <= 0
    if empty.any():
        weights = weights.copy()
        weights[empty, 0] = 1.0
        row_sum = weights.sum(axis=1, keepdims=True)
    exact = totals[:, None] * (weights / row_sum)
    parts = np.floor(exact).astype(np.int64)
    remainder = totals - parts.sum(axis=1)
    # rank columns by fractional part, largest first; the top `remainder` columns get one more
    order = np.argsort(-(exact - parts), axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(weights.shape[1])[None, :], axis=1)
    return parts + (ranks < remainder[:, None])


def allocate_capped(totals: np.ndarray, weights: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Like :func:`allocate`, but no part exceeds its cap (e.g. engaged sessions ≤ sessions).

    The overflow of capped parts is split again in proportion to the slack left, which can
    never overflow. Requires ``totals <= caps.sum(axis=1)``.
    """
    caps = np.asarray(caps, dtype=np.int64)
    if np.any(np.asarray(totals) > caps.sum(axis=1)):
        raise ValueError("a total exceeds the sum of its caps")
    parts = np.minimum(allocate(totals, weights), caps)
    left = np.asarray(totals, dtype=np.int64) - parts.sum(axis=1)
    if left.any():
        parts = parts + allocate(left, caps - parts)
    return parts
