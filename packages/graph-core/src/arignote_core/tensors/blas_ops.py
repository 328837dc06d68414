"""GEMM and GEMV as ops: what the BLAS computes, with transposes as flags and scalings alpha and beta.

Code generators map them onto ``?gemm``/``?gemv``; ``perform`` is the NumPy reference. ``c`` (``y``) may be
smaller than the product and broadcast to it (a bias row); with ``beta == 0`` it is not read, as in the BLAS.
Users do not build them: graph-opt's rewrites do, and backends lower them, so they live below both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Apply, Op
from . import math
from .basic import as_tensor
from .elemwise import broadcast_static_shapes
from .type import TensorType

#: The dtypes the BLAS computes in.
BLAS_DTYPES = ("float32", "float64")


def _check(op: Op, dtype: str, named: dict[str, Any], ndims: dict[str, int]) -> None:
    if dtype not in BLAS_DTYPES:
        raise TypeError(f"{op} computes in {' or '.join(BLAS_DTYPES)}, got {dtype}")
    for name, var in named.items():
        if var.dtype != dtype:
            raise TypeError(f"{op}: {name} must be {dtype} like the others, got {var} of type {var.type}")
        if name in ndims and var.ndim != ndims[name]:
            raise TypeError(f"{op}: {name} must be {ndims[name]}-d, got {var} of type {var.type}")


def _with_bias(sizes: tuple[Any, ...], bias: Any, bias_shape: Sequence[Any]) -> tuple[Any, ...]:
    """The product's sizes broadcast with the added term's (which may be smaller, or larger where the product
    has size 1 at run time)."""
    padded_type = (1,) * (len(sizes) - bias.ndim) + bias.type.shape
    padded = (1,) * (len(sizes) - bias.ndim) + tuple(bias_shape)
    result = []
    for size, static, other in zip(sizes, padded_type, padded, strict=True):
        result.append(size if static == 1 else math.where(math.equal(size, 1), other, size))
    return tuple(result)


def _matrix(x: np.ndarray, transposed: bool) -> np.ndarray:
    return x.T if transposed else x


@dataclass(frozen=True)
class Gemm(Op):
    """``beta * c + alpha * op(a) @ op(b)``, ``op`` transposing when ``trans_a``/``trans_b``."""

    trans_a: bool = False
    trans_b: bool = False

    def make_node(self, c: Any, alpha: Any, a: Any, b: Any, beta: Any) -> Apply:
        c, alpha, a, b, beta = (as_tensor(v) for v in (c, alpha, a, b, beta))
        _check(self, a.dtype, {"c": c, "alpha": alpha, "a": a, "b": b, "beta": beta},
               {"alpha": 0, "a": 2, "b": 2, "beta": 0})
        if c.ndim > 2:
            raise TypeError(f"{self}: c must have at most 2 dimensions, got {c} of type {c.type}")
        rows, inner_a = a.type.shape[::-1] if self.trans_a else a.type.shape
        inner_b, cols = b.type.shape[::-1] if self.trans_b else b.type.shape
        if inner_a is not None and inner_b is not None and inner_a != inner_b:
            raise ValueError(f"{self}: inner sizes differ: {inner_a} and {inner_b}")
        c_shape = (1,) * (2 - c.ndim) + c.type.shape
        shape = broadcast_static_shapes([(rows, cols), c_shape], str(self))
        return Apply(self, [c, alpha, a, b, beta], [TensorType(a.dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        c, alpha, a, b, beta = inputs
        product = alpha * (_matrix(a, self.trans_a) @ _matrix(b, self.trans_b))
        out = product if beta == 0 else product + beta * c
        return [np.asarray(out, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        c_shape, _, a_shape, b_shape, _ = input_shapes
        rows = a_shape[1] if self.trans_a else a_shape[0]
        cols = b_shape[0] if self.trans_b else b_shape[1]
        return [_with_bias((rows, cols), node.inputs[0], c_shape)]

    def __str__(self) -> str:
        flags = "".join(f",{name}" for name, on in (("Ta", self.trans_a), ("Tb", self.trans_b)) if on)
        return f"Gemm{{{flags[1:]}}}" if flags else "Gemm"


@dataclass(frozen=True)
class Gemv(Op):
    """``beta * y + alpha * op(a) @ x``, ``op`` transposing when ``trans_a``."""

    trans_a: bool = False

    def make_node(self, y: Any, alpha: Any, a: Any, x: Any, beta: Any) -> Apply:
        y, alpha, a, x, beta = (as_tensor(v) for v in (y, alpha, a, x, beta))
        _check(self, a.dtype, {"y": y, "alpha": alpha, "a": a, "x": x, "beta": beta},
               {"alpha": 0, "a": 2, "x": 1, "beta": 0})
        if y.ndim > 1:
            raise TypeError(f"{self}: y must have at most 1 dimension, got {y} of type {y.type}")
        rows, inner = a.type.shape[::-1] if self.trans_a else a.type.shape
        if inner is not None and x.type.shape[0] is not None and inner != x.type.shape[0]:
            raise ValueError(f"{self}: inner sizes differ: {inner} and {x.type.shape[0]}")
        shape = broadcast_static_shapes([(rows,), (1,) * (1 - y.ndim) + y.type.shape], str(self))
        return Apply(self, [y, alpha, a, x, beta], [TensorType(a.dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        y, alpha, a, x, beta = inputs
        product = alpha * (_matrix(a, self.trans_a) @ x)
        out = product if beta == 0 else product + beta * y
        return [np.asarray(out, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        y_shape, _, a_shape, _, _ = input_shapes
        return [_with_bias((a_shape[1] if self.trans_a else a_shape[0],), node.inputs[0], y_shape)]

    def __str__(self) -> str:
        return "Gemv{Ta}" if self.trans_a else "Gemv"
