"""Changing shapes and axes: expand_dims, squeeze, moveaxis, swapaxes, atleast_nd, flatten, flip, rot90,
broadcast_to, broadcast_arrays, roll, tile, repeat (the ``Repeat`` op), and Theano's
shape_padleft/right/axis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dtypes import is_integer
from ..graph import Apply, Constant, Op, Variable
from . import basic, elemwise
from . import math as tm
from .basic import Alloc, as_tensor, cast
from .checks import specify_shape
from .elemwise import broadcast_static_shapes
from .math import transpose
from .reduce import normalize_axes
from .shape_inference import broadcast_shapes, shape_tuple
from .type import TensorType, format_shape
from .variable import TensorVariable


def _axes(axis: Any) -> tuple[int, ...]:
    return (int(axis),) if isinstance(axis, int | np.integer) else tuple(int(a) for a in axis)


def dimshuffle(x: Any, pattern: Sequence[int | str]) -> TensorVariable:
    """Theano's ``dimshuffle``: axes by number, ``'x'`` for a new length-1 axis; an axis left out must have
    length 1 (checked at run time when its static size is unknown)."""
    x = as_tensor(x)
    pattern = tuple(p if p == "x" else int(p) for p in pattern)
    unknown = [i for i in range(x.ndim) if i not in pattern and x.type.shape[i] is None]
    if unknown:
        x = specify_shape(x, [1 if i in unknown else None for i in range(x.ndim)])
    return elemwise.dimshuffle(x, pattern)


def expand_dims(a: Any, axis: Any) -> TensorVariable:
    """NumPy's ``expand_dims``: length-1 axes inserted at ``axis`` (an int or a tuple) of the result."""
    x = as_tensor(a)
    axes = _axes(axis)
    out_ndim = x.ndim + len(axes)
    new = normalize_axes(axes, out_ndim, "expand_dims")
    dims = iter(range(x.ndim))
    return dimshuffle(x, ["x" if i in new else next(dims) for i in range(out_ndim)])


def squeeze(a: Any, axis: Any = None) -> TensorVariable:
    """NumPy's ``squeeze``. ``axis=None`` drops the axes whose static size is 1 (an axis of unknown size is
    kept: the result's ndim cannot depend on values); a named axis of unknown size is checked at run time."""
    x = as_tensor(a)
    if axis is None:
        drop = tuple(i for i, s in enumerate(x.type.shape) if s == 1)
    else:
        drop = normalize_axes(axis, x.ndim, "squeeze")
        for i in drop:
            if x.type.shape[i] not in (None, 1):
                raise ValueError(f"squeeze: cannot select an axis to squeeze out which has size not equal to one "
                                 f"(axis {i} of {x}, shape {format_shape(x.type.shape)})")
        if any(x.type.shape[i] is None for i in drop):
            x = specify_shape(x, [1 if i in drop else None for i in range(x.ndim)])
    return dimshuffle(x, [i for i in range(x.ndim) if i not in drop])


