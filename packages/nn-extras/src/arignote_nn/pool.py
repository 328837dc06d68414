"""2-d pooling over the last two axes as ops: ``Pool2d`` (max, sum, averages), and its gradients
``MaxPool2dGrad`` / ``MaxPool2dGradGrad`` (adjoints of each other) and ``AveragePool2dGrad`` (whose adjoint is
``Pool2d`` itself), each with a reference ``perform``, shape inference and derivative rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_core import Apply, Constant, Op, TensorType, Variable, as_tensor, cast, where
from arignote_core.dtypes import is_integer

from .pool_kernels import (
    POOL_MODES,
    average_pool2d_grad,
    geometry,
    max_pool2d_grad,
    max_pool2d_grad_grad,
    pool2d_forward,
)
from .windows import Pair, as_pair, pool_output_size


def _float_input(value: Any, what: str) -> Variable:
    x = as_tensor(value)
    if np.dtype(x.dtype).kind != "f" or x.ndim < 2:
        raise TypeError(f"{what} takes a floating-point tensor of at least 2 dimensions (it pools the last two), "
                        f"got {x} of type {x.type}")
    return x


@dataclass(frozen=True)
class PoolParams:
    """Window size, stride, symmetric padding and border handling of a 2-d pooling."""

    ws: Pair
    stride: Pair
    pad: Pair = (0, 0)
    ignore_border: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "ws", as_pair(self.ws, "the pooling window"))
        object.__setattr__(self, "stride", as_pair(self.stride, "the pooling stride"))
        object.__setattr__(self, "pad", as_pair(self.pad, "the pooling padding", 0))
        if any(p >= w for p, w in zip(self.pad, self.ws, strict=True)):
            raise ValueError(f"pooling padding {self.pad} must be smaller than the window {self.ws}")

    def pool_params(self) -> dict[str, Any]:
        return {"ws": self.ws, "stride": self.stride, "pad": self.pad, "ignore_border": self.ignore_border}

    def geometry(self, in_shape: Sequence[int]) -> Any:
        return geometry(in_shape, self.ws, self.stride, self.pad, self.ignore_border)

    def static_out(self, in_shape: Sequence[int | None]) -> tuple[int | None, ...]:
        sizes = []
        for a, size in enumerate(in_shape[-2:]):
            out = None if size is None else pool_output_size(size, self.ws[a], self.stride[a], self.pad[a],
                                                             self.ignore_border)
            if out is not None and out < 1:
                raise ValueError(f"pooling: window {self.ws} does not fit spatial size {tuple(in_shape[-2:])} "
                                 f"with padding {self.pad}")
            sizes.append(out)
        return (*in_shape[:-2], *sizes)

    def symbolic_out(self, in_shape: Sequence[Any]) -> tuple[Any, ...]:
        return (*in_shape[:-2], *(self._symbolic_size(in_shape[len(in_shape) - 2 + a], a) for a in (0, 1)))

    def _symbolic_size(self, size: Any, a: int) -> Any:
        window, stride, pad = self.ws[a], self.stride[a], self.pad[a]
        if self.ignore_border or isinstance(size, int | np.integer):
            return pool_output_size(size, window, stride, pad, self.ignore_border)
        out = -(-(size + 2 * pad - window) // stride) + 1
        out = out - cast((out - 1) * stride >= size + pad, "int64")
        return where(size + 2 * pad <= window, 1, out)

    def describe(self) -> str:
        return f"ws={self.ws}, stride={self.stride}, pad={self.pad}, ignore_border={self.ignore_border}"


@dataclass(frozen=True)
class Pool2d(PoolParams, Op):
    """Max, sum or average pooling of the last two axes (Theano's ``Pool``)."""

    mode: str = "max"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode not in POOL_MODES:
            raise ValueError(f"pooling mode must be one of {', '.join(POOL_MODES)}, got {self.mode!r}")

    def make_node(self, x: Any) -> Apply:
        x = _float_input(x, f"{self.mode} pooling")
        return Apply(self, [x], [TensorType(x.dtype, self.static_out(x.type.shape))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        (x,) = inputs
        return [pool2d_forward(x, self.mode, self.geometry(x.shape))]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [self.symbolic_out(input_shapes[0])]

    def __str__(self) -> str:
        return f"Pool2d{{{self.mode}, {self.describe()}}}"


@dataclass(frozen=True)
class MaxPool2dGrad(PoolParams, Op):
    """``(x, gy) -> gx``: each window's output gradient added at the window's first maximum in ``x``."""

    def make_node(self, x: Any, gy: Any) -> Apply:
        x = _float_input(x, "max_pool2d_grad")
        gy = cast(_float_input(gy, "max_pool2d_grad"), x.dtype)
        _check_rank(x, gy, "max_pool2d_grad")
        return Apply(self, [x, gy], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, gy = inputs
        return [max_pool2d_grad(x, gy, self.geometry(x.shape))]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]

    def __str__(self) -> str:
        return f"MaxPool2dGrad{{{self.describe()}}}"


@dataclass(frozen=True)
class MaxPool2dGradGrad(PoolParams, Op):
    """``(x, ggx) -> ggy``: ``ggx`` read at each window's first maximum in ``x`` (shape of the pooled output)."""

    def make_node(self, x: Any, ggx: Any) -> Apply:
        x = _float_input(x, "max_pool2d_grad_grad")
        ggx = cast(_float_input(ggx, "max_pool2d_grad_grad"), x.dtype)
        _check_rank(x, ggx, "max_pool2d_grad_grad")
        return Apply(self, [x, ggx], [TensorType(x.dtype, self.static_out(x.type.shape))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, ggx = inputs
        return [max_pool2d_grad_grad(x, ggx, self.geometry(x.shape))]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [self.symbolic_out(input_shapes[0])]

    def __str__(self) -> str:
        return f"MaxPool2dGradGrad{{{self.describe()}}}"


@dataclass(frozen=True)
class AveragePool2dGrad(PoolParams, Op):
    """``(gy, input_shape) -> gx`` for sum and average pooling: each output gradient spread over its window."""

    mode: str = "average_inc_pad"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode not in POOL_MODES[1:]:
            raise ValueError(f"AveragePool2dGrad mode must be one of {', '.join(POOL_MODES[1:])}, got {self.mode!r}")

    def make_node(self, gy: Any, input_shape: Any) -> Apply:
        gy = _float_input(gy, "average_pool2d_grad")
        vec = as_tensor(input_shape)
        if vec.ndim != 1 or vec.type.shape[0] not in (gy.ndim, None) or not is_integer(vec.dtype):
            raise TypeError(f"average_pool2d_grad: input_shape must be an integer vector of {gy.ndim} entries, got "
                            f"{vec} of type {vec.type}")
        vec = cast(vec, "int64")
        static = tuple(int(s) for s in vec.data) if isinstance(vec, Constant) else (*gy.type.shape[:-2], None, None)
        return Apply(self, [gy, vec], [TensorType(gy.dtype, static)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        gy, input_shape = inputs
        return [average_pool2d_grad(gy, self.mode, self.geometry(input_shape))]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        vec = as_tensor(node.inputs[1])
        return [tuple(vec[i] for i in range(node.inputs[0].type.ndim))]

    def __str__(self) -> str:
        return f"AveragePool2dGrad{{{self.mode}, {self.describe()}}}"


def _check_rank(x: Variable, other: Variable, what: str) -> None:
    if x.type.ndim != other.type.ndim:
        raise TypeError(f"{what}: {x} and {other} must have the same number of dimensions")


# -----------------------------------------------------------------------------------------------------------
# user functions


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ignore_border: bool = True) -> Any:
    """Max over windows of the last two axes (stride defaults to the window); ``ignore_border=False`` keeps the
    partial windows at the end (PyTorch's ``ceil_mode=True``). Padding counts as minus infinity."""
    return Pool2d(kernel_size, kernel_size if stride is None else stride, padding, ignore_border, "max")(x)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ignore_border: bool = True,
               count_include_pad: bool = True) -> Any:
    """Average over windows of the last two axes; ``count_include_pad`` counts zero padding in the divisor."""
    mode = "average_inc_pad" if count_include_pad else "average_exc_pad"
    return Pool2d(kernel_size, kernel_size if stride is None else stride, padding, ignore_border, mode)(x)
