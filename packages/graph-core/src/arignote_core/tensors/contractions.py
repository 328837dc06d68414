"""Products and contractions: tensordot, einsum (the ``Einsum`` op), inner, outer, vdot, vecdot, kron, cross,
and Theano's batched_dot; ``dot`` and ``matmul`` live in ``products``."""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dtypes import result_dtype
from ..graph import Apply, Op, unaliased
from . import math as tm
from .basic import as_tensor, reshape
from .elemwise import broadcast_static_shapes
from .join import stack
from .math import dot
from .reduce import normalize_axes
from .shape_inference import broadcast_shapes, shape_tuple
from .shaping import expand_dims, moveaxis
from .type import TensorType, format_shape
from .variable import TensorVariable


def _product(dims: Sequence[Any]) -> Any:
    total: Any = 1
    for d in dims:
        total = total * d
    return total


def tensordot(a: Any, b: Any, axes: Any = 2) -> TensorVariable:
    """NumPy's ``tensordot``: sum products over ``axes`` (the last N of ``a`` with the first N of ``b``, or
    two lists of axes)."""
    a, b = as_tensor(a), as_tensor(b)
    if isinstance(axes, int | np.integer):
        n = int(axes)
        if n < 0 or n > a.ndim or n > b.ndim:
            raise ValueError(f"tensordot: axes={n} does not fit {a.type} and {b.type}")
        axes_a, axes_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        axes_a, axes_b = ([int(x)] if isinstance(x, int | np.integer) else [int(a) for a in x] for x in axes)
    if len(axes_a) != len(axes_b):
        raise ValueError("tensordot: shape-mismatch for sum (different numbers of axes)")
    axes_a = [normalize_axes(x, a.ndim, "tensordot")[0] for x in axes_a]
    axes_b = [normalize_axes(x, b.ndim, "tensordot")[0] for x in axes_b]
    for i, j in zip(axes_a, axes_b, strict=True):
        sa, sb = a.type.shape[i], b.type.shape[j]
        if sa is not None and sb is not None and sa != sb:
            raise ValueError(f"tensordot: shape-mismatch for sum: axis {i} of {format_shape(a.type.shape)} and "
                             f"axis {j} of {format_shape(b.type.shape)}")
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [j for j in range(b.ndim) if j not in axes_b]
    shape_a, shape_b = shape_tuple(a), shape_tuple(b)
    inner = _product([shape_a[i] for i in axes_a])
    left = reshape(a.transpose(free_a + axes_a), (_product([shape_a[i] for i in free_a]), inner))
    right = reshape(b.transpose(axes_b + free_b), (inner, _product([shape_b[j] for j in free_b])))
    return reshape(dot(left, right), tuple(shape_a[i] for i in free_a) + tuple(shape_b[j] for j in free_b))


def inner(a: Any, b: Any) -> TensorVariable:
    """NumPy's ``inner``: sum of products over the last axes."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return tm.multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def outer(a: Any, b: Any) -> TensorVariable:
    """NumPy's ``outer``: products of every element of ``a`` with every element of ``b``."""
    return tm.multiply(reshape(as_tensor(a), (-1, 1)), reshape(as_tensor(b), (1, -1)))


def vdot(a: Any, b: Any) -> TensorVariable:
    """NumPy's ``vdot``: the dot product of the flattened arrays, conjugating the first."""
    a, b = as_tensor(a), as_tensor(b)
    left = tm.conjugate(a) if a.dtype[0] == "c" else a
    return tm.dot(reshape(left, (-1,)), reshape(b, (-1,)))


def vecdot(x1: Any, x2: Any, axis: int = -1) -> TensorVariable:
    """NumPy's ``vecdot``: the dot product of vectors along ``axis`` (conjugating ``x1``), broadcasting the
    other axes."""
    a, b = as_tensor(x1), as_tensor(x2)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("vecdot: input operands must have at least one dimension")
    ndim = max(a.ndim, b.ndim)
    (ax,) = normalize_axes(axis, ndim, "vecdot")
    left = tm.conjugate(a) if a.dtype[0] == "c" else a
    products = tm.multiply(left, b)
    return tm.sum(products, axis=ax, dtype=products.dtype)


def kron(a: Any, b: Any) -> TensorVariable:
    """NumPy's ``kron``: the Kronecker product (blocks of ``a[i] * b``)."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return tm.multiply(a, b)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + shape_tuple(a)
    sb = (1,) * (nd - b.ndim) + shape_tuple(b)
    a2 = expand_dims(a, tuple(range(nd - a.ndim))) if nd > a.ndim else a
    b2 = expand_dims(b, tuple(range(nd - b.ndim))) if nd > b.ndim else b
    a2 = expand_dims(a2, tuple(range(1, nd * 2, 2)))
    b2 = expand_dims(b2, tuple(range(0, nd * 2, 2)))
    return reshape(tm.multiply(a2, b2), tuple(x * y for x, y in zip(sa, sb, strict=True)))


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None
          ) -> TensorVariable:
    """NumPy's ``cross`` of 2- or 3-vectors along the given axes (the vector axis needs a static size)."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("cross: inputs must be at least 1-d")
    a = moveaxis(a, normalize_axes(axisa, a.ndim, "cross")[0], -1)
    b = moveaxis(b, normalize_axes(axisb, b.ndim, "cross")[0], -1)
    na, nb = a.type.shape[-1], b.type.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: incompatible dimensions for cross product (dimension must be 2 or 3, with a "
                         f"static size), got {format_shape(a.type.shape)} and {format_shape(b.type.shape)}")
    dtype = result_dtype(a.dtype, b.dtype)
    a, b = a.astype(dtype), b.astype(dtype)
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    cp2 = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return cp2
    if na == 2:
        b2 = b[..., 2]
        parts = [a1 * b2, tm.negative(a0 * b2), cp2]
    elif nb == 2:
        a2 = a[..., 2]
        parts = [tm.negative(a2 * b1), a2 * b0, cp2]
    else:
        a2, b2 = a[..., 2], b[..., 2]
        parts = [a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, cp2]
    result = stack(parts, axis=-1)
    return moveaxis(result, -1, normalize_axes(axisc, result.ndim, "cross")[0])


