"""``RandomStream``: symbolic random draws with NumPy ``Generator``'s names and argument broadcasting.

Each draw gets its own generator state, a shared uint64 vector ``[seed, draw number, offset]`` (the Philox key
and the number of calls so far). The draw's node takes the state as an input and gives the next state as an
output; ``updates()`` pairs every state with its next value (also set as the state's ``default_update``), so
that a function compiled with those updates advances the stream on each call, and two streams with the same
seed give the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..graph import Variable
from ..tensors import math as tm
from ..tensors.basic import arange, as_tensor, cast
from ..tensors.shape_inference import shape_tuple
from ..tensors.sharedvar import shared
from ..tensors.sorting import argsort
from .ops import SIGNATURES, random_variable

_MASK64 = (1 << 64) - 1


def _refuse_shape_as_parameter(distribution: str, size: Any, params: Sequence[Any]) -> None:
    """A tuple of ints in the first parameter's place, with no ``size``, is Theano's ``uniform((2, 3))``: a shape
    where NumPy's signature (this one) expects a bound. Read as bounds it would silently draw from the wrong
    distribution, so it is refused with both spellings."""
    first = params[0] if params else None
    if SIGNATURES[distribution].core[0]:
        return  # the first parameter is a vector (dirichlet's alpha, multivariate_normal's mean)
    if size is None and isinstance(first, tuple) and first and all(isinstance(v, int | np.integer) for v in first):
        raise TypeError(f"{distribution}({first!r}): a tuple of ints where the first parameter goes looks like a "
                        f"shape; pass it as size={first!r} (NumPy's order: parameters first, then size), or as an "
                        "array (np.array(...)) if you meant array-valued parameters")


class RandomStream:
    """A source of symbolic random draws, reproducible from ``seed`` (a random seed when None)."""

    def __init__(self, seed: int | None = None) -> None:
        entropy = np.random.SeedSequence().entropy if seed is None else seed
        self._seed = int(entropy) & _MASK64  # type: ignore[arg-type]
        self.state_updates: list[tuple[Any, Variable]] = []

    # -- state -------------------------------------------------------------------------------------------

    def _draw(self, distribution: str, size: Any, params: Sequence[Any], dtype: Any) -> Any:
        _refuse_shape_as_parameter(distribution, size, params)
        index = len(self.state_updates)
        state = shared(np.array([self._seed, index, 0], dtype=np.uint64), name=f"rng_state_{index}",
                       shape=(3,))
        next_state, draws = random_variable(distribution, state, size, params, dtype)
        state.default_update = next_state
        self.state_updates.append((state, next_state))
        return draws

    def seed(self, seed: int) -> None:
        """Restart every draw of this stream from ``seed``."""
        self._seed = int(seed) & _MASK64
        for index, (state, _) in enumerate(self.state_updates):
            state.set_value(np.array([self._seed, index, 0], dtype=np.uint64))

    def updates(self) -> list[tuple[Any, Variable]]:
        """(state, next state) for every draw: pass them as ``function(..., updates=stream.updates())``."""
        return list(self.state_updates)

    # -- distributions -------------------------------------------------------------------------------------

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """Uniform on [low, high)."""
        return self._draw("uniform", size, [low, high], dtype)

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """Normal with mean ``loc`` and standard deviation ``scale``."""
        return self._draw("normal", size, [loc, scale], dtype)

    def standard_normal(self, size: Any = None, dtype: Any = "float64") -> Any:
        """Standard normal."""
        return self.normal(0.0, 1.0, size, dtype)

    def exponential(self, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """Exponential with mean ``scale``."""
        return self._draw("exponential", size, [scale], dtype)

    def gamma(self, shape: Any, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """Gamma with ``shape`` (k) and ``scale`` (theta)."""
        return self._draw("gamma", size, [shape, scale], dtype)

    def beta(self, a: Any, b: Any, size: Any = None, dtype: Any = "float64") -> Any:
        """Beta with shapes ``a`` and ``b``."""
        return self._draw("beta", size, [a, b], dtype)

    def truncated_normal(self, loc: Any = 0.0, scale: Any = 1.0, lower: Any = -2.0, upper: Any = 2.0,
                         size: Any = None, dtype: Any = "float64") -> Any:
        """Normal restricted to [loc + lower scale, loc + upper scale] (bounds in standard deviations)."""
        return self._draw("truncated_normal", size, [loc, scale, lower, upper], dtype)

    def integers(self, low: Any, high: Any = None, size: Any = None, dtype: Any = "int64",
                 endpoint: bool = False) -> Any:
        """Uniform integers in [low, high) ([low, high] with ``endpoint``); ``integers(high)`` starts at 0."""
        _refuse_shape_as_parameter("integers", size, [low])
        if high is None:
            low, high = 0, low
        if endpoint:
            high = tm.add(high, 1)
        return self._draw("integers", size, [low, high], dtype)

    def bernoulli(self, p: Any = 0.5, size: Any = None, dtype: Any = "int64") -> Any:
        """1 with probability ``p``, else 0."""
        return self._draw("bernoulli", size, [p], dtype)

    def binomial(self, n: Any, p: Any, size: Any = None, dtype: Any = "int64") -> Any:
        """Successes in ``n`` trials of probability ``p``."""
        return self._draw("binomial", size, [n, p], dtype)

    def poisson(self, lam: Any = 1.0, size: Any = None, dtype: Any = "int64") -> Any:
        """Poisson with rate ``lam``."""
        return self._draw("poisson", size, [lam], dtype)

    def multinomial(self, n: Any, pvals: Any, size: Any = None, dtype: Any = "int64") -> Any:
        """Counts of ``n`` draws among ``len(pvals)`` categories (the last axis of ``pvals``)."""
        return self._draw("multinomial", size, [n, pvals], dtype)

    def categorical(self, p: Any, size: Any = None, dtype: Any = "int64") -> Any:
        """The index of one category drawn with probabilities ``p`` (its last axis)."""
        return self._draw("categorical", size, [p], dtype)

    def lognormal(self, mean: Any = 0.0, sigma: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """``exp`` of a normal with mean ``mean`` and standard deviation ``sigma``."""
        return self._draw("lognormal", size, [mean, sigma], dtype)

    def laplace(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """Laplace (double exponential) centred at ``loc`` with decay ``scale``."""
        return self._draw("laplace", size, [loc, scale], dtype)

    def logistic(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """Logistic centred at ``loc`` with ``scale``."""
        return self._draw("logistic", size, [loc, scale], dtype)

    def gumbel(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """Gumbel (extreme value of type I) with mode ``loc`` and ``scale``."""
        return self._draw("gumbel", size, [loc, scale], dtype)

    def weibull(self, a: Any, size: Any = None, dtype: Any = "float64") -> Any:
        """Standard Weibull of shape ``a`` (scale 1)."""
        return self._draw("weibull", size, [a], dtype)

    def pareto(self, b: Any, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """Pareto of shape ``b`` on [scale, inf) (PyTensor's and SciPy's; NumPy's ``pareto(a)`` is the Lomax,
        ``pareto(a) - 1``)."""
        return self._draw("pareto", size, [b, scale], dtype)

    def cauchy(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """Cauchy centred at ``loc`` with half-width ``scale``."""
        return self._draw("cauchy", size, [loc, scale], dtype)

    def standard_cauchy(self, size: Any = None, dtype: Any = "float64") -> Any:
        """Standard Cauchy."""
        return self.cauchy(0.0, 1.0, size, dtype)

    def halfnormal(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """``loc + scale |Z|`` for a standard normal Z."""
        return self._draw("halfnormal", size, [loc, scale], dtype)

    def halfcauchy(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """``loc + scale |C|`` for a standard Cauchy C."""
        return self._draw("halfcauchy", size, [loc, scale], dtype)

    def invgamma(self, shape: Any, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """Inverse gamma: ``scale / G`` for a standard gamma G of ``shape``."""
        return self._draw("invgamma", size, [shape, scale], dtype)

    def rayleigh(self, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """Rayleigh with mode ``scale``."""
        return self._draw("rayleigh", size, [scale], dtype)

    def standard_gamma(self, shape: Any, size: Any = None, dtype: Any = "float64") -> Any:
        """Gamma of ``shape`` and scale 1."""
        return self.gamma(shape, 1.0, size, dtype)

    def standard_exponential(self, size: Any = None, dtype: Any = "float64") -> Any:
        """Exponential of mean 1."""
        return self.exponential(1.0, size, dtype)

    def chisquare(self, df: Any, size: Any = None, dtype: Any = "float64") -> Any:
        """Chi-square with ``df`` degrees of freedom."""
        return self._draw("chisquare", size, [df], dtype)

    def t(self, df: Any, loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = "float64") -> Any:
        """Student's t with ``df`` degrees of freedom, shifted by ``loc`` and scaled by ``scale``."""
        return self._draw("t", size, [df, loc, scale], dtype)

    def standard_t(self, df: Any, size: Any = None, dtype: Any = "float64") -> Any:
        """Student's t with ``df`` degrees of freedom."""
        return self.t(df, 0.0, 1.0, size, dtype)

    def wald(self, mean: Any, scale: Any, size: Any = None, dtype: Any = "float64") -> Any:
        """Wald (inverse Gaussian) with ``mean`` and shape ``scale``."""
        return self._draw("wald", size, [mean, scale], dtype)

    def triangular(self, left: Any, mode: Any, right: Any, size: Any = None, dtype: Any = "float64") -> Any:
        """Triangular on [left, right] peaking at ``mode``."""
        return self._draw("triangular", size, [left, mode, right], dtype)

    def vonmises(self, mu: Any, kappa: Any, size: Any = None, dtype: Any = "float64") -> Any:
        """Von Mises on [-pi, pi] with mode ``mu`` and concentration ``kappa``."""
        return self._draw("vonmises", size, [mu, kappa], dtype)

    def geometric(self, p: Any, size: Any = None, dtype: Any = "int64") -> Any:
        """Trials up to and including the first success of probability ``p`` (1, 2, ...)."""
        return self._draw("geometric", size, [p], dtype)

    def negative_binomial(self, n: Any, p: Any, size: Any = None, dtype: Any = "int64") -> Any:
        """Failures before ``n`` successes of probability ``p``."""
        return self._draw("negative_binomial", size, [n, p], dtype)

    def beta_binomial(self, n: Any, a: Any, b: Any, size: Any = None, dtype: Any = "int64") -> Any:
        """Successes in ``n`` trials whose probability is drawn from beta(a, b)."""
        return self._draw("beta_binomial", size, [n, a, b], dtype)

    def hypergeometric(self, ngood: Any, nbad: Any, nsample: Any, size: Any = None, dtype: Any = "int64") -> Any:
        """Good items among ``nsample`` drawn without replacement from ``ngood`` good and ``nbad`` bad ones."""
        return self._draw("hypergeometric", size, [ngood, nbad, nsample], dtype)

    def dirichlet(self, alpha: Any, size: Any = None, dtype: Any = "float64") -> Any:
        """Points of the simplex, Dirichlet with concentrations ``alpha`` (its last axis)."""
        return self._draw("dirichlet", size, [alpha], dtype)

    def multivariate_normal(self, mean: Any, cov: Any, size: Any = None, dtype: Any = "float64") -> Any:
        """Normal vectors with ``mean`` (last axis) and covariance ``cov`` (last two axes; symmetric positive
        definite, factored by Cholesky)."""
        return self._draw("multivariate_normal", size, [mean, cov], dtype)

    def permutation(self, x: Any) -> Any:
        """A random order of ``arange(x)`` for an integer ``x``, else of ``x`` along its first axis."""
        population = as_tensor(x)
        if population.ndim == 0:
            population = arange(population, dtype="int64")
        keys = self._draw("integers", (shape_tuple(population)[0],), [0, 2**62], "int64")
        return population[argsort(keys, kind="stable")]

    def choice(self, a: Any, size: Any = None, replace: bool = True, p: Any = None) -> Any:
        """Samples of ``a`` (``arange(a)`` for an integer), with or without replacement, weighted by ``p``."""
        population = as_tensor(a)
        if population.ndim == 0:
            population = arange(population, dtype="int64")
        count = shape_tuple(population)[0]
        out_shape: tuple[Any, ...] = () if size is None else ((size,) if isinstance(size, int) else tuple(size))
        if replace:
            if p is None:
                index = self._draw("integers", out_shape, [0, count], "int64")
            else:
                index = self._draw("categorical", out_shape, [p], "int64")
            return population[index]
        if not all(isinstance(s, int) for s in out_shape):
            raise ValueError("choice without replacement needs a static size")
        k = math.prod(out_shape)
        if isinstance(count, int) and k > count:
            raise ValueError("choice: cannot take a larger sample than population when replace is False")
        weights = as_tensor(np.ones(1)) if p is None else as_tensor(p)
        clocks = tm.true_divide(self._draw("exponential", (count,), [1.0], "float64"), cast(weights, "float64"))
        chosen = argsort(clocks, kind="stable")[:k]
        return population[chosen].reshape(out_shape) if out_shape else population[chosen[0]]
