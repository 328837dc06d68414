"""``FFT``: one discrete Fourier transform along one axis, computed with ``numpy.fft``.

One op covers NumPy's four one-axis transforms (``fft``, ``ifft``, ``rfft``, ``irfft``); the n-dimensional
functions chain it over their axes in NumPy's order. Dtypes are the installed NumPy's (NumPy 2 keeps single
precision: float32 gives complex64), asked of NumPy once per input dtype.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Apply, Op
from ..tensors import math as tm
from ..tensors.basic import as_tensor
from ..tensors.type import TensorType

KINDS = ("fft", "ifft", "rfft", "irfft")
NORMS = ("backward", "ortho", "forward")


def check_norm(norm: str | None) -> str:
    """``norm`` as one of NORMS (None is "backward"); NumPy's error for anything else."""
    if norm is None:
        return "backward"
    if norm not in NORMS:
        raise ValueError(f'Invalid norm value {norm!r}; should be "backward", "ortho" or "forward".')
    return norm


@functools.cache
def output_dtype(kind: str, dtype: str) -> str:
    """The dtype ``numpy.fft.<kind>`` gives for an input of ``dtype`` (the installed NumPy decides)."""
    return str(getattr(np.fft, kind)(np.ones(2, dtype=dtype)).dtype)


def output_length(kind: str, n: int | None, length: Any) -> Any:
    """The transformed axis' length: ``n`` points (rfft keeps ``n // 2 + 1``), or by default the input's
    length (irfft's default is ``2 * (length - 1)``); ``length`` is an int, None or a symbolic scalar."""
    if n is not None:
        return n // 2 + 1 if kind == "rfft" else n
    if length is None or kind in ("fft", "ifft"):
        return length
    if kind == "rfft":
        return length // 2 + 1 if isinstance(length, int) else tm.add(tm.floor_divide(length, 2), 1)
    return 2 * (length - 1) if isinstance(length, int) else tm.multiply(tm.subtract(length, 1), 2)


@dataclass(frozen=True)
class FFT(Op):
    """``numpy.fft.<kind>(x, n, axis, norm)``: ``kind`` is fft, ifft, rfft (real input) or irfft (real
    output); ``n`` (None: the input's length, irfft's ``2 * (m - 1)``) crops or zero-pads the input first."""

    kind: str
    axis: int
    n: int | None = None
    norm: str = "backward"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"FFT: kind must be one of {KINDS}, got {self.kind!r}")
        check_norm(self.norm)
        if self.n is not None and self.n < 1:
            raise ValueError(f"{self.kind}: Invalid number of FFT data points ({self.n}) specified.")

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        if not 0 <= self.axis < x.ndim:
            raise np.exceptions.AxisError(self.axis, x.ndim, f"{self.kind}: input {x}")
        if self.kind == "rfft" and x.dtype.startswith("complex"):
            raise TypeError(f"rfft: the input {x} must be real, got dtype {x.dtype}")
        if x.dtype not in ("bool",) and x.dtype[0] not in "iufc":
            raise TypeError(f"{self.kind}: the input {x} must be numeric, got dtype {x.dtype}")
        length = x.type.shape[self.axis]
        points = self.n if self.n is not None else (
            2 * (length - 1) if self.kind == "irfft" and length is not None else length)
        if points is not None and points < 1:
            raise ValueError(f"{self.kind}: Invalid number of FFT data points ({points}) specified "
                             f"(axis {self.axis} of {x}, of length {length})")
        shape = list(x.type.shape)
        shape[self.axis] = output_length(self.kind, self.n, length)
        return Apply(self, [x], [TensorType(output_dtype(self.kind, x.dtype), tuple(shape))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        transform = getattr(np.fft, self.kind)
        result = transform(inputs[0], n=self.n, axis=self.axis, norm=self.norm)
        return [np.asarray(result).astype(node.outputs[0].type.dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        shape = list(input_shapes[0])
        shape[self.axis] = output_length(self.kind, self.n, shape[self.axis])
        return [tuple(shape)]

    def __str__(self) -> str:
        n = "" if self.n is None else f", n={self.n}"
        return f"{self.kind}{{axis={self.axis}{n}, norm={self.norm}}}"


__all__ = ["FFT", "KINDS", "NORMS", "check_norm", "output_dtype", "output_length"]