def batched_dot(a: Any, b: Any) -> TensorVariable:
    """Theano's ``batched_dot``: ``dot`` of each pair ``a[i]``, ``b[i]`` along the first (batch) axis."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim not in (2, 3) or b.ndim not in (2, 3):
        raise ValueError(f"batched_dot: inputs must be 2- or 3-d, got {a.type} and {b.type}")
    if a.ndim == 2 and b.ndim == 2:
        return tm.sum(tm.multiply(a, b), axis=1, dtype=result_dtype(a.dtype, b.dtype))
    if b.ndim == 2:
        return tm.matmul(a, b[:, :, None])[:, :, 0]
    if a.ndim == 2:
        return tm.matmul(a[:, None, :], b)[:, 0, :]
    return tm.matmul(a, b)


# -----------------------------------------------------------------------------------------------------------
# einsum


def _parse_subscripts(subscripts: str, ndims: Sequence[int]) -> tuple[list[str], str]:
    """Operand labels and output labels, with ``...`` expanded to upper-case labels (one per axis)."""
    text = subscripts.replace(" ", "")
    explicit = "->" in text
    inputs_text, _, output_text = text.partition("->")
    terms = inputs_text.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum: {len(terms)} operands in the subscripts, {len(ndims)} given")
    ellipsis_ndim = 0
    for term, ndim in zip(terms, ndims, strict=True):
        if "..." in term:
            ellipsis_ndim = max(ellipsis_ndim, ndim - (len(term) - 3))
    fill = string.ascii_uppercase[:ellipsis_ndim]
    labels = []
    for term, ndim in zip(terms, ndims, strict=True):
        if "..." in term:
            own = ndim - (len(term) - 3)
            if own < 0:
                raise ValueError(f"einsum: operand has {ndim} dimensions, fewer than subscripts {term!r}")
            term = term.replace("...", fill[ellipsis_ndim - own:])
        if len(term) != ndim or not all(c in string.ascii_letters for c in term):
            raise ValueError(f"einsum: subscripts {term!r} do not match an operand of {ndim} dimensions")
        labels.append(term)
    if explicit:
        output = output_text.replace("...", fill)
    else:
        counts: dict[str, int] = {}
        for term in labels:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        output = fill + "".join(sorted(c for c in counts if counts[c] == 1 and c not in fill))
    if any(c not in "".join(labels) for c in output) or len(set(output)) != len(output):
        raise ValueError(f"einsum: invalid output subscripts {output!r}")
    return labels, output


@dataclass(frozen=True)
class Einsum(Op):
    """NumPy's ``einsum`` for a fixed subscripts string."""

    subscripts: str

    def make_node(self, *operands: Any) -> Apply:
        tensors = [as_tensor(o) for o in operands]
        labels, output = _parse_subscripts(self.subscripts, [t.ndim for t in tensors])
        sizes: dict[str, list[int | None]] = {}
        for term, t in zip(labels, tensors, strict=True):
            for c, s in zip(term, t.type.shape, strict=True):
                sizes.setdefault(c, []).append(s)
        static = {c: broadcast_static_shapes([(s,) for s in found], "einsum")[0] for c, found in sizes.items()}
        dtype = result_dtype(*(t.dtype for t in tensors))
        return Apply(self, tensors, [TensorType(dtype, tuple(static[c] for c in output))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        out = np.einsum(self.subscripts, *inputs)  # a view of a single operand for 'ij->ji' or 'ii->i'
        return unaliased([np.asarray(out, dtype=node.outputs[0].type.dtype)], inputs)

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        labels, output = _parse_subscripts(self.subscripts, [len(s) for s in input_shapes])
        found: dict[str, list[Any]] = {}
        for term, shape in zip(labels, input_shapes, strict=True):
            for c, s in zip(term, shape, strict=True):
                found.setdefault(c, []).append(s)
        return [tuple(broadcast_shapes([(s,) for s in found[c]])[0] for c in output)]

    def __str__(self) -> str:
        return f"Einsum{{{self.subscripts}}}"


def einsum(subscripts: str, *operands: Any, optimize: Any = False) -> TensorVariable:
    """NumPy's ``einsum`` (subscripts form; ``...`` broadcasts). ``optimize`` is accepted for NumPy's
    signature: the contraction order is the backend's business."""
    return Einsum(subscripts)(*operands)

__all__ = ["Einsum", "batched_dot", "cross", "einsum", "inner", "kron", "outer", "tensordot", "vdot",
           "vecdot"]
