"""Helpers for the linear-algebra rules: batched transposes and products, identity masks, triangles.

Every helper works on stacks of matrices (the last two axes), as graph-core's linear-algebra ops do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from arignote_core import arange
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.join import concatenate
from arignote_core.tensors.math import equal, greater, greater_equal, less, less_equal, matmul, multiply
from arignote_core.tensors.math import sum as tensor_sum

from ..tensor_utils import indicator, unbroadcast_to, zeros_like


def mT(x: Any) -> Any:
    """The transpose of each matrix of a stack."""
    nd = x.type.ndim
    return dimshuffle(x, [*range(nd - 2), nd - 1, nd - 2])


def mm(*factors: Any) -> Any:
    """The batched matrix product of the factors, left to right."""
    out = factors[0]
    for f in factors[1:]:
        out = matmul(out, f)
    return out


def size_of(x: Any, axis: int) -> Any:
    size = x.type.shape[axis]
    return size if size is not None else x.shape[axis]



def block_frechet(fn: Callable[[Any], Any], a: Any, direction: Any) -> Any:
    """The derivative of the matrix function ``fn`` (expm, logm) at ``a`` in ``direction``: the upper right block
    of ``fn([[a, direction], [0, a]])``."""
    n = size_of(a, -1)
    block = concatenate([concatenate([a, direction], axis=-1), concatenate([zeros_like(a), a], axis=-1)],
                        axis=-2)
    return fn(block)[..., :n, n:]


def _positions(size: Any) -> tuple[Any, Any]:
    p = arange(size, dtype="int64")
    return dimshuffle(p, [0, "x"]), dimshuffle(p, ["x", 0])


def eye(size: Any, dtype: str) -> Any:
    """The identity matrix of ``size`` (a mask with zero derivative)."""
    rows, cols = _positions(size)
    return indicator(equal(rows, cols), dtype)


def triangle_mask(x: Any, lower: bool, strict: bool = False) -> Any:
    """1 on the lower (or upper) triangle of ``x``'s matrices, diagonal excluded when ``strict``."""
    rows, cols = _positions(size_of(x, -1))
    compare = (greater if strict else greater_equal) if lower else (less if strict else less_equal)
    return indicator(compare(rows, cols), x.type.dtype)


def triangle(x: Any, lower: bool, strict: bool = False) -> Any:
    """The lower (or upper) triangle of each matrix of ``x``."""
    return multiply(x, triangle_mask(x, lower, strict))


def diagonal_matrix(v: Any) -> Any:
    """Matrices with the vectors of ``v`` (last axis) on their diagonals."""
    nd = v.type.ndim
    return multiply(dimshuffle(v, [*range(nd), "x"]), eye(size_of(v, -1), v.type.dtype))


def diagonal(x: Any) -> Any:
    """The diagonals of ``x``'s matrices, as vectors."""
    return tensor_sum(multiply(x, eye(size_of(x, -1), x.type.dtype)), axis=-1)


def from_triangle_gradient(g: Any, lower: bool) -> Any:
    """The gradient for an input of which only one triangle is read (the op sees the symmetric matrix made
    from it): an off-diagonal entry of that triangle stands for two entries of the symmetric matrix."""
    return triangle(g + mT(g), lower, strict=True) + multiply(g, eye(size_of(g, -1), g.type.dtype))


def symmetric_from_triangle(x: Any, lower: bool) -> Any:
    """The symmetric matrices whose ``lower`` (or upper) triangle is that of ``x``."""
    strict = triangle(x, lower, strict=True)
    return strict + mT(strict) + multiply(x, eye(size_of(x, -1), x.type.dtype))


def gap_reciprocals(values: Any, squared: bool = False) -> Any:
    """``F[i, j] = 1 / (v_j - v_i)`` (of squares when ``squared``) off the diagonal, 0 on it."""
    nd = values.type.ndim
    v = multiply(values, values) if squared else values
    gaps = dimshuffle(v, [*range(nd - 1), "x", nd - 1]) - dimshuffle(v, [*range(nd), "x"])
    identity = eye(size_of(values, -1), values.type.dtype)
    return (1.0 / (gaps + identity)) - identity


def unbatch(g: Any, like: Any) -> Any:
    """``g`` summed back over the batch axes ``like`` was broadcast along."""
    return unbroadcast_to(g, like)