def moveaxis(a: Any, source: Any, destination: Any) -> TensorVariable:
    """NumPy's ``moveaxis``."""
    x = as_tensor(a)
    src = [normalize_axes(s, x.ndim, "moveaxis")[0] for s in _axes(source)]
    dst = [normalize_axes(d, x.ndim, "moveaxis")[0] for d in _axes(destination)]
    if len(src) != len(dst):
        raise ValueError("moveaxis: `source` and `destination` arguments must have the same number of elements")
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError("moveaxis: repeated axis")
    order = [i for i in range(x.ndim) if i not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return dimshuffle(x, order)


def swapaxes(a: Any, axis1: int, axis2: int) -> TensorVariable:
    """NumPy's ``swapaxes``."""
    x = as_tensor(a)
    (i,) = normalize_axes(axis1, x.ndim, "swapaxes")
    (j,) = normalize_axes(axis2, x.ndim, "swapaxes")
    order = list(range(x.ndim))
    order[i], order[j] = order[j], order[i]
    return dimshuffle(x, order)


def permute_dims(a: Any, axes: Any = None) -> TensorVariable:
    """NumPy's ``permute_dims`` (``transpose``)."""
    return transpose(a, axes)


def matrix_transpose(x: Any) -> TensorVariable:
    """NumPy's ``matrix_transpose``: swap the last two axes."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose: input array must be at least 2-dimensional, got {x.ndim}-d {x}")
    return swapaxes(x, -1, -2)


def _atleast(arrays: Sequence[Any], ndim: int) -> Any:
    out = []
    for a in arrays:
        x = as_tensor(a)
        if x.ndim >= ndim:
            out.append(x)
        elif ndim == 3 and x.ndim == 2:
            out.append(dimshuffle(x, [0, 1, "x"]))
        elif ndim == 3 and x.ndim == 1:
            out.append(dimshuffle(x, ["x", 0, "x"]))
        else:
            out.append(dimshuffle(x, ["x"] * (ndim - x.ndim) + list(range(x.ndim))))
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys: Any) -> Any:
    """NumPy's ``atleast_1d`` (one array, or a list for several)."""
    return _atleast(arys, 1)


def atleast_2d(*arys: Any) -> Any:
    """NumPy's ``atleast_2d``: 1-d arrays become rows."""
    return _atleast(arys, 2)


def atleast_3d(*arys: Any) -> Any:
    """NumPy's ``atleast_3d``: (N,) becomes (1, N, 1) and (M, N) becomes (M, N, 1)."""
    return _atleast(arys, 3)


def reshape(a: Any, /, shape: Any = None, order: str = "C", *, newshape: Any = None, copy: Any = None
            ) -> TensorVariable:
    """NumPy's ``reshape`` (C order; one entry may be -1; ``newshape`` is the old name of ``shape``)."""
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is supported")
    target = shape if shape is not None else newshape
    if target is None:
        raise TypeError("reshape: a shape is required")
    return basic.reshape(a, target)


def ravel(a: Any) -> TensorVariable:
    """NumPy's ``ravel`` (a copy, in C order)."""
    return reshape(a, (-1,))


def flatten(x: Any, ndim: int = 1) -> TensorVariable:
    """Theano's ``flatten(x, ndim)``: keep the first ``ndim - 1`` axes and merge the others."""
    x = as_tensor(x)
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ValueError(f"flatten: ndim={ndim} is out of range for {x} with {x.ndim} dimensions")
    kept = shape_tuple(x)[: ndim - 1]
    return reshape(x, (*kept, -1))


def shape_padleft(x: Any, n_ones: int = 1) -> TensorVariable:
    """Theano's ``shape_padleft``: ``n_ones`` length-1 axes on the left."""
    x = as_tensor(x)
    return dimshuffle(x, ["x"] * n_ones + list(range(x.ndim)))


def shape_padright(x: Any, n_ones: int = 1) -> TensorVariable:
    """Theano's ``shape_padright``: ``n_ones`` length-1 axes on the right."""
    x = as_tensor(x)
    return dimshuffle(x, list(range(x.ndim)) + ["x"] * n_ones)


def shape_padaxis(x: Any, axis: int) -> TensorVariable:
    """Theano's ``shape_padaxis``: a length-1 axis inserted at ``axis``."""
    return expand_dims(x, axis)


def flip(m: Any, axis: Any = None) -> TensorVariable:
    """NumPy's ``flip``: reverse the order of elements along ``axis`` (all axes by default)."""
    x = as_tensor(m)
    axes = normalize_axes(axis, x.ndim, "flip")
    if not axes:
        return x
    return x[tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))]


def fliplr(m: Any) -> TensorVariable:
    """NumPy's ``fliplr``: reverse axis 1."""
    x = as_tensor(m)
    if x.ndim < 2:
        raise ValueError(f"fliplr: input must be >= 2-d, got {x.ndim}-d {x}")
    return flip(x, 1)


