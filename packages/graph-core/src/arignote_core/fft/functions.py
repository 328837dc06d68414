"""``numpy.fft``'s functions on symbolic tensors, under NumPy's names and signatures.

The one-axis transforms are single ``FFT`` nodes; the two- and n-dimensional ones chain them over their axes
in the order NumPy does (``rfftn`` transforms the last axis first, ``irfftn`` last). The frequency helpers
give constants (times ``1 / d`` when ``d`` is symbolic), and the shifts are ``roll``s by half the lengths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensors import math as tm
from ..tensors.basic import as_tensor, constant
from ..tensors.reduce import normalize_axes
from ..tensors.shape_inference import shape_tuple
from ..tensors.shaping import roll
from ..tensors.variable import TensorVariable
from .ops import FFT, check_norm


def _axis(x: TensorVariable, axis: int, what: str) -> int:
    if x.ndim == 0:
        raise ValueError(f"{what}: the input {x} must have at least one axis, got a 0-d array")
    (ax,) = normalize_axes(axis, x.ndim, what)
    return ax


def _one(kind: str, a: Any, n: int | None, axis: int, norm: str | None) -> TensorVariable:
    x = as_tensor(a)
    if n is not None and (isinstance(n, bool) or not isinstance(n, int | np.integer)):
        raise TypeError(f"{kind}: n must be an int or None, got {type(n).__name__} {n!r}")
    return FFT(kind, _axis(x, axis, kind), None if n is None else int(n), check_norm(norm))(x)


def fft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> TensorVariable:
    """``numpy.fft.fft``: the one-dimensional discrete Fourier transform of ``n`` points along ``axis``."""
    return _one("fft", a, n, axis, norm)


def ifft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> TensorVariable:
    """``numpy.fft.ifft``: the inverse of :func:`fft`."""
    return _one("ifft", a, n, axis, norm)


def rfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> TensorVariable:
    """``numpy.fft.rfft``: the transform of real input, its ``n // 2 + 1`` non-negative frequencies."""
    return _one("rfft", a, n, axis, norm)


def irfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None) -> TensorVariable:
    """``numpy.fft.irfft``: the inverse of :func:`rfft`, ``n`` real points (``2 * (m - 1)`` by default)."""
    return _one("irfft", a, n, axis, norm)


def _cook(x: TensorVariable, s: Sequence[int] | None, axes: Sequence[int] | None,
          what: str) -> tuple[list[int | None], list[int]]:
    """NumPy's ``_cook_nd_args``: the points per axis (None: the default length) and the axes, normalized.
    ``s`` without ``axes`` means the last ``len(s)`` axes."""
    if axes is None:
        axes = list(range(-len(s), 0)) if s is not None else list(range(x.ndim))
    axes = [_axis(x, ax, what) for ax in axes]
    points: list[int | None] = [None] * len(axes) if s is None else [
        None if p is None or p == -1 else p for p in s]
    if len(points) != len(axes):
        raise ValueError(f"{what}: Shape and axes have different lengths (s={s}, axes={axes})")
    return points, axes


def _chain(kind: str, x: TensorVariable, points: Sequence[int | None], axes: Sequence[int],
           order: Sequence[int], norm: str | None) -> TensorVariable:
    for k in order:
        x = _one(kind, x, points[k], axes[k], norm)
    return x


def fftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
         norm: str | None = None) -> TensorVariable:
    """``numpy.fft.fftn``: the transform over ``axes`` (every axis by default), ``s`` points along each."""
    x = as_tensor(a)
    points, axes = _cook(x, s, axes, "fftn")
    return _chain("fft", x, points, axes, range(len(axes) - 1, -1, -1), norm)


def ifftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None) -> TensorVariable:
    """``numpy.fft.ifftn``: the inverse of :func:`fftn`."""
    x = as_tensor(a)
    points, axes = _cook(x, s, axes, "ifftn")
    return _chain("ifft", x, points, axes, range(len(axes) - 1, -1, -1), norm)


def rfftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None) -> TensorVariable:
    """``numpy.fft.rfftn``: :func:`rfft` along the last of ``axes``, then :func:`fft` along the others."""
    x = as_tensor(a)
    points, axes = _cook(x, s, axes, "rfftn")
    if not axes:
        raise ValueError("rfftn: at least one axis must be transformed, got axes=()")
    x = _one("rfft", x, points[-1], axes[-1], norm)
    return _chain("fft", x, points, axes, range(len(axes) - 2, -1, -1), norm)


def irfftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
           norm: str | None = None) -> TensorVariable:
    """``numpy.fft.irfftn``: the inverse of :func:`rfftn` (:func:`ifft` along all but the last of ``axes``,
    then :func:`irfft` along it)."""
    x = as_tensor(a)
    points, axes = _cook(x, s, axes, "irfftn")
    if not axes:
        raise ValueError("irfftn: at least one axis must be transformed, got axes=()")
    x = _chain("ifft", x, points, axes, range(len(axes) - 1), norm)
    return _one("irfft", x, points[-1], axes[-1], norm)


def fft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
         norm: str | None = None) -> TensorVariable:
    """``numpy.fft.fft2``: :func:`fftn` over the last two axes."""
    return fftn(a, s, axes, norm)


def ifft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None) -> TensorVariable:
    """``numpy.fft.ifft2``: :func:`ifftn` over the last two axes."""
    return ifftn(a, s, axes, norm)


def rfft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None) -> TensorVariable:
    """``numpy.fft.rfft2``: :func:`rfftn` over the last two axes."""
    return rfftn(a, s, axes, norm)


def irfft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
           norm: str | None = None) -> TensorVariable:
    """``numpy.fft.irfft2``: :func:`irfftn` over the last two axes."""
    return irfftn(a, s, axes, norm)


def _frequencies(table: np.ndarray, n: int, d: Any) -> TensorVariable:
    """The integer frequencies ``table`` times ``1 / (n * d)``, as NumPy computes them."""
    if isinstance(d, int | float | np.number):
        return constant(table * (1.0 / (n * d)))
    return tm.multiply(constant(table), tm.true_divide(1.0, tm.multiply(n, as_tensor(d))))


def _count(n: Any, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise TypeError(f"{what}: n must be an int (the window length), got {type(n).__name__} {n!r}")
    return int(n)


def fftfreq(n: int, d: Any = 1.0) -> TensorVariable:
    """``numpy.fft.fftfreq``: the sample frequencies of an ``n``-point :func:`fft` for spacing ``d`` (a number
    or a symbolic scalar)."""
    n = _count(n, "fftfreq")
    if n < 0:
        raise ValueError(f"fftfreq: n must not be negative, got {n}")
    table = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return _frequencies(table, n, d)


def rfftfreq(n: int, d: Any = 1.0) -> TensorVariable:
    """``numpy.fft.rfftfreq``: the sample frequencies of an ``n``-point :func:`rfft`."""
    n = _count(n, "rfftfreq")
    return _frequencies(np.arange(0, n // 2 + 1), n, d)


def _shift(x: Any, axes: int | Sequence[int] | None, sign: int) -> TensorVariable:
    t = as_tensor(x)
    if t.ndim == 0 and axes is None:
        raise ValueError(f"{'fftshift' if sign > 0 else 'ifftshift'}: the input {t} must have at least one axis")
    chosen = list(range(t.ndim)) if axes is None else [axes] if isinstance(axes, int | np.integer) else list(axes)
    sizes = shape_tuple(t)
    shifts = [sizes[ax] // 2 if isinstance(sizes[ax], int) else tm.floor_divide(sizes[ax], 2) for ax in chosen]
    return roll(t, [s if sign > 0 else -s for s in shifts], list(chosen))


def fftshift(x: Any, axes: int | Sequence[int] | None = None) -> TensorVariable:
    """``numpy.fft.fftshift``: the zero frequency moved to the middle of ``axes`` (every axis by default)."""
    return _shift(x, axes, 1)


def ifftshift(x: Any, axes: int | Sequence[int] | None = None) -> TensorVariable:
    """``numpy.fft.ifftshift``: the inverse of :func:`fftshift`."""
    return _shift(x, axes, -1)


__all__ = ["fft", "fft2", "fftfreq", "fftn", "fftshift", "ifft", "ifft2", "ifftn", "ifftshift", "irfft", "irfft2",
           "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn"]
