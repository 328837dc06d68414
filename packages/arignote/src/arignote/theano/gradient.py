"""``theano.gradient``: ``grad`` and its relatives (autograd-sym's, which take Theano's arguments),
``consider_constant``, ``grad_not_implemented``/``grad_undefined`` for an op's own derivative, ``verify_grad``.

An Arignote op gives its derivative as a ``pullback`` method or a registered rule, not Theano's ``Op.grad``;
``grad_undefined(op, i, x)`` is what such a rule returns for an input without a derivative."""

from __future__ import annotations

from typing import Any

from arignote_core import Op
from arignote_grad import (
    Lop,
    Rop,
    UndefinedGrad,
    disconnected_grad,
    grad,
    grad_clip,
    grad_scale,
    hessian,
    jacobian,
    undefined_grad,
    verify_grad,
    zero_grad,
)

__all__ = ["Lop", "Rop", "consider_constant", "disconnected_grad", "grad", "grad_clip", "grad_not_implemented",
           "grad_scale", "grad_undefined", "hessian", "jacobian", "verify_grad", "zero_grad"]

#: Theano's ``consider_constant(x)``: ``x``, through which no gradient flows (zero)
consider_constant = zero_grad


def grad_undefined(op: Op, x_pos: int, x: Any, comment: str = "") -> UndefinedGrad:
    """The gradient of input ``x_pos`` of ``op``, which does not exist (asking for it is an error)."""
    return undefined_grad(op, x_pos, comment or f"the gradient of {op} with respect to input {x_pos} is undefined")


def grad_not_implemented(op: Op, x_pos: int, x: Any, comment: str = "") -> UndefinedGrad:
    """The gradient of input ``x_pos`` of ``op``, which nobody has written (asking for it is an error)."""
    return undefined_grad(op, x_pos, comment or f"the gradient of {op} with respect to input {x_pos} is not "
                          "implemented")
