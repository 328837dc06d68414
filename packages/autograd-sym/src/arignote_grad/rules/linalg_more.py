"""SciPy's LU and Schur factorizations, matrix square root and logarithm, Sylvester and Lyapunov equations.

- ``lu`` (and ``lu_factor``, whose packed matrix is ``tril(L, -1) + U``): the standard pullback of ``a = P L U``
  for a square matrix, ``P`` held constant (a step function); the derivative of a non-square LU is not
  implemented and says so.
- ``lu_solve`` is differentiated as what it computes, triangular solves with the two triangles of ``lu`` and the
  permutation its pivots stand for, so it shares ``solve_triangular``'s rules.
- ``sqrtm``: ``x dx + dx x = da``, a Sylvester equation (and its adjoint for the pullback).
- ``logm``: the Fréchet derivative, the upper right block of ``logm([[a, e], [0, a]])``; its adjoint is the
  derivative at ``a^T``.
- Sylvester and Lyapunov equations: the derivative solves the same equation with a new right-hand side, the
  pullback the adjoint equation (with the transposed coefficients).
- ``schur`` has no derivative here: the Schur vectors are not unique (any unitary change within a block).

Real matrices only, as everywhere in autograd-sym (complex derivatives are not supported).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply
from arignote_core.linalg.equations import SolveContinuousLyapunov, SolveDiscreteLyapunov, SolveSylvester
from arignote_core.linalg.factorizations import LU, LUFactor, LUSolve, PivotMatrix, Schur
from arignote_core.linalg.matrix_functions import Logm, Sqrtm
from arignote_core.linalg.ops import SolveTriangular
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.math import matmul

from ..errors import undefined_grad
from ..forward import Rop
from ..registry import register_pullback, register_pushforward
from ..reverse import grad
from ..tensor_utils import cast_to, zeros_like
from .matrix_helpers import block_frechet, mm, mT, triangle, unbatch

# -- LU --------------------------------------------------------------------------------------------------------

NOT_SQUARE_LU = ("the derivative of the LU factorization is implemented for square matrices only (a non-square "
                 "one has factors of different shapes that this rule does not handle)")


def _lu_not_square(a: Any) -> bool:
    m, n = a.type.shape[-2:]
    return m is not None and n is not None and m != n


def _lu_factors(op: LU, node: Apply) -> tuple[Any, Any, Any]:
    """(P, L, U) of the node's input: its own outputs, or a plain ``lu`` of the same matrix."""
    if not op.permute_l and not op.p_indices:
        p, low, up = node.outputs
        return p, low, up
    p, low, up = LU()(node.inputs[0])
    return p, low, up


def _lu_pullback(a: Any, p: Any, low: Any, up: Any, g_low: Any, g_up: Any) -> Any:
    """``P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T``: the gradient of ``a`` for those of L and U."""
    middle = triangle(mm(mT(low), g_low), lower=True, strict=True) + triangle(mm(g_up, mT(up)), lower=False)
    left = SolveTriangular(1, lower=True, unit_diagonal=True)(low, middle)
    return cast_to(mm(p, mT(SolveTriangular(0, lower=False)(up, mT(left)))), a)


def _lu_pushforward(p: Any, low: Any, up: Any, t: Any) -> tuple[Any, Any]:
    """(dL, dU) for a tangent ``t`` of ``a``: ``F = L^-1 P^T t U^-1``, ``dL = L tril(F, -1)``, ``dU = triu(F) U``."""
    left = SolveTriangular(0, lower=True, unit_diagonal=True)(low, mm(mT(p), t))
    f = mT(SolveTriangular(1, lower=False)(up, mT(left)))
    return mm(low, triangle(f, lower=True, strict=True)), mm(triangle(f, lower=False), up)


def _or_zeros(g: Any, like: Any) -> Any:
    return zeros_like(like) if g is None else cast_to(g, like)


