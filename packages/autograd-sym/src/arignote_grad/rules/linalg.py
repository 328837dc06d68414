"""Linear algebra: inverses, determinants, solves, pseudo-inverse, least squares, matrix exponential.

All rules work on stacks of matrices. Where an op reads only one triangle of its input (``solve`` with
``assume='sym'``/``'pos'`` reads the upper one, ``solve_triangular`` and ``cho_solve`` their factor's), the
gradient is that of the function actually computed: zero outside the triangle read. Some ops are
differentiated by writing them with others (``cho_solve`` as two triangular solves, ``lstsq``'s solution as
``pinv(a) @ b``, its residuals as the squared norms of ``b - a x`` and its singular values as those of
``svd``; ``pinv`` with a cut-off through the SVD), so they share those ops' rules. The pseudo-inverse and
least squares assume a constant (full, for lstsq's residuals) rank near the point; ``eig`` (complex results)
has no real derivative.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply
from arignote_core.linalg.ops import SVD, ChoSolve, Det, Eig, Expm, Inv, Lstsq, Pinv, SlogDet, Solve, SolveTriangular
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.math import greater, matmul, multiply, where
from arignote_core.tensors.math import sum as tensor_sum

from ..errors import undefined_grad
from ..forward import Rop
from ..registry import register_pullback, register_pushforward
from ..reverse import grad
from ..tensor_utils import cast_to, zeros_like
from .matrix_helpers import (
    block_frechet,
    eye,
    from_triangle_gradient,
    mm,
    mT,
    size_of,
    symmetric_from_triangle,
    triangle,
    unbatch,
)


def _scalar_per_matrix(g: Any) -> Any:
    """Per-matrix scalars (shape ``batch``) as ``batch + (1, 1)``, to scale whole matrices."""
    nd = g.type.ndim
    return dimshuffle(g, [*range(nd), "x", "x"])


def _by_reexpression(node: Apply, equivalents: dict[Any, Any], wrt: Sequence[Any]) -> list[Any]:
    """Gradients of ``wrt`` given gradients of graphs that compute the same values as ``node``'s outputs."""
    return grad(None, list(wrt), known_grads=equivalents, disconnected_inputs="ignore", return_disconnected="none")


# -- inverse and determinants ----------------------------------------------------------------------------------


@register_pullback(Inv)
def inv_pullback(op: Inv, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,), y = output_grads, node.outputs[0]
    return [None if g is None else -mm(mT(y), g, mT(y))]


