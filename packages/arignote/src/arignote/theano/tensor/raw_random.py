"""Theano's random draw signatures (``size`` first, ``avg``/``std``, ``ndim``, floatX by default) over
Arignote's :class:`arignote_core.RandomStream`, shared by ``RandomStreams`` and ``MRG_RandomStreams``.

Every draw's generator state has a default update, so a function compiled with ``theano.function`` advances
it on each call, as Theano's did. ``ndim`` (the number of dimensions of a symbolic ``size``) is checked
against ``size`` when both are known.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import arignote as ar
from arignote_core import RandomStream, TensorVariable, as_tensor

from .type import resolve_dtype


def _checked_size(size: Any, ndim: int | None, what: str) -> Any:
    if size is None or ndim is None:
        return size
    length = len(size) if isinstance(size, list | tuple) else as_tensor(size).type.shape[0]
    if length is not None and length != ndim:
        raise ValueError(f"{what}: size {size!r} has {length} entries, ndim says {ndim}")
    return size


class TheanoDraws:
    """The draws Theano's two stream classes share (subclasses name the class and its seed's default)."""

    def __init__(self, seed: int | None = None) -> None:
        self.stream = RandomStream(seed)

    def seed(self, seed: int | None = None) -> None:
        """Restart every draw made so far from ``seed`` (a random one when None)."""
        self.stream.seed(int(np.random.default_rng().integers(2 ** 62)) if seed is None else seed)

    def updates(self) -> list[tuple[Any, Any]]:
        """(state, next state) of every draw (``theano.function`` applies them without being told)."""
        return self.stream.updates()

    def uniform(self, size: Any = None, low: Any = 0.0, high: Any = 1.0, ndim: int | None = None,
                dtype: Any = None, nstreams: Any = None) -> TensorVariable:
        """Uniform on [low, high); ``dtype`` floatX by default."""
        return self.stream.uniform(low, high, size=_checked_size(size, ndim, "uniform"), dtype=resolve_dtype(dtype))

    def normal(self, size: Any = None, avg: Any = 0.0, std: Any = 1.0, ndim: int | None = None, dtype: Any = None,
               nstreams: Any = None, truncate: bool = False) -> TensorVariable:
        """Normal with mean ``avg`` and standard deviation ``std``; ``truncate``: within 2 deviations."""
        size = _checked_size(size, ndim, "normal")
        if truncate:
            return self.truncated_normal(size, avg, std, ndim, dtype)
        return self.stream.normal(avg, std, size=size, dtype=resolve_dtype(dtype))

    def truncated_normal(self, size: Any = None, avg: Any = 0.0, std: Any = 1.0, ndim: int | None = None,
                         dtype: Any = None, nstreams: Any = None) -> TensorVariable:
        """Normal restricted to 2 standard deviations around ``avg``."""
        return self.stream.truncated_normal(avg, std, -2.0, 2.0, size=_checked_size(size, ndim, "truncated_normal"),
                                            dtype=resolve_dtype(dtype))

    def binomial(self, size: Any = None, n: Any = 1, p: Any = 0.5, ndim: int | None = None, dtype: Any = "int64",
                 nstreams: Any = None, prob: Any = None) -> TensorVariable:
        """Successes in ``n`` trials of probability ``p`` (``prob`` is its old name)."""
        p = prob if prob is not None else p
        draws = self.stream.binomial(n, p, size=_checked_size(size, ndim, "binomial"), dtype="int64")
        return draws if resolve_dtype(dtype) == "int64" else ar.cast(draws, resolve_dtype(dtype))

    def random_integers(self, size: Any = None, low: Any = 0, high: Any = 1, ndim: int | None = None,
                        dtype: Any = "int64") -> TensorVariable:
        """Uniform integers in [low, high], both ends included."""
        return self.stream.integers(low, high, size=_checked_size(size, ndim, "random_integers"), dtype=dtype,
                                    endpoint=True)

    def poisson(self, size: Any = None, lam: Any = 1.0, ndim: int | None = None,
                dtype: Any = "int64") -> TensorVariable:
        """Poisson with rate ``lam``."""
        return self.stream.poisson(lam, size=_checked_size(size, ndim, "poisson"), dtype=dtype)

    def choice(self, size: Any = None, a: Any = 2, replace: bool = True, p: Any = None, ndim: int | None = None,
               dtype: Any = "int64") -> TensorVariable:
        """Samples of ``a`` (``arange(a)`` for an int), weighted by ``p``."""
        draws = self.stream.choice(a, size=_checked_size(size, ndim, "choice"), replace=replace, p=p)
        return ar.cast(draws, dtype)

    def permutation(self, size: Any = None, n: Any = 1, ndim: int | None = None,
                    dtype: Any = "int64") -> TensorVariable:
        """A random order of ``arange(n)``; with ``size``, one per entry of ``size`` (stacked)."""
        if size is None or tuple(size) == ():
            return ar.cast(self.stream.permutation(n), dtype)
        if not isinstance(size, list | tuple) or len(size) != 1 or not isinstance(size[0], int):
            raise ValueError(f"permutation: size must be None or (count,) with an int count, got {size!r}")
        return ar.cast(ar.stack([self.stream.permutation(n) for _ in range(size[0])]), dtype)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = (0.5, 0.5), ndim: int | None = None,
                    dtype: Any = "int64", nstreams: Any = None) -> TensorVariable:
        """Counts of ``n`` draws among the categories of ``pvals``' last axis (one-hot rows for ``n=1``)."""
        draws = self.stream.multinomial(n, as_tensor(pvals), size=_checked_size(size, ndim, "multinomial"),
                                        dtype="int64")
        return draws if resolve_dtype(dtype) == "int64" else ar.cast(draws, resolve_dtype(dtype))

    def shuffle_row_elements(self, input: Any) -> TensorVariable:  # noqa: A002 (Theano's name)
        """``input`` with the rows (first axis) in a random order."""
        return self.stream.permutation(input)