def flipud(m: Any) -> TensorVariable:
    """NumPy's ``flipud``: reverse axis 0."""
    x = as_tensor(m)
    if x.ndim < 1:
        raise ValueError(f"flipud: input must be >= 1-d, got a 0-d {x}")
    return flip(x, 0)


def rot90(m: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> TensorVariable:
    """NumPy's ``rot90``: rotate by 90 degrees ``k`` times in the plane of ``axes``."""
    x = as_tensor(m)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("rot90: len(axes) must be 2")
    if x.ndim < 2:
        raise ValueError(f"rot90: the array must be at least 2-d, got {x.ndim}-d {x}")
    a, b = normalize_axes(axes[0], x.ndim, "rot90")[0], normalize_axes(axes[1], x.ndim, "rot90")[0]
    if a == b:
        raise ValueError("rot90: axes must be different")
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, a), b)
    order = list(range(x.ndim))
    order[a], order[b] = order[b], order[a]
    if k == 1:
        return dimshuffle(flip(x, b), order)
    return flip(dimshuffle(x, order), b)


def broadcast_to(array: Any, shape: Any) -> TensorVariable:
    """NumPy's ``broadcast_to`` (a copy): ``array`` broadcast to ``shape``."""
    x = as_tensor(array)
    dims = _shape_entries(shape)
    if x.ndim > len(dims):
        raise ValueError(f"broadcast_to: input operand has more dimensions than allowed by the axis remapping "
                         f"({format_shape(x.type.shape)} to {len(dims)} dimensions)")
    for axis, (have, want) in enumerate(zip(x.type.shape[::-1], dims[::-1], strict=False)):
        if isinstance(want, int) and have not in (None, 1, want):
            raise ValueError(f"broadcast_to: operands could not be broadcast together: axis {-axis - 1} of shape "
                             f"{format_shape(x.type.shape)} cannot become {want}")
    return Alloc()(x, *dims)


def _shape_entries(shape: Any) -> list[Any]:
    if isinstance(shape, int | np.integer):
        return [int(shape)]
    if isinstance(shape, Variable):
        if shape.type.ndim == 0:
            return [shape]
        length = shape.type.shape[0]
        if length is None:
            raise ValueError(f"a shape vector needs a static length, got {shape} of type {shape.type}")
        return [shape[i] for i in range(length)]  # type: ignore[index]
    return [int(s) if isinstance(s, int | np.integer) else s for s in shape]


def broadcast_shape_of(*arrays: Any) -> tuple[Any, ...]:
    """The broadcast shape of ``arrays`` (ints and int64 scalars); static mismatches fail now."""
    tensors = [as_tensor(a) for a in arrays]
    ndim = max((t.ndim for t in tensors), default=0)
    broadcast_static_shapes([(1,) * (ndim - t.ndim) + t.type.shape for t in tensors], "broadcast_arrays")
    return broadcast_shapes([shape_tuple(t) for t in tensors])


def broadcast_arrays(*args: Any) -> list[TensorVariable]:
    """NumPy's ``broadcast_arrays`` (copies): every array broadcast to their common shape."""
    shape = broadcast_shape_of(*args)
    return [broadcast_to(a, shape) for a in args]


def roll(a: Any, shift: Any, axis: Any = None) -> TensorVariable:
    """NumPy's ``roll``: shift elements along ``axis`` (the flattened array when None), wrapping around."""
    from .join import concatenate  # noqa: PLC0415  (join builds on this module)

    x = as_tensor(a)
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), shift, 0), shape_tuple(x))
    axes = _axes(axis)
    shifts = list(shift) if isinstance(shift, list | tuple) else [shift] * len(axes)
    if len(shifts) != len(axes):
        if len(axes) == 1:
            axes = axes * len(shifts)
        else:
            raise ValueError("roll: 'shift' and 'axis' should be scalars or 1D sequences of the same length")
    for s, ax in zip(shifts, axes, strict=True):
        (ax,) = normalize_axes(ax, x.ndim, "roll")
        n = shape_tuple(x)[ax]
        if isinstance(n, int) and isinstance(s, int | np.integer):
            k: Any = int(s) % n if n else 0
            cut: Any = n - k
        else:
            k = tm.where(tm.equal(n, 0), 0, tm.remainder(s, tm.maximum(n, 1)))
            cut = n - k
        before = (slice(None),) * ax
        x = concatenate([x[before + (slice(cut, None),)], x[before + (slice(None, cut),)]], axis=ax)
    return x