@register_pushforward(Inv)
def inv_pushforward(op: Inv, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    y = node.outputs[0]
    return [-mm(y, tangents[0], y)]


def _log_det_jacobian(a: Any) -> Any:
    """d log|det a| / d a = inv(a)^T."""
    return mT(Inv()(a))


@register_pullback(Det)
def det_pullback(op: Det, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,), a = output_grads, node.inputs[0]
    if g is None:
        return [None]
    return [multiply(_scalar_per_matrix(g * node.outputs[0]), _log_det_jacobian(a))]


@register_pushforward(Det)
def det_pushforward(op: Det, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    a = node.inputs[0]
    return [node.outputs[0] * tensor_sum(multiply(_log_det_jacobian(a), tangents[0]), axis=(-2, -1))]


@register_pullback(SlogDet)
def slogdet_pullback(op: SlogDet, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    _, g = output_grads  # the sign is a step function
    if g is None:
        return [None]
    return [multiply(_scalar_per_matrix(g), _log_det_jacobian(node.inputs[0]))]


@register_pushforward(SlogDet)
def slogdet_pushforward(op: SlogDet, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    logdet = tensor_sum(multiply(_log_det_jacobian(node.inputs[0]), tangents[0]), axis=(-2, -1))
    return [None, cast_to(logdet, node.outputs[1])]


# -- solves ----------------------------------------------------------------------------------------------------


def _as_matrices(b: Any, x: Any, g: Any) -> tuple[Any, Any, bool]:
    """For a vector right-hand side (1-d ``b``), ``x`` and ``g`` as one-column matrices."""
    if b.type.ndim != 1:
        return x, g, False
    column = [*range(x.type.ndim), "x"]
    return dimshuffle(x, column), dimshuffle(g, column), True


def _from_column(y: Any, was_vector: bool) -> Any:
    return y[..., 0] if was_vector else y


_SYMMETRIC_ASSUMPTIONS = ("sym", "her", "pos")


@register_pullback(Solve)
def solve_pullback(op: Solve, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,) = output_grads
    a, b = node.inputs
    if g is None:
        return [None, None]
    if op.assume != "gen" and op.assume not in _SYMMETRIC_ASSUMPTIONS:
        reason = f"the derivative of solve with assume={op.assume!r} is not implemented"
        return [undefined_grad(op, 0, reason), undefined_grad(op, 1, reason)]
    x, g2, was_vector = _as_matrices(b, node.outputs[0], g)
    symmetric = op.assume in _SYMMETRIC_ASSUMPTIONS
    gb2 = Solve(op.assume)(a if symmetric else mT(a), g2)
    ga = -mm(gb2, mT(x))
    if symmetric:
        ga = from_triangle_gradient(ga, lower=False)  # SciPy reads the upper triangle
    return [unbatch(cast_to(ga, a), a), unbatch(cast_to(_from_column(gb2, was_vector), b), b)]


@register_pushforward(Solve)
def solve_pushforward(op: Solve, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    a, b = node.inputs
    ta, tb = tangents
    if op.assume != "gen" and op.assume not in _SYMMETRIC_ASSUMPTIONS:
        return [undefined_grad(op, 0, f"the derivative of solve with assume={op.assume!r} is not implemented")]
    x = node.outputs[0]
    rhs = zeros_like(x) if tb is None else tb
    if ta is not None:
        ta = symmetric_from_triangle(ta, lower=False) if op.assume != "gen" else ta
        x2, _, was_vector = _as_matrices(b, x, x)
        rhs = rhs - _from_column(matmul(ta, x2), was_vector)
    return [cast_to(op(a, rhs), x)]


@register_pullback(SolveTriangular)
def solve_triangular_pullback(op: SolveTriangular, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,) = output_grads
    a, b = node.inputs
    if g is None:
        return [None, None]
    x, g2, was_vector = _as_matrices(b, node.outputs[0], g)
    transposed = op.trans != 0
    gb2 = SolveTriangular(0 if transposed else 1, op.lower, op.unit_diagonal)(a, g2)
    ga = -mm(x, mT(gb2)) if transposed else -mm(gb2, mT(x))
    ga = triangle(ga, op.lower, strict=op.unit_diagonal)
    return [unbatch(cast_to(ga, a), a), unbatch(cast_to(_from_column(gb2, was_vector), b), b)]


@register_pushforward(SolveTriangular)
def solve_triangular_pushforward(op: SolveTriangular, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    a, b = node.inputs
    ta, tb = tangents
    x = node.outputs[0]
    rhs = zeros_like(x) if tb is None else tb
    if ta is not None:
        ta = triangle(ta, op.lower, strict=op.unit_diagonal)
        x2, _, was_vector = _as_matrices(b, x, x)
        rhs = rhs - _from_column(matmul(mT(ta) if op.trans else ta, x2), was_vector)
    return [cast_to(op(a, rhs), x)]


def _cho_solve_as_triangular(op: ChoSolve, c: Any, b: Any) -> Any:
    """``cho_solve`` as two triangular solves with the factor: ``L L^T x = b`` or ``U^T U x = b``."""
    y = SolveTriangular(0 if op.lower else 1, op.lower)(c, b)
    return SolveTriangular(1 if op.lower else 0, op.lower)(c, y)


@register_pullback(ChoSolve)
def cho_solve_pullback(op: ChoSolve, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,) = output_grads
    c, b = node.inputs
    if g is None:
        return [None, None]
    return _by_reexpression(node, {_cho_solve_as_triangular(op, c, b): g}, [c, b])


@register_pushforward(ChoSolve)
def cho_solve_pushforward(op: ChoSolve, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    c, b = node.inputs
    moving = [(v, t) for v, t in zip((c, b), tangents, strict=True) if t is not None]
    return [Rop(_cho_solve_as_triangular(op, c, b), [v for v, _ in moving], [t for _, t in moving])]


# -- pseudo-inverse and least squares --------------------------------------------------------------------------


def _pinv_parts(node: Apply) -> tuple[Any, Any, Any, Any]:
    a, p = node.inputs[0], node.outputs[0]
    eye_m, eye_n = eye(size_of(a, -2), a.type.dtype), eye(size_of(a, -1), a.type.dtype)
    return a, p, eye_m - mm(a, p), eye_n - mm(p, a)


def _pinv_truncated(op: Pinv, a: Any) -> Any:
    """``pinv`` with a cut-off, written with the SVD: singular values below ``rcond * max`` are dropped."""
    u, s, vh = SVD(False, True, op.hermitian)(a)
    largest = dimshuffle(s.max(axis=-1), [*range(s.type.ndim - 1), "x"])
    kept_inverse = where(greater(s, largest * op.rcond), 1.0 / s, 0.0)
    return mm(mT(vh), multiply(dimshuffle(kept_inverse, [*range(s.type.ndim), "x"]), mT(u)))


@register_pullback(Pinv)
def pinv_pullback(op: Pinv, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,) = output_grads
    if g is None:
        return [None]
    if op.rcond is not None:
        return _by_reexpression(node, {_pinv_truncated(op, node.inputs[0]): g}, node.inputs)
    a, p, out_of_range, out_of_corange = _pinv_parts(node)
    ga = -mm(mT(p), g, mT(p)) + mm(out_of_range, mT(g), p, mT(p)) + mm(mT(p), p, mT(g), out_of_corange)
    return [from_triangle_gradient(ga, lower=True) if op.hermitian else ga]


@register_pushforward(Pinv)
def pinv_pushforward(op: Pinv, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    if op.rcond is not None:
        return [Rop(_pinv_truncated(op, node.inputs[0]), node.inputs[0], tangents[0])]
    a, p, out_of_range, out_of_corange = _pinv_parts(node)
    t = symmetric_from_triangle(tangents[0], lower=True) if op.hermitian else tangents[0]
    return [-mm(p, t, p) + mm(p, mT(p), mT(t), out_of_range) + mm(out_of_corange, mT(t), mT(p), p)]


def _lstsq_solution(op: Lstsq, a: Any, b: Any) -> Any:
    return matmul(Pinv(op.rcond)(a), b)


def _lstsq_residuals(op: Lstsq, a: Any, b: Any) -> Any | None:
    """The residuals as NumPy gives them for a tall matrix of full rank (the rank is assumed full); None where
    the matrix is not surely tall (NumPy then gives an empty array)."""
    m, n = a.type.shape
    if m is None or n is None or m <= n:
        return None
    error = b - matmul(a, _lstsq_solution(op, a, b))
    squares = tensor_sum(multiply(error, error), axis=0)
    return squares if b.type.ndim == 2 else dimshuffle(squares, ["x"])


def _lstsq_equivalents(op: Lstsq, node: Apply, grads: Sequence[Any]) -> dict[Any, Any]:
    a, b = node.inputs
    g_x, g_residuals, _, g_s = grads
    equivalents = {}
    if g_x is not None:
        equivalents[_lstsq_solution(op, a, b)] = g_x
    residuals = _lstsq_residuals(op, a, b)
    if g_residuals is not None and residuals is not None:
        equivalents[residuals] = g_residuals
    if g_s is not None:
        equivalents[SVD(compute_uv=False)(a)] = g_s
    return equivalents


@register_pullback(Lstsq)
def lstsq_pullback(op: Lstsq, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    equivalents = _lstsq_equivalents(op, node, output_grads)
    if not equivalents:
        return [None, None]
    return _by_reexpression(node, equivalents, node.inputs)


@register_pushforward(Lstsq)
def lstsq_pushforward(op: Lstsq, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    a, b = node.inputs
    moving = [(v, t) for v, t in zip((a, b), tangents, strict=True) if t is not None]
    wrt, points = [v for v, _ in moving], [t for _, t in moving]
    x = Rop(_lstsq_solution(op, a, b), wrt, points, disconnected_outputs="ignore")
    s = Rop(SVD(compute_uv=False)(a), wrt, points, disconnected_outputs="ignore")
    residuals = _lstsq_residuals(op, a, b)
    if residuals is not None:
        residuals = Rop(residuals, wrt, points, disconnected_outputs="ignore")
    return [x, residuals, None, s]


# -- matrix exponential ----------------------------------------------------------------------------------------


@register_pullback(Expm)
def expm_pullback(op: Expm, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,), a = output_grads, node.inputs[0]
    return [None if g is None else cast_to(block_frechet(Expm(), mT(a), g), a)]


@register_pushforward(Expm)
def expm_pushforward(op: Expm, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    return [cast_to(block_frechet(Expm(), node.inputs[0], tangents[0]), node.outputs[0])]


@register_pullback(Eig)
def eig_pullback(op: Eig, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    return [undefined_grad(op, 0, "eig gives complex results; complex derivatives are not supported (use eigh "
                                  "for symmetric matrices)")]
