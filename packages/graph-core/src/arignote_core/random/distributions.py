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


def categorical(src: Source, n: int, p: np.ndarray) -> np.ndarray:
    """One category per element, by inversion of the cumulative probabilities ``p`` (n, k)."""
    return categorical_index(to_unit(src.block(np.arange(n))[:, 0]), p)


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


# -- distributions built from the ones above, by transformation -------------------------------------------------


def require(valid: np.ndarray | bool, distribution: str, message: str) -> None:
    """Raise NumPy's ValueError (``"<distribution>: <message>"``) unless every parameter is ``valid``."""
    if not np.all(valid):
        raise ValueError(f"{distribution}: {message}")


def _unit(src: Source, n: int) -> np.ndarray:
    """One uniform on (0, 1) per element: word 0 of its first block."""
    return to_open_unit(src.block(np.arange(n))[:, 0])


def lognormal(src: Source, n: int, mean: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``exp`` of a normal with mean ``mean`` and standard deviation ``sigma``."""
    require(sigma >= 0, "lognormal", "sigma < 0")
    return np.exp(normal(src, n, mean, sigma))


def laplace(src: Source, n: int, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Inversion: ``loc - scale sign(u) log(1 - 2 |u|)`` for ``u`` uniform on (-1/2, 1/2)."""
    require(scale >= 0, "laplace", "scale < 0")
    u = _unit(src, n) - 0.5
    return loc - scale * np.sign(u) * np.log1p(-2.0 * np.abs(u))


def logistic(src: Source, n: int, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Inversion: ``loc + scale log(u / (1 - u))``."""
    require(scale >= 0, "logistic", "scale < 0")
    u = _unit(src, n)
    return loc + scale * (np.log(u) - np.log1p(-u))


def gumbel(src: Source, n: int, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Inversion: ``loc - scale log(-log u)``."""
    require(scale >= 0, "gumbel", "scale < 0")
    return loc - scale * np.log(-np.log(_unit(src, n)))


def weibull(src: Source, n: int, a: np.ndarray) -> np.ndarray:
    """The standard Weibull of shape ``a``: ``E^(1/a)`` for a standard exponential E (0 where ``a`` is 0)."""
    require(a >= 0, "weibull", "a < 0")
    e = -np.log(_unit(src, n))
    with np.errstate(divide="ignore"):
        return np.where(a == 0, 0.0, e ** (1.0 / np.where(a == 0, 1.0, a)))


def pareto(src: Source, n: int, b: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The Pareto of shape ``b`` from ``scale`` up (SciPy's ``pareto``): ``scale u^(-1/b)``."""
    require(b > 0, "pareto", "b <= 0")
    require(scale > 0, "pareto", "scale <= 0")
    return scale * np.exp(-np.log(_unit(src, n)) / b)


def cauchy(src: Source, n: int, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Inversion: ``loc + scale tan(pi (u - 1/2))``."""
    require(scale >= 0, "cauchy", "scale < 0")
    return loc + scale * np.tan(np.pi * (_unit(src, n) - 0.5))


def halfnormal(src: Source, n: int, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``loc + scale |Z|`` for a standard normal Z."""
    require(scale >= 0, "halfnormal", "scale < 0")
    return loc + scale * np.abs(box_muller(src.block(np.arange(n))))


def halfcauchy(src: Source, n: int, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Inversion: ``loc + scale tan(pi u / 2)``."""
    require(scale >= 0, "halfcauchy", "scale < 0")
    return loc + scale * np.tan(0.5 * np.pi * _unit(src, n))


def invgamma(src: Source, n: int, shape: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``scale / G(shape)`` for a standard gamma G (SciPy's ``invgamma``)."""
    require(shape > 0, "invgamma", "shape <= 0")
    require(scale > 0, "invgamma", "scale <= 0")
    return scale / standard_gamma(src, n, shape)


def rayleigh(src: Source, n: int, scale: np.ndarray) -> np.ndarray:
    """Inversion: ``scale sqrt(-2 log u)``."""
    require(scale >= 0, "rayleigh", "scale < 0")
    return scale * np.sqrt(-2.0 * np.log(_unit(src, n)))


def chisquare(src: Source, n: int, df: np.ndarray) -> np.ndarray:
    """``2 G(df / 2)`` for a standard gamma G."""
    require(df > 0, "chisquare", "df <= 0")
    return 2.0 * standard_gamma(src, n, df / 2.0)


def student_t(src: Source, n: int, df: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``loc + scale Z / sqrt(2 G(df / 2) / df)``: a normal (substream 0) over a chi (substream 1)."""
    require(df > 0, "t", "df <= 0")
    require(scale >= 0, "t", "scale < 0")
    z = box_muller(src.block(np.arange(n)))
    return loc + scale * z / np.sqrt(2.0 * standard_gamma(src, n, df / 2.0, substream=1) / df)


def wald(src: Source, n: int, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Michael, Schucany and Haas's transformation of a normal (words 0 and 1) with a uniform (word 2)."""
    require(mean > 0, "wald", "mean <= 0")
    require(scale > 0, "wald", "scale <= 0")
    words = src.block(np.arange(n))
    y = mean * box_muller(words) ** 2
    x = mean + mean / (2.0 * scale) * (y - np.sqrt(4.0 * scale * y + y * y))
    return np.where(to_unit(words[:, 2]) * (mean + x) <= mean, x, mean * mean / x)


def triangular(src: Source, n: int, left: np.ndarray, mode: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Inversion of the triangular CDF on [left, right] peaking at ``mode``."""
    require(left <= mode, "triangular", "left > mode")
    require(mode <= right, "triangular", "mode > right")
    require(left < right, "triangular", "left == right")
    u = to_unit(src.block(np.arange(n))[:, 0])
    width, below, above = right - left, mode - left, right - mode
    rising = u <= below / width
    return np.where(rising, left + np.sqrt(u * width * below), right - np.sqrt((1.0 - u) * width * above))


def vonmises(src: Source, n: int, mu: np.ndarray, kappa: np.ndarray) -> np.ndarray:
    """Best and Fisher's rejection sampler (NumPy's), on [-pi, pi]: uniform below kappa 1e-8, a normal of
    variance 1/kappa above 1e6."""
    require(kappa >= 0, "vonmises", "kappa < 0")
    k = np.maximum(kappa, 1e-300)
    r = 1.0 + np.sqrt(1.0 + 4.0 * k * k)
    rho = (r - np.sqrt(2.0 * r)) / (2.0 * k)
    with np.errstate(divide="ignore", over="ignore"):
        s = np.where(k < 1e-5, 1.0 / k + k, (1.0 + rho * rho) / (2.0 * rho))
    flat = (kappa < 1e-8) | (kappa > 1e6)

    def propose(elements: np.ndarray, round_: int) -> tuple[np.ndarray, np.ndarray]:
        words = src.block(elements, round_)
        z = np.cos(np.pi * to_unit(words[:, 0]))
        se, ke = s[elements], k[elements]
        w = (1.0 + se * z) / (se + z)
        y = ke * (se - w)
        v = to_open_unit(words[:, 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = (y * (2.0 - y) - v >= 0) | (np.log(y / v) + 1.0 - y >= 0)
        angle = np.arccos(np.clip(w, -1.0, 1.0))
        return np.where(to_unit(words[:, 2]) < 0.5, -angle, angle), ok | flat[elements]

    words = src.block(np.arange(n), 0, substream=1)
    wide = np.where(kappa < 1e-8, np.pi * (2.0 * to_unit(words[:, 2]) - 1.0),
                    box_muller(words) / np.sqrt(k))
    angle = np.where(flat, wide, rejection(n, propose)) + mu
    return np.sign(angle) * (np.fmod(np.abs(angle) + np.pi, 2.0 * np.pi) - np.pi)


def geometric(src: Source, n: int, p: np.ndarray) -> np.ndarray:
    """Trials up to the first success: ``ceil(log u / log(1 - p))``, at least 1."""
    require((p > 0) & (p <= 1), "geometric", "p <= 0, p > 1 or p contains NaNs")
    with np.errstate(divide="ignore"):
        k = np.ceil(np.log(_unit(src, n)) / np.log1p(-p))
    return np.maximum(k, 1.0).astype(np.int64)


def negative_binomial(src: Source, n: int, trials: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Failures before ``trials`` successes: a Poisson (substream 0) whose rate is a gamma of shape ``trials``
    and scale ``(1 - p) / p`` (substream 1)."""
    require(trials > 0, "negative_binomial", "n <= 0")
    require((p > 0) & (p <= 1), "negative_binomial", "p <= 0, p > 1 or p contains NaNs")
    return poisson(src, n, standard_gamma(src, n, trials, substream=1) * (1.0 - p) / p)


def beta_binomial(src: Source, n: int, trials: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A binomial (substream 2) whose probability is a beta draw (substreams 0 and 1)."""
    require(trials >= 0, "beta_binomial", "n < 0")
    require((a > 0) & (b > 0), "beta_binomial", "a <= 0 or b <= 0")
    return binomial(src, n, trials, beta(src, n, a, b), substream=2)


def _log_choose(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    import scipy.special  # noqa: PLC0415  (importing it costs 0.3 s)

    return scipy.special.gammaln(a + 1) - scipy.special.gammaln(k + 1) - scipy.special.gammaln(a - k + 1)


def hypergeometric(src: Source, n: int, ngood: np.ndarray, nbad: np.ndarray, nsample: np.ndarray) -> np.ndarray:
    """Good items among ``nsample`` drawn without replacement: inversion that starts at the mode and steps down
    and up in turn (each probability from its neighbour's), so it takes about a standard deviation of steps."""
    require((ngood >= 0) & (nbad >= 0), "hypergeometric", "ngood < 0 or nbad < 0")
    require(nsample >= 0, "hypergeometric", "nsample < 0")
    require(nsample <= ngood + nbad, "hypergeometric", "ngood + nbad < nsample")
    g, b, m = ngood, nbad, nsample
    lo, hi = np.maximum(0.0, m - b), np.minimum(m, g)
    mode = np.clip(np.floor((m + 1) * (g + 1) / (g + b + 2)), lo, hi)
    mass = np.exp(_log_choose(g, mode) + _log_choose(b, m - mode) - _log_choose(g + b, m))
    remaining = _unit(src, n) - mass
    out, down, up, p_down, p_up = mode, mode, mode, mass, mass
    active = remaining > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        while active.any():
            step = active & (down > lo)
            p_down = np.where(step, p_down * down * (b - m + down) / ((g - down + 1) * (m - down + 1)), p_down)
            down = np.where(step, down - 1, down)
            remaining = np.where(step, remaining - p_down, remaining)
            out = np.where(step, down, out)
            active &= remaining > 0
            step = active & (up < hi)
            p_up = np.where(step, p_up * (g - up) * (m - up) / ((up + 1) * (b - m + up + 1)), p_up)
            up = np.where(step, up + 1, up)
            remaining = np.where(step, remaining - p_up, remaining)
            out = np.where(step, up, out)
            active &= (remaining > 0) & ((down > lo) | (up < hi))
    return out.astype(np.int64)


# -- distributions with a core axis ------------------------------------------------------------------------------


def dirichlet(src: Source, n: int, alpha: np.ndarray) -> np.ndarray:
    """Independent gammas of shapes ``alpha`` (n, k), one substream per component, normalised to sum to 1."""
    alpha = alpha.astype(np.float64)
    require(alpha >= 0, "dirichlet", "alpha < 0")
    gammas = np.stack([standard_gamma(src, n, alpha[:, j], substream=j) for j in range(alpha.shape[1])], axis=1)
    return gammas / gammas.sum(axis=1, keepdims=True)


def multivariate_normal(src: Source, n: int, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``mean + L z`` for the Cholesky factor L of ``cov`` (n, k, k) and k standard normals z (substream j)."""
    k = mean.shape[1]
    require(cov.shape[1] == cov.shape[2], "multivariate_normal", f"cov must be square, got {cov.shape[1:]}")
    require(cov.shape[2] == k, "multivariate_normal", f"mean has {k} components but cov is {cov.shape[1:]}")
    try:
        factor = np.linalg.cholesky(cov.astype(np.float64))
    except np.linalg.LinAlgError:
        raise ValueError("multivariate_normal: cov is not symmetric positive definite") from None
    z = np.stack([box_muller(src.block(np.arange(n), 0, substream=j)) for j in range(k)], axis=1)
    return mean.astype(np.float64) + np.einsum("nij,nj->ni", factor, z)
