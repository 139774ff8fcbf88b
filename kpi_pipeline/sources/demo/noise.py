"""Counter-based random numbers: every draw is a pure function of (seed, site, day, stream, index).

A sequential generator would make a day's numbers depend on which range was asked for. Hashing
the coordinates of each draw instead (splitmix64) keeps a day partition loaded alone identical to
the same day loaded inside a two-year backfill, while still working on whole numpy arrays.
"""

from __future__ import annotations

import hashlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_STREAM_STRIDE = np.uint64(0xD6E8FEB86659FD93)
_INDEX_STRIDE = np.uint64(0xCA5A826395121157)
_TO_UNIT = 1.0 / float(1 << 53)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a cheap, well-mixed bijection on uint64 (wraps on overflow)."""
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _MIX1
    x = (x ^ (x >> np.uint64(27))) * _MIX2
    return x ^ (x >> np.uint64(31))


def site_key(seed: int, site_id: str) -> int:
    """A stable 64-bit key for (seed, site): Python's ``hash`` of a str changes per process."""
    digest = hashlib.blake2b(f"{seed}\x1f{site_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class CounterNoise:
    """Uniform, normal, Poisson and binomial draws addressed by (day ordinal, stream, index)."""

    def __init__(self, key: int) -> None:
        self._key = np.uint64(key)

    def uniform(self, ordinals: np.ndarray, stream: int, width: int | None = None) -> np.ndarray:
        """U(0, 1) per day (shape ``(n,)``) or per day and index (shape ``(n, width)``)."""
        days = np.asarray(ordinals, dtype=np.uint64)
        counter = self._key ^ _splitmix64(days * _STREAM_STRIDE + np.uint64(stream))
        if width is not None:
            index = np.arange(1, width + 1, dtype=np.uint64) * _INDEX_STRIDE
            counter = counter[:, None] + index[None, :]
        bits = _splitmix64(_splitmix64(counter))
        # 53 random bits, shifted by half a step so 0 and 1 are never returned (logs stay finite)
        return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * _TO_UNIT

    def normal(self, ordinals: np.ndarray, stream: int, width: int | None = None) -> np.ndarray:
        """Standard normal per day, or per day and index (Box-Muller on two sub-streams)."""
        u1 = self.uniform(ordinals, stream * 2 + 1_000_001, width)
        u2 = self.uniform(ordinals, stream * 2 + 1_000_002, width)
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)

    def factor(
        self, ordinals: np.ndarray, stream: int, sigma: float, width: int | None = None
    ) -> np.ndarray:
        """A multiplicative (log-normal) noise factor with median 1."""
        return np.exp(sigma * self.normal(ordinals, stream, width))

    def constant(self, stream: int) -> float:
        """One U(0, 1) number per (seed, site): for phases and other per-site traits."""
        return float(self.uniform(np.zeros(1, dtype=np.int64), stream)[0])

    def poisson(self, ordinals: np.ndarray, stream: int, lam: np.ndarray) -> np.ndarray:
        """Poisson counts by inverting the CDF; exact for the small rates the demo uses."""
        lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), np.shape(ordinals))
        u = self.uniform(ordinals, stream)
        big = lam > 200.0
        # beyond ~200 the normal approximation is indistinguishable and exp(-lam) underflows
        approx = np.maximum(np.round(lam + np.sqrt(lam) * self.normal(ordinals, stream)), 0.0)
        small = np.where(big, 0.0, lam)
        counts = np.zeros(lam.shape, dtype=np.int64)
        pmf = np.exp(-small)
        cdf = pmf.copy()
        k = 0
        active = (cdf < u) & ~big
        while active.any() and k < 1000:
            k += 1
            pmf = pmf * small / k
            cdf = cdf + pmf
            counts += active
            active = active & (cdf < u)
        return np.where(big, approx, counts).astype(np.int64)

    def binomial(
        self, ordinals: np.ndarray, stream: int, n: np.ndarray, p: np.ndarray
    ) -> np.ndarray:
        """Binomial(n, p) as a count of Bernoulli trials, so the result never exceeds n."""
        n = np.asarray(n, dtype=np.int64)
        width = int(n.max(initial=0))
        if width == 0:
            return np.zeros(n.shape, dtype=np.int64)
        u = self.uniform(ordinals, stream, width)
        p = np.broadcast_to(np.asarray(p, dtype=np.float64), n.shape)
        trials = np.arange(width)[None, :] < n[:, None]
        return ((u < p[:, None]) & trials).sum(axis=1).astype(np.int64)
