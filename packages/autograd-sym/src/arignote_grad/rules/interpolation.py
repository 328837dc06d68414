"""``interp``: piecewise-linear interpolation is linear in ``fp`` and has the segment's slope in ``x``.

With ``j`` the segment of ``x`` (``xp[j-1] <= x <= xp[j]``) and ``t`` its position in it, the output is
``(1 - t) fp[j-1] + t fp[j]``; outside ``[xp[0], xp[-1]]`` it is ``left``/``right`` (by default ``fp[0]``/
``fp[-1]``) and does not move with ``x``. With a ``period``, the op is rewritten as NumPy computes it (``x`` and
``xp`` taken modulo the period, the knots sorted and extended by one on each side) and that graph is
differentiated. The derivatives in the knots ``xp`` and in the period are not implemented (explicitly
undefined).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply, as_tensor
from arignote_core.tensors.extra_math import Interp
from arignote_core.tensors.join import concatenate
from arignote_core.tensors.math import (
    clip,
    greater,
    less,
    logical_and,
    multiply,
    remainder,
    subtract,
    true_divide,
    where,
)
from arignote_core.tensors.selection import take
from arignote_core.tensors.sorting import argsort, searchsorted
from arignote_core.tensors.subtensor_update import inc_subtensor

from ..errors import undefined_grad
from ..forward import Rop
from ..registry import register_pullback, register_pushforward
from ..reverse import grad
from ..tensor_utils import cast_to, zeros_like


def _segments(node: Apply) -> tuple[Any, Any, Any, Any]:
    """Right end index ``j`` of each x's segment, its position ``t``, and masks of x below/above the knots."""
    x, xp = as_tensor(node.inputs[0]), as_tensor(node.inputs[1])
    last = xp.shape[0] - 1
    j = clip(searchsorted(xp, x, side="right"), 1, last)
    t = true_divide(subtract(x, xp[j - 1]), subtract(xp[j], xp[j - 1]))
    return j, t, less(x, xp[0]), greater(x, xp[last])


def _slope(node: Apply) -> Any:
    fp, xp = as_tensor(node.inputs[2]), as_tensor(node.inputs[1])
    j, _, below, above = _segments(node)
    slope = true_divide(subtract(fp[j], fp[j - 1]), subtract(xp[j], xp[j - 1]))
    return where(below, 0.0, where(above, 0.0, slope))


def _fp_gradient(node: Apply, g: Any) -> Any:
    has_left, has_right, _ = node.op.has
    fp = as_tensor(node.inputs[2])
    j, t, below, above = _segments(node)
    inside = logical_and(~below, ~above)
    right_weight = where(inside, multiply(g, t), 0.0)
    left_weight = where(inside, subtract(g, multiply(g, t)), 0.0)
    flat = [v.reshape((-1,)) for v in (j, right_weight, left_weight)]
    out = inc_subtensor(zeros_like(fp)[flat[0]], flat[1])
    out = inc_subtensor(out[flat[0] - 1], flat[2])
    if not has_left:
        out = inc_subtensor(out[0], where(below, g, 0.0).sum())
    if not has_right:
        out = inc_subtensor(out[-1], where(above, g, 0.0).sum())
    return cast_to(out, fp)


def _without_period(node: Apply) -> Any:
    """The periodic interpolation of ``node`` as a plain one, the way NumPy computes it."""
    x, xp, fp, period = node.inputs
    order = argsort(remainder(xp, period))
    knots, values = take(remainder(xp, period), order), take(fp, order)
    knots = concatenate([knots[-1:] - period, knots, knots[:1] + period])
    values = concatenate([values[-1:], values, values[:1]])
    return Interp((False, False, False))(remainder(x, period), knots, values)


def _xp_undefined(op: Interp) -> Any:
    return undefined_grad(op, 1, "the derivative of interp in the knots xp is not implemented")


@register_pullback(Interp)
def interp_pullback(op: Interp, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None] * len(node.inputs)
    x, fp = node.inputs[0], node.inputs[2]
    if op.has[2]:
        g_x, g_fp = grad(None, [x, fp], known_grads={_without_period(node): gz}, disconnected_inputs="ignore")
        return [g_x, _xp_undefined(op), g_fp, undefined_grad(op, 3, "the derivative of interp in its period is "
                                                                 "not implemented")]
    grads = [cast_to(multiply(gz, _slope(node)), x), _xp_undefined(op), _fp_gradient(node, gz)]
    _, _, below, above = _segments(node)
    extra = iter(node.inputs[3:])
    for has, mask in zip(op.has[:2], (below, above), strict=True):
        if has:
            bound = next(extra)
            grads.append(cast_to(where(mask, gz, 0.0).sum(), bound))
    return grads


@register_pushforward(Interp)
def interp_pushforward(op: Interp, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    if tangents[1] is not None:
        return [_xp_undefined(op)]
    if op.has[2]:
        x, _, fp, _ = node.inputs
        if tangents[3] is not None:
            return [undefined_grad(op, 3, "the derivative of interp in its period is not implemented")]
        wrt = [(v, t) for v, t in ((x, tangents[0]), (fp, tangents[2])) if t is not None]
        return [Rop(_without_period(node), [v for v, _ in wrt], [t for _, t in wrt])]
    t_x, _, t_fp, *t_bounds = tangents
    j, t, below, above = _segments(node)
    total: Any = None
    if t_x is not None:
        total = multiply(t_x, _slope(node))
    if t_fp is not None:
        has_left, has_right, _ = op.has
        inside = (1.0 - t) * t_fp[j - 1] + t * t_fp[j]
        outside_left = 0.0 if has_left else t_fp[0]
        outside_right = 0.0 if has_right else t_fp[-1]
        term = where(below, outside_left, where(above, outside_right, inside))
        total = term if total is None else total + term
    bounds = iter(t_bounds)
    for has, mask in zip(op.has[:2], (below, above), strict=True):
        if has:
            t_bound = next(bounds)
            if t_bound is not None:
                term = where(mask, t_bound, 0.0)
                total = term if total is None else total + term
    return [None if total is None else cast_to(total, node.outputs[0])]
