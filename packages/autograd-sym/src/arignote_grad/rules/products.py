"""Products: ``Dot`` (NumPy's ``dot``, every combination of dimensions) and ``MatMul`` (batched, broadcast).

Both are bilinear: the pushforward is ``op(ta, b) + op(a, tb)``. In reverse mode, ``matmul`` sums the gradient
of each operand over the batch axes it was broadcast along; ``dot`` of N-d operands is brought back to a matrix
product by reshapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply, Dot, MatMul, Variable, as_tensor
from arignote_core.tensors.basic import reshape
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.math import dot, matmul, multiply
from arignote_core.tensors.math import sum as tensor_sum

from ..registry import register_pullback, register_pushforward
from ..tensor_utils import cast_to, drop_axes, shape_of, unbroadcast_to


def swap_last_axes(x: Variable) -> Variable:
    ndim = x.type.ndim
    return dimshuffle(x, [*range(ndim - 2), ndim - 1, ndim - 2])


def _bilinear_pushforward(op: Any, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    a, b = node.inputs
    ta, tb = tangents
    terms = []
    if ta is not None:
        terms.append(op(ta, b))
    if tb is not None:
        terms.append(op(a, tb))
    total = terms[0] if len(terms) == 1 else terms[0] + terms[1]
    return [cast_to(total, node.outputs[0])]


register_pushforward(Dot)(_bilinear_pushforward)
register_pushforward(MatMul)(_bilinear_pushforward)


@register_pullback(Dot)
def dot_pullback(op: Dot, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None, None]
    a, b = node.inputs
    if a.type.ndim == 0 or b.type.ndim == 0:
        return [_scale_grad(gz, b, a), _scale_grad(gz, a, b)]
    if a.type.ndim <= 2 and b.type.ndim <= 2:
        return _small_dot_grads(gz, a, b)
    return _nd_dot_grads(gz, a, b)


def _scale_grad(gz: Variable, other: Variable, target: Variable) -> Variable:
    """Gradient of ``target`` in ``target * other`` (one of them 0-d)."""
    g = multiply(gz, other)
    return tensor_sum(g) if target.type.ndim == 0 else g


def _outer(u: Variable, v: Variable) -> Variable:
    return multiply(dimshuffle(u, [0, "x"]), dimshuffle(v, ["x", 0]))


def _small_dot_grads(gz: Variable, a: Variable, b: Variable) -> list[Variable]:
    shapes = (a.type.ndim, b.type.ndim)
    if shapes == (1, 1):
        return [multiply(gz, b), multiply(gz, a)]
    if shapes == (2, 1):
        return [_outer(gz, b), dot(gz, a)]
    if shapes == (1, 2):
        return [dot(b, gz), _outer(a, gz)]
    return [dot(gz, as_tensor(b).T), dot(as_tensor(a).T, gz)]


def _nd_dot_grads(gz: Variable, a: Variable, b: Variable) -> list[Variable]:
    """``dot`` with an operand of 3 or more axes, as the matrix product of reshaped operands."""
    k = a.type.ndim - 1
    a2 = reshape(a, (-1, shape_of(a)[k]))
    if b.type.ndim == 1:
        g2 = reshape(gz, (-1,))
        return [reshape(_outer(g2, b), shape_of(a)), dot(a2.T, g2)]
    nb = b.type.ndim
    moved_order = [nb - 2, *range(nb - 2), nb - 1]
    b_moved = dimshuffle(b, moved_order)
    b2 = reshape(b_moved, (shape_of(b)[nb - 2], -1))
    g2 = reshape(gz, (shape_of(a2)[0], shape_of(b2)[1]))
    ga = reshape(dot(g2, b2.T), shape_of(a))
    gb_moved = reshape(dot(a2.T, g2), shape_of(b_moved))
    inverse = [moved_order.index(d) for d in range(nb)]
    return [ga, dimshuffle(gb_moved, inverse)]


@register_pullback(MatMul)
def matmul_pullback(op: MatMul, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None, None]
    a, b = node.inputs
    a_vec, b_vec = a.type.ndim == 1, b.type.ndim == 1
    a2 = dimshuffle(a, ["x", 0]) if a_vec else a
    b2 = dimshuffle(b, [0, "x"]) if b_vec else b
    g = gz
    if b_vec:
        g = dimshuffle(g, [*range(g.type.ndim), "x"])
    if a_vec:
        nd = g.type.ndim
        g = dimshuffle(g, [*range(nd - 1), "x", nd - 1])
    ga = _unbatch(matmul(g, swap_last_axes(b2)), a2, b2)
    gb = _unbatch(matmul(swap_last_axes(a2), g), b2, a2)
    return [drop_axes(ga, [0]) if a_vec else ga, drop_axes(gb, [1]) if b_vec else gb]


def _unbatch(g: Variable, operand: Variable, other: Variable) -> Variable:
    """``g`` summed over the batch axes along which ``operand`` was broadcast against ``other``."""
    nd, other_nd = operand.type.ndim, other.type.ndim
    if g.type.ndim > nd or (nd > 2 and other_nd > 2):
        return unbroadcast_to(g, operand)
    return g