def tile(A: Any, reps: Any) -> TensorVariable:
    """NumPy's ``tile``: ``A`` repeated ``reps`` times per axis (``reps`` ints, static)."""
    x = as_tensor(A)
    reps = (int(reps),) if isinstance(reps, int | np.integer) else tuple(int(r) for r in reps)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: negative repetitions {reps}")
    ndim = max(x.ndim, len(reps))
    reps = (1,) * (ndim - len(reps)) + reps
    x = dimshuffle(x, ["x"] * (ndim - x.ndim) + list(range(x.ndim)))
    if all(r == 1 for r in reps):
        return x
    dims = shape_tuple(x)
    interleaved = dimshuffle(x, [p for i in range(ndim) for p in ("x", i)])
    expanded = Alloc()(interleaved, *(d for r, n in zip(reps, dims, strict=True) for d in (r, n)))
    return reshape(expanded, tuple(r * n for r, n in zip(reps, dims, strict=True)))


@dataclass(frozen=True)
class Repeat(Op):
    """NumPy's ``repeat`` along ``axis``: each element ``repeats`` times (an int scalar, or one count per
    element)."""

    axis: int

    def make_node(self, x: Any, repeats: Any) -> Apply:
        x, counts = as_tensor(x), as_tensor(repeats)
        if counts.ndim > 1 or not is_integer(counts.dtype):
            raise TypeError(f"repeat: repeats must be an integer scalar or vector, got {counts.type}")
        normalize_axes(self.axis, x.ndim, "repeat")
        size = x.type.shape[self.axis]
        static: int | None = None
        if isinstance(counts, Constant):
            values = np.asarray(counts.data)
            if (values < 0).any():
                raise ValueError("repeat: repeats may not contain negative values")
            if values.ndim == 0:
                static = None if size is None else size * int(values)
            else:
                if size is not None and values.shape[0] not in (1, size):
                    raise ValueError(f"repeat: operands could not be broadcast together: {values.shape[0]} "
                                     f"repeats for an axis of size {size}")
                static = int(values.sum()) if values.shape[0] == size else None
        shape = list(x.type.shape)
        shape[self.axis] = static
        return Apply(self, [x, cast(counts, "int64")], [TensorType(x.dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, counts = inputs
        return [np.repeat(x, counts, axis=self.axis)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        shape = list(input_shapes[0])
        counts = node.inputs[1]
        if counts.type.ndim == 0:
            shape[self.axis] = shape[self.axis] * counts
        else:
            total = tm.sum(counts)
            shape[self.axis] = tm.where(tm.equal(input_shapes[1][0], 1), shape[self.axis] * total, total)
        return [tuple(shape)]

    def __str__(self) -> str:
        return f"Repeat{{axis={self.axis}}}"


def repeat(a: Any, repeats: Any, axis: int | None = None) -> TensorVariable:
    """NumPy's ``repeat`` (of the flattened array when ``axis`` is None)."""
    x = as_tensor(a)
    if axis is None:
        x, ax = reshape(x, (-1,)), 0
    else:
        (ax,) = normalize_axes(axis, x.ndim, "repeat")
    return Repeat(ax)(x, repeats)

__all__ = ["Repeat", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays", "broadcast_shape_of",
           "broadcast_to", "dimshuffle", "expand_dims", "flatten", "flip", "fliplr", "flipud", "matrix_transpose",
           "moveaxis", "permute_dims", "ravel", "repeat", "reshape", "roll", "rot90", "shape_padaxis", "shape_padleft",
           "shape_padright", "squeeze", "swapaxes", "tile"]
