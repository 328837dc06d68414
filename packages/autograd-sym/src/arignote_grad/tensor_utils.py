"""Small tensor helpers the rules and the engines share: which variables carry gradients, zeros, shapes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_core import Constant, TensorVariable, Variable, as_tensor, cast, constant
from arignote_core import shape as shape_vector
from arignote_core.tensors.broadcast import broadcast_to, sum_to_shape
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.math import real, where
from arignote_core.tensors.math import sum as tensor_sum


def is_differentiable(var: Variable) -> bool:
    """Whether ``var`` can carry a gradient: floating point values, real or complex (complex gradients follow
    JAX's convention: see the package's README)."""
    dtype = getattr(var.type, "dtype", None)
    return dtype is not None and np.dtype(dtype).kind in "fc"


def is_real_float(var: Variable) -> bool:
    """Whether ``var`` holds real floating point values (what a cost to differentiate must be)."""
    dtype = getattr(var.type, "dtype", None)
    return dtype is not None and np.dtype(dtype).kind == "f"


def value_kind(var: Variable) -> str:
    """'integer-valued', 'boolean' or 'complex-valued', for messages about variables without a gradient."""
    kind = np.dtype(var.type.dtype).kind
    return {"b": "boolean", "c": "complex-valued"}.get(kind, "integer-valued")


def shape_of(x: Variable) -> TensorVariable:
    """The shape of ``x`` as an int64 vector: a constant when static, else ``Shape(x)``."""
    return shape_vector(x)


def zeros_like(x: Variable) -> TensorVariable:
    """Zeros of ``x``'s dtype and shape (a broadcast scalar, never a large constant)."""
    return as_tensor(broadcast_to(constant(np.zeros((), dtype=x.type.dtype)), shape_of(x)))


def ones_like(x: Variable) -> TensorVariable:
    """Ones of ``x``'s dtype and shape."""
    one = constant(np.ones((), dtype=x.type.dtype))
    return one if x.type.ndim == 0 else broadcast_to(one, shape_of(x))


def cast_to(g: Any, like: Variable) -> TensorVariable:
    """``g`` with the dtype of ``like``; a complex ``g`` for a real ``like`` keeps its real part (JAX's
    convention: a real input of a complex computation gets the real part of its cotangent). A gradient of
    ``like``'s own non-tensor type (a sparse matrix's) passes as it is."""
    if isinstance(g, Variable) and not isinstance(g, TensorVariable) and g.type == like.type:
        return g  # type: ignore[return-value]
    g = as_tensor(g)
    if g.dtype == like.type.dtype:
        return g
    if g.dtype.startswith("complex") and not like.type.dtype.startswith("complex"):
        g = real(g)
    return g if g.dtype == like.type.dtype else cast(g, like.type.dtype)


def same_shape_for_sure(a: Variable, b: Variable) -> bool:
    """Whether ``a`` and ``b`` have equal shapes known at build time."""
    sa, sb = a.type.shape, b.type.shape
    return sa == sb and None not in sa


def unbroadcast_to(g: Variable, x: Variable) -> Variable:
    """``g`` (of a shape ``x`` broadcasts to) summed back to ``x``'s shape, unless the shapes are surely equal."""
    if same_shape_for_sure(g, x):
        return g
    return sum_to_shape(g, shape_of(x))


def broadcast_like(g: Variable, x: Variable) -> Variable:
    """``g`` broadcast to ``x``'s shape, unless the shapes are surely equal already."""
    if same_shape_for_sure(g, x):
        return g
    return broadcast_to(g, shape_of(x))


def drop_axes(g: Variable, axes: Sequence[int]) -> TensorVariable:
    """``g`` without the given axes, which have size 1 (at run time, if not statically)."""
    unknown = [a for a in axes if g.type.shape[a] != 1]
    if unknown:
        g = tensor_sum(g, axis=unknown, keepdims=True)
    return dimshuffle(g, [d for d in range(g.type.ndim) if d not in axes])


def indicator(condition: Variable, dtype: str) -> TensorVariable:
    """1 where ``condition`` holds, else 0, in ``dtype``: a mask with zero derivative everywhere (a ``where``
    on constants, not a cast of a boolean, whose derivative would be undefined)."""
    one, zero = constant(np.ones((), dtype=dtype)), constant(np.zeros((), dtype=dtype))
    return where(condition, one, zero)


def is_constant_value(var: Any, value: float) -> bool:
    """Whether ``var`` is a Python number or a weak constant equal to ``value`` everywhere."""
    if isinstance(var, bool | int | float) and not isinstance(var, bool):
        return bool(var == value)
    if isinstance(var, Constant) and var.weak:
        return bool(np.all(np.asarray(var.data) == value))
    return False
