"""Discrete Fourier transforms (graph-core's ``FFT``), in JAX's convention for complex gradients.

The transforms are linear, so a tangent goes through the same transform. A cotangent goes through the
transpose (not the conjugate transpose: JAX's convention, in which a real cost ``C`` of ``z = x + iy`` has the
gradient ``dC/dx - i dC/dy``): ``fft`` and ``ifft`` are symmetric matrices, so each is its own transpose, with
the same ``norm``; an input cropped or zero-padded to ``n`` points gets the cotangent zero-padded or cropped back.
``rfft`` keeps the first ``n // 2 + 1`` rows of ``fft``: its transpose is the real part of ``fft`` of the
cotangent zero-padded to ``n``. ``irfft`` counts each frequency other than 0 and Nyquist twice (their conjugate
twins), so its transpose is ``rfft`` of the cotangent conjugated and weighted by 2 (1 at 0 and, for even ``n``,
at Nyquist), with the opposite ``norm`` (``irfft``'s ``backward`` scales by ``1 / n``, as ``rfft``'s ``forward``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_core import Apply, TensorVariable, Variable, as_tensor, constant
from arignote_core.fft import FFT
from arignote_core.tensors import math as tm
from arignote_core.tensors.basic import arange
from arignote_core.tensors.creation import zeros
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.join import concatenate
from arignote_core.tensors.shape_inference import shape_tuple

from ..registry import register_linear, register_pullback

_OPPOSITE_NORM = {"backward": "forward", "ortho": "ortho", "forward": "backward"}


def resize(g: Any, axis: int, length: Any) -> TensorVariable:
    """``g`` cropped or zero-padded to ``length`` along ``axis`` (``length`` an int or a symbolic scalar)."""
    g = as_tensor(g)
    have = shape_tuple(g)[axis]
    before = (slice(None),) * axis
    if isinstance(have, int) and isinstance(length, int):
        if have == length:
            return g
        if have > length:
            return g[before + (slice(0, length),)]
    missing = length - have if isinstance(have, int) and isinstance(length, int) else \
        tm.maximum(tm.subtract(length, have), 0)
    padding = list(shape_tuple(g))
    padding[axis] = missing
    padded = concatenate([g, zeros(padding, g.type.dtype)], axis=axis)
    return padded if isinstance(missing, int) else padded[before + (slice(0, length),)]


def _along(values: Variable, ndim: int, axis: int) -> Variable:
    """The vector ``values`` laid along ``axis`` of ``ndim`` axes (broadcast over the others)."""
    return dimshuffle(values, ["x"] * axis + [0] + ["x"] * (ndim - axis - 1))


def _hermitian_weights(points: Any, dtype: str) -> Variable:
    """The weights of ``irfft``'s ``points // 2 + 1`` frequencies: 1 at 0 and (even ``points``) at Nyquist,
    2 elsewhere."""
    if isinstance(points, int):
        w = np.full(points // 2 + 1, 2.0, dtype)
        w[0] = 1.0
        if points % 2 == 0:
            w[-1] = 1.0
        return constant(w)
    k = arange(tm.add(tm.floor_divide(points, 2), 1))
    nyquist = tm.logical_and(tm.equal(k, tm.floor_divide(points, 2)), tm.equal(tm.remainder(points, 2), 0))
    ones = tm.logical_or(tm.equal(k, 0), nyquist)
    return tm.where(ones, constant(np.asarray(1.0, dtype)), constant(np.asarray(2.0, dtype)))


@register_pullback(FFT)
def fft_pullback(op: FFT, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,) = output_grads
    if g is None:
        return [None]
    x, out = node.inputs[0], node.outputs[0]
    length = shape_tuple(x)[op.axis]
    if op.kind in ("fft", "ifft"):
        back = FFT(op.kind, op.axis, None, op.norm)(g)
    elif op.kind == "rfft":
        points = op.n if op.n is not None else length
        back = tm.real(FFT("fft", op.axis, None, op.norm)(resize(g, op.axis, points)))
    else:
        points = op.n if op.n is not None else shape_tuple(out)[op.axis]
        spectrum = tm.conjugate(FFT("rfft", op.axis, None, _OPPOSITE_NORM[op.norm])(g))
        weights = _hermitian_weights(points, out.type.dtype)
        back = tm.multiply(spectrum, _along(weights, out.type.ndim, op.axis))
    return [resize(back, op.axis, length)]


register_linear(FFT)
