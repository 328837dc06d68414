"""Samplers of each distribution from Philox blocks, element by element.

Element ``i`` (in C order over the output) of a draw whose generator state is (key0, key1, offset) reads its
random words from the block ``philox4x64(counter=(i, round, offset, substream), key=(key0, key1))``: ``round``
counts the attempts of a rejection sampler (0 for a direct one) and ``substream`` separates independent parts
of one element (the two gammas of a beta, the categories of a multinomial). Every element is therefore a pure
function of its own index: a C loop or a CUDA thread per element reproduces these numbers exactly, given the
same transforms (Box-Muller normals, Marsaglia-Tsang gammas, Hörmann's BTRS binomials and PTRS Poissons,
inversion for small means).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .philox import mulhilo, philox4x64, to_open_unit, to_unit

MAX_ROUNDS = 1000


@dataclass(frozen=True)
class Source:
    """The random words of one draw: a Philox key and the call's offset."""

    key: np.ndarray
    offset: int

    def block(self, elements: np.ndarray, round_: int = 0, substream: int = 0) -> np.ndarray:
        """The (n, 4) uint64 words of ``elements`` (flat indices) at ``round_`` of ``substream``."""
        elements = np.asarray(elements, np.uint64)
        counter = np.empty(elements.shape + (4,), np.uint64)
        counter[..., 0] = elements
        counter[..., 1] = np.uint64(round_)
        counter[..., 2] = np.uint64(self.offset)
        counter[..., 3] = np.uint64(substream)
        return philox4x64(counter, self.key)


def box_muller(words: np.ndarray) -> np.ndarray:
    """Standard normals from words 0 and 1 of each block."""
    u1, u2 = to_open_unit(words[:, 0]), to_unit(words[:, 1])
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def rejection(n: int, propose: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]],
              dtype: str = "float64") -> np.ndarray:
    """Run ``propose(pending elements, round) -> (values, accepted)`` until every element is accepted."""
    out = np.zeros(n, dtype)
    pending = np.arange(n)
    for round_ in range(MAX_ROUNDS):
        if not pending.size:
            return out
        values, accepted = propose(pending, round_)
        out[pending[accepted]] = values[accepted]
        pending = pending[~accepted]
    raise RuntimeError(f"rejection sampling did not finish in {MAX_ROUNDS} rounds for {pending.size} elements")


