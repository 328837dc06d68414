"""Matrix decompositions: Cholesky, symmetric eigendecomposition, SVD, QR.

- ``cholesky`` and ``eigh`` read one triangle of their input (the lower one, or the upper one for
  ``cholesky(upper=True)`` and ``eigh(UPLO='U')``): their gradient is that of the function of that triangle.
- ``eigh`` and ``svd`` rules divide by gaps between eigenvalues (squared singular values), so they hold for
  distinct ones, as everywhere (Murray 2016; Townsend 2016; JAX).
- ``svd`` with ``full_matrices`` of a non-square matrix and ``qr(mode='complete')`` of a tall one leave a basis
  that the input does not determine: their derivatives are explicitly undefined. ``qr`` of a wide matrix is
  differentiated through the QR of its square part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply
from arignote_core.linalg.ops import QR, SVD, Cholesky, Eigh, Inv, Solve
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.join import concatenate
from arignote_core.tensors.math import multiply

from ..errors import undefined_grad
from ..forward import Rop
from ..registry import register_pullback, register_pushforward
from ..reverse import grad
from ..tensor_utils import cast_to, zeros_like
from .matrix_helpers import (
    diagonal,
    diagonal_matrix,
    eye,
    from_triangle_gradient,
    gap_reciprocals,
    mm,
    mT,
    size_of,
    symmetric_from_triangle,
    triangle,
)


def _half_diagonal_lower(x: Any) -> Any:
    """The lower triangle of ``x`` with its diagonal halved (Murray's Phi)."""
    return triangle(x, lower=True) - 0.5 * multiply(x, eye(size_of(x, -1), x.type.dtype))


def _column_scale(x: Any, v: Any) -> Any:
    """``x @ diag(v)``."""
    nd = v.type.ndim
    return multiply(x, dimshuffle(v, [*range(nd - 1), "x", nd - 1]))


def _row_scale(v: Any, x: Any) -> Any:
    """``diag(v) @ x``."""
    nd = v.type.ndim
    return multiply(dimshuffle(v, [*range(nd), "x"]), x)


# -- Cholesky -----------------------------------------------------------------------------------------------------


@register_pullback(Cholesky)
def cholesky_pullback(op: Cholesky, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,) = output_grads
    if g is None:
        return [None]
    factor = node.outputs[0]
    low, g_low = (mT(factor), mT(g)) if op.upper else (factor, g)
    low_inv = Inv()(low)
    middle = _half_diagonal_lower(mm(mT(low), g_low))
    sym = mm(mT(low_inv), middle, low_inv)
    sym = 0.5 * (sym + mT(sym))
    return [cast_to(from_triangle_gradient(sym, lower=not op.upper), node.inputs[0])]


@register_pushforward(Cholesky)
def cholesky_pushforward(op: Cholesky, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    factor = node.outputs[0]
    low = mT(factor) if op.upper else factor
    low_inv = Inv()(low)
    t = symmetric_from_triangle(tangents[0], lower=not op.upper)
    d_low = mm(low, _half_diagonal_lower(mm(low_inv, t, mT(low_inv))))
    return [cast_to(mT(d_low) if op.upper else d_low, factor)]


# -- symmetric eigendecomposition -------------------------------------------------------------------------------


def _eigh_vectors(op: Eigh, node: Apply) -> Any:
    return node.outputs[1] if op.compute_v else Eigh(op.UPLO, True)(node.inputs[0])[1]


@register_pullback(Eigh)
def eigh_pullback(op: Eigh, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    g_w = output_grads[0]
    g_v = output_grads[1] if op.compute_v else None
    if g_w is None and g_v is None:
        return [None]
    w, v = node.outputs[0], _eigh_vectors(op, node)
    inner = zeros_like(v) if g_w is None else diagonal_matrix(cast_to(g_w, v))
    if g_v is not None:
        inner = inner + multiply(gap_reciprocals(w), mm(mT(v), g_v))
    g_sym = mm(v, inner, mT(v))
    return [cast_to(from_triangle_gradient(g_sym, lower=op.UPLO == "L"), node.inputs[0])]


@register_pushforward(Eigh)
def eigh_pushforward(op: Eigh, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    w, v = node.outputs[0], _eigh_vectors(op, node)
    projected = mm(mT(v), symmetric_from_triangle(tangents[0], lower=op.UPLO == "L"), v)
    d_w = cast_to(diagonal(projected), w)
    if not op.compute_v:
        return [d_w]
    return [d_w, mm(v, multiply(gap_reciprocals(w), projected))]


# -- singular value decomposition -------------------------------------------------------------------------------


def _svd_unsupported(op: SVD, a: Any) -> str | None:
    m, n = a.type.shape[-2:]
    if op.compute_uv and op.full_matrices and (m is None or n is None or m != n):
        return "the derivative of svd with full_matrices=True of a (possibly) non-square matrix is not " \
               "implemented: the extra singular vectors are not determined by the input; use full_matrices=False"
    return None


def _reduced_svd(op: SVD, node: Apply) -> tuple[Any, Any, Any]:
    if op.compute_uv:
        u, s, vh = node.outputs
        return u, s, vh
    u, s, vh = SVD(False, True, op.hermitian)(node.inputs[0])
    return u, s, vh


@register_pullback(SVD)
def svd_pullback(op: SVD, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    a = node.inputs[0]
    if all(g is None for g in output_grads):
        return [None]
    reason = _svd_unsupported(op, a)
    if reason is not None:
        return [undefined_grad(op, 0, reason)]
    g_u, g_s, g_vh = output_grads if op.compute_uv else (None, output_grads[0], None)
    u, s, vh = _reduced_svd(op, node)
    v = mT(vh)
    s = cast_to(s, u)
    inner = zeros_like(mm(mT(u), u)) if g_s is None else diagonal_matrix(cast_to(g_s, u))
    extra = None
    if g_u is not None or g_vh is not None:
        f = gap_reciprocals(s, squared=True)
        if g_u is not None:
            j = multiply(f, mm(mT(u), g_u) - mm(mT(g_u), u))
            inner = inner + _column_scale(j, s)
            leftover = mm(eye(size_of(u, -2), u.type.dtype) - mm(u, mT(u)), _column_scale(g_u, 1.0 / s), vh)
            extra = leftover
        if g_vh is not None:
            g_v = mT(g_vh)
            k = multiply(f, mm(vh, g_v) - mm(mT(g_v), v))
            inner = inner + _row_scale(s, k)
            leftover = mm(_column_scale(u, 1.0 / s), mT(g_v), eye(size_of(v, -2), v.type.dtype) - mm(v, vh))
            extra = leftover if extra is None else extra + leftover
    g_a = mm(u, inner, vh)
    if extra is not None:
        g_a = g_a + extra
    return [cast_to(from_triangle_gradient(g_a, lower=True) if op.hermitian else g_a, a)]


@register_pushforward(SVD)
def svd_pushforward(op: SVD, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    a = node.inputs[0]
    reason = _svd_unsupported(op, a)
    if reason is not None:
        return [undefined_grad(op, 0, reason)] * len(node.outputs)
    t = symmetric_from_triangle(tangents[0], lower=True) if op.hermitian else tangents[0]
    u, s, vh = _reduced_svd(op, node)
    v = mT(vh)
    s = cast_to(s, u)
    projected = mm(mT(u), t, v)
    d_s = cast_to(diagonal(projected), node.outputs[1] if op.compute_uv else node.outputs[0])
    if not op.compute_uv:
        return [d_s]
    f = gap_reciprocals(s, squared=True)
    p_s = _column_scale(projected, s)
    s_p = _row_scale(s, projected)
    d_u = mm(u, multiply(f, p_s + mT(p_s)))
    d_u = d_u + mm(eye(size_of(u, -2), u.type.dtype) - mm(u, mT(u)), _column_scale(mm(t, v), 1.0 / s))
    d_v = mm(v, multiply(f, s_p + mT(s_p)))
    d_v = d_v + mm(eye(size_of(v, -2), v.type.dtype) - mm(v, vh), _column_scale(mm(mT(t), u), 1.0 / s))
    return [d_u, d_s, mT(d_v)]


# -- QR ------------------------------------------------------------------------------------------------------------


def _qr_unsupported(op: QR, a: Any) -> str | None:
    m, n = a.type.shape[-2:]
    if m is None or n is None or (op.mode == "complete" and m > n):
        return "the derivative of qr needs static matrix sizes, and mode='complete' of a tall matrix leaves " \
               "extra columns of Q that the input does not determine"
    return None


def _is_wide(a: Any) -> bool:
    m, n = a.type.shape[-2:]
    return m < n


def _wide_qr(a: Any) -> tuple[Any, Any]:
    """QR of a wide matrix ``[X | Y]`` written with the QR of its square part: ``Q, U = qr(X)``, ``R = [U, Q^T Y]``."""
    m = a.type.shape[-2]
    q, u = QR("reduced")(a[..., :, :m])
    return q, concatenate([u, mm(mT(q), a[..., :, m:])], axis=-1)


def _reduced_qr(op: QR, node: Apply) -> tuple[Any, Any]:
    if op.mode == "r":
        q, r = QR("reduced")(node.inputs[0])
        return q, r
    q, r = node.outputs
    return q, r


def _copy_lower_to_upper(x: Any) -> Any:
    return symmetric_from_triangle(x, lower=True)


def _right_solve_r_transpose(x: Any, r: Any) -> Any:
    """``x @ inv(r)^T``."""
    return mT(Solve()(r, mT(x)))


@register_pullback(QR)
def qr_pullback(op: QR, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    a = node.inputs[0]
    if all(g is None for g in output_grads):
        return [None]
    reason = _qr_unsupported(op, a)
    if reason is not None:
        return [undefined_grad(op, 0, reason)]
    g_q, g_r = (None, output_grads[0]) if op.mode == "r" else output_grads
    if _is_wide(a):
        q, r = _wide_qr(a)
        known = {v: g for v, g in ((q, g_q), (r, g_r)) if g is not None}
        return [grad(None, a, known_grads=known)]
    q, r = _reduced_qr(op, node)
    g_q = zeros_like(q) if g_q is None else g_q
    g_r = zeros_like(r) if g_r is None else g_r
    m = mm(r, mT(g_r)) - mm(mT(g_q), q)
    return [cast_to(_right_solve_r_transpose(g_q + mm(q, _copy_lower_to_upper(m)), r), a)]


@register_pushforward(QR)
def qr_pushforward(op: QR, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    a = node.inputs[0]
    reason = _qr_unsupported(op, a)
    if reason is not None:
        return [undefined_grad(op, 0, reason)] * len(node.outputs)
    if _is_wide(a):
        q, r = _wide_qr(a)
        outputs = [r] if op.mode == "r" else [q, r]
        return Rop(outputs, a, tangents[0])
    q, r = _reduced_qr(op, node)
    dx_rinv = mT(Solve()(mT(r), mT(tangents[0])))  # dA @ inv(r)
    qt_dx_rinv = mm(mT(q), dx_rinv)
    lower = triangle(qt_dx_rinv, lower=True, strict=True)
    skew = lower - mT(lower)
    d_q = mm(q, skew - qt_dx_rinv) + dx_rinv
    d_r = mm(qt_dx_rinv - skew, r)
    return [d_r] if op.mode == "r" else [d_q, d_r]
