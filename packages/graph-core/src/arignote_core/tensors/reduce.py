"""Reductions: ``Reduce`` (a binary scalar op folded over axes) and ``ArgReduce`` (argmax/argmin)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Apply, Op
from ..scalars import UfuncOp
from .basic import as_tensor
from .type import TensorType


def normalize_axes(axis: Any, ndim: int, what: str) -> tuple[int, ...]:
    """Axes as sorted non-negative ints; ``None`` means all. A bad axis is refused naming ``what``."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    result = []
    for a in axes:
        if not isinstance(a, int | np.integer) or not -ndim <= a < ndim:
            raise ValueError(f"{what}: axis {a} is out of bounds for a tensor of {ndim} dimensions")
        result.append(int(a) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{what}: repeated axis in {axis}")
    return tuple(sorted(result))


@dataclass(frozen=True)
class Reduce(Op):
    """Fold ``scalar_op`` (add, multiply, maximum, ...) over ``axes``, accumulating and giving ``dtype``."""

    scalar_op: UfuncOp
    axes: tuple[int, ...]
    dtype: str

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        if any(a >= x.ndim for a in self.axes):
            raise ValueError(f"{self}: axes {self.axes} out of bounds for {x} of type {x.type}")
        shape = tuple(s for i, s in enumerate(x.type.shape) if i not in self.axes)
        return Apply(self, [x], [TensorType(self.dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x = inputs[0]
        ufunc = self.scalar_op.ufunc
        if ufunc in (np.add, np.multiply):
            out = ufunc.reduce(x, axis=self.axes, dtype=self.dtype)
        else:
            out = ufunc.reduce(x, axis=self.axes)
        return [np.asarray(out).astype(self.dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple(s for i, s in enumerate(input_shapes[0]) if i not in self.axes)]

    def __str__(self) -> str:
        label = _REDUCTION_NAMES.get(self.scalar_op.name, f"reduce_{self.scalar_op.name}")
        return f"{label}{{axes={list(self.axes)}}}"


_REDUCTION_NAMES = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min", "logical_and": "all",
                    "logical_or": "any"}


@dataclass(frozen=True)
class ArgReduce(Op):
    """``argmax``/``argmin`` along one axis (or the flattened array when ``axis`` is None)."""

    function: str
    axis: int | None

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        if self.axis is None:
            shape: tuple[int | None, ...] = ()
        else:
            normalize_axes(self.axis, x.ndim, self.function)
            shape = tuple(s for i, s in enumerate(x.type.shape) if i != self.axis)
        return Apply(self, [x], [TensorType("int64", shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [np.asarray(getattr(np, self.function)(inputs[0], axis=self.axis), dtype="int64")]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if self.axis is None:
            return [()]
        return [tuple(s for i, s in enumerate(input_shapes[0]) if i != self.axis)]

    def __str__(self) -> str:
        return f"{self.function}{{axis={self.axis}}}"