def uniform(src: Source, n: int, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    u = to_unit(src.block(np.arange(n))[:, 0])
    return low + (high - low) * u


def normal(src: Source, n: int, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return loc + scale * box_muller(src.block(np.arange(n)))


def exponential(src: Source, n: int, scale: np.ndarray) -> np.ndarray:
    return -np.log(to_open_unit(src.block(np.arange(n))[:, 0])) * scale


def bernoulli(src: Source, n: int, p: np.ndarray) -> np.ndarray:
    return (to_unit(src.block(np.arange(n))[:, 0]) < p).astype(np.int64)


def integers(src: Source, n: int, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Uniform integers in [low, high): the high word of ``word * (high - low)`` (Lemire's multiply-shift)."""
    span = (high.astype(np.int64) - low.astype(np.int64)).astype(np.uint64)
    high_word, _ = mulhilo(src.block(np.arange(n))[:, 0], span)
    return low.astype(np.int64) + high_word.astype(np.int64)


def standard_gamma(src: Source, n: int, shape: np.ndarray, substream: int = 0) -> np.ndarray:
    """Marsaglia and Tsang's method; shapes below 1 are boosted: G(a) = G(a + 1) U^(1/a)."""
    boosted = shape < 1
    a = np.where(boosted, shape + 1.0, shape)
    d = a - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)

    def propose(elements: np.ndarray, round_: int) -> tuple[np.ndarray, np.ndarray]:
        words = src.block(elements, round_, substream)
        x = box_muller(words)
        v = (1.0 + c[elements] * x) ** 3
        u = to_open_unit(words[:, 2])
        with np.errstate(invalid="ignore", divide="ignore"):
            ok = (v > 0) & (np.log(u) < 0.5 * x * x + d[elements] - d[elements] * v + d[elements] * np.log(v))
        return d[elements] * v, ok

    values = rejection(n, propose)
    if boosted.any():
        u = to_open_unit(src.block(np.arange(n), 0, substream)[:, 3])
        with np.errstate(divide="ignore"):
            values = np.where(boosted, values * u ** (1.0 / np.where(boosted, shape, 1.0)), values)
    return np.where(shape > 0, values, np.where(shape == 0, 0.0, np.nan))


def gamma(src: Source, n: int, shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return standard_gamma(src, n, shape) * scale


def beta(src: Source, n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = standard_gamma(src, n, a, substream=0)
    y = standard_gamma(src, n, b, substream=1)
    return x / (x + y)


def truncated_normal(src: Source, n: int, loc: np.ndarray, scale: np.ndarray, lower: np.ndarray,
                     upper: np.ndarray) -> np.ndarray:
    """Inversion of the normal CDF between ``lower`` and ``upper`` (in standard deviations), in the tail
    closer to zero for accuracy."""
    import scipy.special  # noqa: PLC0415  (importing it costs 0.3 s)

    u = to_open_unit(src.block(np.arange(n))[:, 0])
    flip = lower > 0
    lo, hi = np.where(flip, -upper, lower), np.where(flip, -lower, upper)
    a, b = scipy.special.ndtr(lo), scipy.special.ndtr(hi)
    z = scipy.special.ndtri(a + u * (b - a))
    z = np.clip(np.where(flip, -z, z), lower, upper)
    return loc + scale * z


def _inversion_search(u: np.ndarray, first: np.ndarray, ratio: Callable[[np.ndarray, np.ndarray], np.ndarray],
                      limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest k with u <= P(0) + ... + P(k), P(k + 1) = P(k) ratio(k + 1); (k, found before ``limit``)."""
    k = np.zeros(u.shape, np.int64)
    mass = first.copy()
    remaining = u.copy()
    active = remaining > mass
    while active.any():
        remaining = np.where(active, remaining - mass, remaining)
        k = np.where(active, k + 1, k)
        mass = np.where(active, mass * ratio(k, active), mass)
        active &= (remaining > mass) & (k <= limit)
    return k, k <= limit


def _stirling_tail(k: np.ndarray) -> np.ndarray:
    table = np.array([0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                      0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                      0.00925546218271273, 0.00833056343336287])
    kp1sq = (k + 1.0) ** 2
    formula = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1.0)
    return np.where(k <= 9, table[np.clip(k, 0, 9).astype(np.int64)], formula)


def binomial(src: Source, n: int, trials: np.ndarray, p: np.ndarray, substream: int = 0) -> np.ndarray:
    """Inversion when ``n min(p, 1 - p) < 10``, else Hörmann's BTRS; symmetric in p and 1 - p."""
    trials = trials.astype(np.float64)
    flip = p > 0.5
    q_small = np.where(flip, 1.0 - p, p)
    small = trials * q_small < 10
    out = np.zeros(n, np.float64)
    if small.any():
        out[small] = _binomial_inversion(src, np.flatnonzero(small), trials[small], q_small[small], substream)
    if (~small).any():
        out[~small] = _binomial_btrs(src, np.flatnonzero(~small), trials[~small], q_small[~small], substream)
    out = np.where(flip, trials - out, out)
    return np.where((p >= 0) & (p <= 1) & (trials >= 0), out, -1).astype(np.int64)


def _binomial_inversion(src: Source, elements: np.ndarray, n: np.ndarray, p: np.ndarray,
                        substream: int) -> np.ndarray:
    q = 1.0 - p
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.exp(n * np.log(q))
        bound = np.minimum(n, n * p + 10.0 * np.sqrt(n * p * q + 1))
        odds = p / q

    def propose(pending: np.ndarray, round_: int) -> tuple[np.ndarray, np.ndarray]:
        u = to_unit(src.block(elements[pending], round_, substream)[:, 0])

        def ratio(k: np.ndarray, active: np.ndarray) -> np.ndarray:
            return np.where(active, (n[pending] - k + 1) * odds[pending] / np.maximum(k, 1), 1.0)

        k, found = _inversion_search(u, first[pending], ratio, bound[pending])
        return k.astype(np.float64), found | (p[pending] == 0)

    return rejection(elements.size, propose)


def _binomial_btrs(src: Source, elements: np.ndarray, n: np.ndarray, p: np.ndarray, substream: int) -> np.ndarray:
    q = 1.0 - p
    spq = np.sqrt(n * p * q)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    v_r = 0.92 - 4.2 / b
    r = p / q
    alpha = (2.83 + 5.1 / b) * spq
    m = np.floor((n + 1) * p)

    def propose(pending: np.ndarray, round_: int) -> tuple[np.ndarray, np.ndarray]:
        words = src.block(elements[pending], round_, substream)
        u = to_unit(words[:, 0]) - 0.5
        v = to_open_unit(words[:, 1])
        us = 0.5 - np.abs(u)
        nn, aa, bb, rr, mm = n[pending], a[pending], b[pending], r[pending], m[pending]
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.floor((2 * aa / us + bb) * u + c[pending])
            quick = (us >= 0.07) & (v <= v_r[pending])
            inside = (k >= 0) & (k <= nn)
            log_v = np.log(v * alpha[pending] / (aa / (us * us) + bb))
            bound = ((mm + 0.5) * np.log((mm + 1) / (rr * (nn - mm + 1)))
                     + (nn + 1) * np.log((nn - mm + 1) / (nn - k + 1))
                     + (k + 0.5) * np.log(rr * (nn - k + 1) / (k + 1))
                     + _stirling_tail(mm) + _stirling_tail(nn - mm) - _stirling_tail(k) - _stirling_tail(nn - k))
        return k, quick | (inside & (log_v <= bound))

    return rejection(elements.size, propose)


def poisson(src: Source, n: int, lam: np.ndarray) -> np.ndarray:
    """Inversion for ``lam < 10``, Hörmann's PTRS above."""
    out = np.zeros(n, np.float64)
    small = lam < 10
    if small.any():
        elements = np.flatnonzero(small)
        rate = lam[small]

        def propose(pending: np.ndarray, round_: int) -> tuple[np.ndarray, np.ndarray]:
            u = to_unit(src.block(elements[pending], round_)[:, 0])

            def ratio(k: np.ndarray, active: np.ndarray) -> np.ndarray:
                return np.where(active, rate[pending] / np.maximum(k, 1), 1.0)

            k, found = _inversion_search(u, np.exp(-rate[pending]), ratio, np.full(pending.size, 1000))
            return k.astype(np.float64), found

        out[small] = rejection(elements.size, propose)
    if (~small).any():
        out[~small] = _poisson_ptrs(src, np.flatnonzero(~small), lam[~small])
    return np.where(lam >= 0, out, -1).astype(np.int64)


def _poisson_ptrs(src: Source, elements: np.ndarray, lam: np.ndarray) -> np.ndarray:
    import scipy.special  # noqa: PLC0415  (importing it costs 0.3 s)

    slam, loglam = np.sqrt(lam), np.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)

    def propose(pending: np.ndarray, round_: int) -> tuple[np.ndarray, np.ndarray]:
        words = src.block(elements[pending], round_)
        u = to_unit(words[:, 0]) - 0.5
        v = to_open_unit(words[:, 1])
        us = 0.5 - np.abs(u)
        aa, bb, ll = a[pending], b[pending], lam[pending]
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.floor((2 * aa / us + bb) * u + ll + 0.43)
            quick = (us >= 0.07) & (v <= vr[pending])
            possible = (k >= 0) & ~((us < 0.013) & (v > us))
            accept = (np.log(v) + np.log(invalpha[pending]) - np.log(aa / (us * us) + bb)
                      <= -ll + k * loglam[pending] - scipy.special.gammaln(k + 1))
        return k, quick | (possible & accept)

    return rejection(elements.size, propose)


def categorical_index(u: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The category of each uniform ``u`` under probabilities ``p`` (last axis, normalised here)."""
    cdf = np.cumsum(p, axis=-1)
    cdf = cdf / cdf[..., -1:]
    return np.minimum(np.sum(cdf <= u[..., None], axis=-1), p.shape[-1] - 1).astype(np.int64)


def multinomial(src: Source, n_out: int, trials: np.ndarray, pvals: np.ndarray) -> np.ndarray:
    """Counts per category: one binomial per category (substream k) of what the previous ones left."""
    k = pvals.shape[-1]
    counts = np.zeros((n_out, k), np.int64)
    remaining = trials.astype(np.int64).copy()
    mass_left = np.ones(n_out)
    for category in range(k - 1):
        p = pvals[:, category]
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.clip(np.where(mass_left > 0, p / mass_left, 0.0), 0.0, 1.0)
        drawn = binomial(src, n_out, remaining, share, substream=category)
        counts[:, category] = drawn
        remaining = remaining - drawn
        mass_left = mass_left - p
    counts[:, k - 1] = remaining
    return counts
