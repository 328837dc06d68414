"""Derivative rules, keyed by op class (like JAX's per-primitive rule tables).

- A *pullback* (reverse rule) ``fn(op, node, output_grads) -> list``: one entry per input of ``node``; each
  ``output_grads[i]`` is a Variable or None (no gradient reaches that output). An entry is a Variable of the
  input's type, None when the input is disconnected, or ``undefined_grad(op, i, reason)``.
- A *pushforward* (forward rule) ``fn(op, node, input_tangents) -> list``: one tangent per output; None tangents
  mean zero.
- An elementwise *scalar derivative* ``fn(m, g, i, inputs, output)``: ``g`` times the derivative of the scalar
  op's output with respect to input ``i``, built with the elementwise math ``m`` (on tensors, or on scalars
  inside a Composite). Elementwise ops have a diagonal Jacobian, so this one product serves both directions:
  the pullback passes the output gradient as ``g``, the pushforward each input tangent. It returns None when the
  output does not depend on input ``i``, :data:`ZERO` when the derivative is zero (piecewise-constant functions
  such as ``floor``), or an undefined gradient.

An op class with no registered rule may define the rule as a method (``pullback(self, node, output_grads)``,
``pushforward(self, node, input_tangents)``, or for scalar ops ``derivative(self, m, g, i, inputs, output)``);
the lookup walks the op's class hierarchy and takes the first registered rule or method it finds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from arignote_core import Op

Rule = Callable[..., Any]
R = TypeVar("R", bound=Rule)


class _Zero:
    """The derivative is identically zero (but the output does depend on the input, as a step function does)."""

    def __repr__(self) -> str:
        return "ZERO"


#: What a scalar derivative returns for a zero derivative.
ZERO = _Zero()

_PULLBACKS: dict[type, Rule] = {}
_PUSHFORWARDS: dict[type, Rule] = {}
_SCALAR_DERIVATIVES: dict[type, Rule] = {}


def _register(table: dict[type, Rule], op_class: type) -> Callable[[R], R]:
    if not isinstance(op_class, type):
        raise TypeError(f"rules are registered for an op class, got {op_class!r}")

    def decorate(fn: R) -> R:
        table[op_class] = fn
        return fn

    return decorate


def register_pullback(op_class: type) -> Callable[[R], R]:
    """Decorator: ``fn(op, node, output_grads)`` is the reverse rule of ``op_class`` (and its subclasses)."""
    return _register(_PULLBACKS, op_class)


def register_pushforward(op_class: type) -> Callable[[R], R]:
    """Decorator: ``fn(op, node, input_tangents)`` is the forward rule of ``op_class`` (and its subclasses)."""
    return _register(_PUSHFORWARDS, op_class)


def register_linear(*op_classes: type, argnum: int = 0) -> None:
    """Give ops linear in their input ``argnum`` (the other inputs are parameters: shapes, indices, counts) their
    pushforward: the op itself applied to that input's tangent, as JAX's ``deflinear``."""
    def pushforward(op: Any, node: Any, tangents: Sequence[Any]) -> list[Any]:
        if tangents[argnum] is None:
            return [None] * len(node.outputs)
        return [op(*(tangents[argnum] if i == argnum else x for i, x in enumerate(node.inputs)))]

    for op_class in op_classes:
        _register(_PUSHFORWARDS, op_class)(pushforward)


def register_scalar_derivative(op_class: type) -> Callable[[R], R]:
    """Decorator: ``fn(m, g, i, inputs, output)`` is the elementwise derivative of the scalar op ``op_class``."""
    return _register(_SCALAR_DERIVATIVES, op_class)


def _lookup(table: dict[type, Rule], method: str, op: Any) -> Rule | None:
    for cls in type(op).__mro__:
        if cls in table:
            return table[cls]
        if method in vars(cls):
            return _method_rule(method)
    return None


def _method_rule(method: str) -> Rule:
    def call(op: Any, *args: Any) -> Any:
        return getattr(op, method)(*args)

    return call


def pullback_rule(op: Op) -> Rule | None:
    """The reverse rule for ``op`` as ``fn(op, node, output_grads)``, or None when it has none."""
    return _lookup(_PULLBACKS, "pullback", op)


def pushforward_rule(op: Op) -> Rule | None:
    """The forward rule for ``op`` as ``fn(op, node, input_tangents)``, or None when it has none."""
    return _lookup(_PUSHFORWARDS, "pushforward", op)


def scalar_derivative(op: Any) -> Rule | None:
    """The elementwise derivative of the scalar op ``op`` as ``fn(m, g, i, inputs, output)``, or None."""
    for cls in type(op).__mro__:
        if cls in _SCALAR_DERIVATIVES:
            return _SCALAR_DERIVATIVES[cls]
        if "derivative" in vars(cls):
            return lambda m, g, i, inputs, output: op.derivative(m, g, i, inputs, output)
    return None


def registered_op_classes() -> dict[str, list[type]]:
    """The op classes with registered rules, by kind (for listings and the conformance suite)."""
    return {"pullback": list(_PULLBACKS), "pushforward": list(_PUSHFORWARDS),
            "scalar_derivative": list(_SCALAR_DERIVATIVES)}
