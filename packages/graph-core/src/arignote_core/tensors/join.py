"""Joining and splitting: ``Join`` (NumPy's ``concatenate``) and the functions built on it and on slicing:
stack, hstack, vstack, dstack, column_stack, join, split, unstack."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dtypes import as_dtype, result_dtype
from ..graph import Apply, Op, Variable
from . import math as tm
from .basic import MakeVector, as_tensor, cast, reshape
from .checks import check
from .reduce import normalize_axes
from .shape_inference import shape_tuple
from .shaping import atleast_1d, atleast_2d, atleast_3d, expand_dims
from .type import TensorType, format_shape
from .variable import TensorVariable


@dataclass(frozen=True)
class Join(Op):
    """Arrays of equal ndim joined along ``axis``; the other axes must agree. The dtype is their promotion."""

    axis: int

    def make_node(self, *tensors: Any) -> Apply:
        inputs = [as_tensor(t) for t in tensors]
        if not inputs:
            raise ValueError("concatenate: need at least one array to concatenate")
        ndim = inputs[0].ndim
        if ndim == 0:
            raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
        if any(t.ndim != ndim for t in inputs):
            raise ValueError("concatenate: all the input arrays must have the same number of dimensions, got "
                             + ", ".join(format_shape(t.type.shape) for t in inputs))
        if not 0 <= self.axis < ndim:
            raise ValueError(f"concatenate: axis {self.axis} is out of bounds for arrays of dimension {ndim}")
        shape: list[int | None] = []
        for axis in range(ndim):
            sizes = [t.type.shape[axis] for t in inputs]
            if axis == self.axis:
                shape.append(None if None in sizes else sum(s for s in sizes if s is not None))
                continue
            known = {s for s in sizes if s is not None}
            if len(known) > 1:
                raise ValueError(f"concatenate: the sizes of axis {axis} differ: "
                                 + ", ".join(format_shape(t.type.shape) for t in inputs))
            shape.append(known.pop() if known else None)
        dtype = result_dtype(*(t.dtype for t in inputs))
        return Apply(self, inputs, [TensorType(dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        dtype = node.outputs[0].type.dtype
        return [np.concatenate(inputs, axis=self.axis).astype(dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        shape = []
        for axis in range(len(input_shapes[0])):
            sizes = [s[axis] for s in input_shapes]
            if axis == self.axis:
                total = sizes[0]
                for s in sizes[1:]:
                    total = total + s
                shape.append(total)
            else:
                static = [s for s in sizes if isinstance(s, int)]
                shape.append(static[0] if static else sizes[0])
        return [tuple(shape)]

    def __str__(self) -> str:
        return f"Join{{axis={self.axis}}}"


def concatenate(arrays: Sequence[Any], axis: int | None = 0, dtype: Any = None) -> TensorVariable:
    """NumPy's ``concatenate``: join arrays along an existing axis (``axis=None`` flattens them first)."""
    tensors = [as_tensor(a) for a in arrays]
    if axis is None:
        tensors = [reshape(t, (-1,)) for t in tensors]
        axis = 0
    if dtype is not None:
        tensors = [cast(t, as_dtype(dtype)) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: need at least one array to concatenate")
    (ax,) = normalize_axes(axis, max(tensors[0].ndim, 1), "concatenate")
    if len(tensors) == 1 and tensors[0].ndim > 0:
        return tensors[0]
    return Join(ax)(*tensors)


def join(axis: int, *tensors: Any) -> TensorVariable:
    """Theano's ``join(axis, *tensors)``: ``concatenate(tensors, axis)``."""
    return concatenate(tensors, axis=axis)


def stack(arrays: Sequence[Any], axis: int = 0, dtype: Any = None) -> TensorVariable:
    """NumPy's ``stack``: join arrays of equal shape along a new axis."""
    tensors = [as_tensor(a) for a in arrays]
    if not tensors:
        raise ValueError("stack: need at least one array to stack")
    ndim = tensors[0].ndim
    if any(t.ndim != ndim for t in tensors):
        raise ValueError("stack: all input arrays must have the same shape, got "
                         + ", ".join(format_shape(t.type.shape) for t in tensors))
    (ax,) = normalize_axes(axis, ndim + 1, "stack")
    if ndim == 0 and dtype is None:
        return MakeVector(result_dtype(*(t.dtype for t in tensors)))(*tensors)
    return concatenate([expand_dims(t, ax) for t in tensors], axis=ax, dtype=dtype)


def hstack(tup: Sequence[Any], dtype: Any = None) -> TensorVariable:
    """NumPy's ``hstack``: along axis 1, or axis 0 for 1-d arrays."""
    arrays = [atleast_1d(a) for a in tup]
    return concatenate(arrays, axis=0 if arrays and arrays[0].ndim == 1 else 1, dtype=dtype)


def vstack(tup: Sequence[Any], dtype: Any = None) -> TensorVariable:
    """NumPy's ``vstack``: along axis 0 after making arrays at least 2-d."""
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype)


def dstack(tup: Sequence[Any]) -> TensorVariable:
    """NumPy's ``dstack``: along axis 2 after making arrays at least 3-d."""
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def column_stack(tup: Sequence[Any]) -> TensorVariable:
    """NumPy's ``column_stack``: 1-d arrays become columns, then join along axis 1."""
    arrays = [as_tensor(a) for a in tup]
    arrays = [expand_dims(a, 1) if a.ndim < 2 and a.ndim > 0 else atleast_2d(a) for a in arrays]
    return concatenate(arrays, axis=1)


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Variable]:
    """NumPy's ``split``: ``N`` equal parts (an error if the axis does not divide), or pieces between the
    given indices."""
    x = as_tensor(ary)
    (ax,) = normalize_axes(axis, x.ndim, "split")
    size = shape_tuple(x)[ax]

    def piece(start: Any, stop: Any) -> TensorVariable:
        return x[(slice(None),) * ax + (slice(start, stop),)]

    if isinstance(indices_or_sections, int | np.integer):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("split: number sections must be larger than 0")
        message = f"split: array split along axis {ax} does not result in an equal division into {sections}"
        if isinstance(size, int):
            divides: Any = size % sections == 0
            if not divides:
                raise ValueError(message + f" (axis size {size})")
            step: Any = size // sections
            return [piece(i * step, (i + 1) * step) for i in range(sections)]
        x = check(x, message, tm.equal(tm.remainder(size, sections), 0))
        step = tm.floor_divide(size, sections)
        return [piece(step * i, step * (i + 1)) for i in range(sections)]
    bounds = [None, *(int(i) for i in indices_or_sections), None]
    return [piece(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def unstack(x: Any, axis: int = 0) -> list[Variable]:
    """NumPy's ``unstack``: the slices along ``axis``; that axis needs a static size (the number of outputs)."""
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError("unstack: input must be at least 1-d")
    (ax,) = normalize_axes(axis, x.ndim, "unstack")
    size = x.type.shape[ax]
    if size is None:
        raise ValueError(f"unstack: axis {ax} of {x} ({x.type}) has no static size; state it with "
                         "specify_shape so the number of outputs is known")
    return [x[(slice(None),) * ax + (i,)] for i in range(size)]

__all__ = ["Join", "column_stack", "concatenate", "dstack", "hstack", "join", "split", "stack", "unstack",
           "vstack"]