@register_pullback(LU)
def lu_pullback(op: LU, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    a = node.inputs[0]
    grads = list(output_grads[-2:])
    if all(g is None for g in grads):
        return [None]
    if _lu_not_square(a):
        return [undefined_grad(op, 0, NOT_SQUARE_LU)]
    p, low, up = _lu_factors(op, node)
    g_low, g_up = grads
    if op.permute_l and g_low is not None:
        g_low = mm(mT(p), g_low)  # the output is P @ L
    return [_lu_pullback(a, p, low, up, _or_zeros(g_low, low), _or_zeros(g_up, up))]


@register_pushforward(LU)
def lu_pushforward(op: LU, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    a = node.inputs[0]
    if _lu_not_square(a):
        return [undefined_grad(op, 0, NOT_SQUARE_LU)] * len(node.outputs)
    p, low, up = _lu_factors(op, node)
    d_low, d_up = _lu_pushforward(p, low, up, tangents[0])
    if op.permute_l:
        return [mm(p, d_low), d_up]
    return [None, d_low, d_up]


@register_pullback(LUFactor)
def lu_factor_pullback(op: LUFactor, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    a, g = node.inputs[0], output_grads[0]
    if g is None:
        return [None]
    if _lu_not_square(a):
        return [undefined_grad(op, 0, NOT_SQUARE_LU)]
    p, low, up = LU()(a)
    return [_lu_pullback(a, p, low, up, triangle(g, lower=True, strict=True), triangle(g, lower=False))]


@register_pushforward(LUFactor)
def lu_factor_pushforward(op: LUFactor, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    a = node.inputs[0]
    if _lu_not_square(a):
        return [undefined_grad(op, 0, NOT_SQUARE_LU), None]
    p, low, up = LU()(a)
    d_low, d_up = _lu_pushforward(p, low, up, tangents[0])
    return [d_low + d_up, None]  # L^-1 dL is strictly lower: dL has nothing on the diagonal


def _lu_solve_as_triangular(op: LUSolve, node: Apply) -> Any:
    """``lu_solve`` as it computes: ``U^-1 L^-1 P^T b``, or ``P L^-T U^-T b`` transposed (real matrices)."""
    factors, piv, b = node.inputs
    perm = PivotMatrix(node.outputs[0].type.dtype)(piv)
    column = b.type.ndim == 1  # one vector for every matrix of the stack: solved as a one-column matrix
    rhs = dimshuffle(b, [0, "x"]) if column else b
    if op.trans == 0:
        y = SolveTriangular(0, lower=True, unit_diagonal=True)(factors, matmul(mT(perm), rhs))
        x = SolveTriangular(0, lower=False)(factors, y)
    else:
        y = SolveTriangular(1, lower=False)(factors, rhs)
        x = matmul(perm, SolveTriangular(1, lower=True, unit_diagonal=True)(factors, y))
    return x[..., 0] if column else x


@register_pullback(LUSolve)
def lu_solve_pullback(op: LUSolve, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,) = output_grads
    factors, _, b = node.inputs
    if g is None:
        return [None, None, None]
    g_factors, g_b = grad(None, [factors, b], known_grads={_lu_solve_as_triangular(op, node): g},
                          disconnected_inputs="ignore", return_disconnected="none")
    return [g_factors, None, g_b]


@register_pushforward(LUSolve)
def lu_solve_pushforward(op: LUSolve, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    factors, _, b = node.inputs
    moving = [(v, t) for v, t in ((factors, tangents[0]), (b, tangents[2])) if t is not None]
    return [Rop(_lu_solve_as_triangular(op, node), [v for v, _ in moving], [t for _, t in moving])]


@register_pullback(PivotMatrix)
def pivot_matrix_pullback(op: PivotMatrix, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    return [None]  # integer pivots


# -- Schur -----------------------------------------------------------------------------------------------------

NO_SCHUR_DERIVATIVE = ("schur is not differentiable: the Schur vectors are not unique (any unitary change of "
                       "basis within a block of equal eigenvalues, and signs or phases, give another Schur form)")


@register_pullback(Schur)
def schur_pullback(op: Schur, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    return [undefined_grad(op, 0, NO_SCHUR_DERIVATIVE)]


@register_pushforward(Schur)
def schur_pushforward(op: Schur, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    return [undefined_grad(op, 0, NO_SCHUR_DERIVATIVE)] * 2


# -- matrix square root and logarithm ----------------------------------------------------------------------------


@register_pullback(Sqrtm)
def sqrtm_pullback(op: Sqrtm, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,), x = output_grads, node.outputs[0]
    return [None if g is None else cast_to(SolveSylvester()(mT(x), mT(x), g), node.inputs[0])]


@register_pushforward(Sqrtm)
def sqrtm_pushforward(op: Sqrtm, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    x = node.outputs[0]
    return [cast_to(SolveSylvester()(x, x, tangents[0]), x)]


@register_pullback(Logm)
def logm_pullback(op: Logm, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,), a = output_grads, node.inputs[0]
    return [None if g is None else cast_to(block_frechet(Logm(), mT(a), cast_to(g, a)), a)]


@register_pushforward(Logm)
def logm_pushforward(op: Logm, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    a = node.inputs[0]
    return [cast_to(block_frechet(Logm(), a, cast_to(tangents[0], a)), node.outputs[0])]


# -- Sylvester and Lyapunov equations ----------------------------------------------------------------------------


def _sum_terms(terms: Sequence[Any], like: Any) -> Any:
    present = [t for t in terms if t is not None]
    if not present:
        return zeros_like(like)
    total = present[0]
    for t in present[1:]:
        total = total + t
    return total


@register_pullback(SolveSylvester)
def solve_sylvester_pullback(op: SolveSylvester, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,), (a, b, q), x = output_grads, node.inputs, node.outputs[0]
    if g is None:
        return [None, None, None]
    y = op(mT(a), mT(b), g)  # a^T y + y b^T = g
    return [unbatch(cast_to(-mm(y, mT(x)), a), a), unbatch(cast_to(-mm(mT(x), y), b), b),
            unbatch(cast_to(y, q), q)]


@register_pushforward(SolveSylvester)
def solve_sylvester_pushforward(op: SolveSylvester, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    (a, b, _), (ta, tb, tq), x = node.inputs, tangents, node.outputs[0]
    rhs = _sum_terms([tq, None if ta is None else -mm(ta, x), None if tb is None else -mm(x, tb)], x)
    return [cast_to(op(a, b, rhs), x)]


@register_pullback(SolveContinuousLyapunov)
def continuous_lyapunov_pullback(op: SolveContinuousLyapunov, node: Apply, output_grads: Sequence[Any]
                                 ) -> list[Any]:
    (g,), (a, q), x = output_grads, node.inputs, node.outputs[0]
    if g is None:
        return [None, None]
    y = op(mT(a), g)  # a^T y + y a = g
    return [unbatch(cast_to(-(mm(y, mT(x)) + mm(mT(y), x)), a), a), unbatch(cast_to(y, q), q)]


@register_pushforward(SolveContinuousLyapunov)
def continuous_lyapunov_pushforward(op: SolveContinuousLyapunov, node: Apply, tangents: Sequence[Any]
                                    ) -> list[Any]:
    (a, _), (ta, tq), x = node.inputs, tangents, node.outputs[0]
    rhs = _sum_terms([tq, None if ta is None else -(mm(ta, x) + mm(x, mT(ta)))], x)
    return [cast_to(op(a, rhs), x)]


@register_pullback(SolveDiscreteLyapunov)
def discrete_lyapunov_pullback(op: SolveDiscreteLyapunov, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,), (a, q), x = output_grads, node.inputs, node.outputs[0]
    if g is None:
        return [None, None]
    y = op(mT(a), g)  # a^T y a - y + g = 0
    return [unbatch(cast_to(mm(y, a, mT(x)) + mm(mT(y), a, x), a), a), unbatch(cast_to(y, q), q)]


@register_pushforward(SolveDiscreteLyapunov)
def discrete_lyapunov_pushforward(op: SolveDiscreteLyapunov, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    (a, _), (ta, tq), x = node.inputs, tangents, node.outputs[0]
    rhs = _sum_terms([tq, None if ta is None else mm(ta, x, mT(a)) + mm(a, x, mT(ta))], x)
    return [cast_to(op(a, rhs), x)]
