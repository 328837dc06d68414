"""Elementwise math for writing derivatives once and building them on tensors or inside a Composite.

``m.exp(x)``, ``m.true_divide(a, b)``... apply the scalar op of that NumPy name: as an ``Elemwise`` node on
tensors (``TENSOR_MATH``) or directly on scalar variables (``SCALAR_MATH``, for the scalar graph of a fused
Composite). ``mul``, ``add``, ``div`` and ``neg`` simplify products by 1 and -1 and double negations as they build,
which keeps gradient graphs lean before any rewrite runs. Python numbers are weak constants, so a derivative
computed for float32 inputs stays float32.
"""

from __future__ import annotations

from typing import Any

from arignote_core import Elemwise, Variable, cast
from arignote_core.scalars import SCALAR_OPS, Cast

from ..tensor_utils import is_constant_value


class ElementwiseMath:
    """Builds elementwise expressions on tensors (``on_tensors``) or on scalar variables."""

    def __init__(self, on_tensors: bool) -> None:
        self.on_tensors = on_tensors

    def apply(self, name: str, *args: Any) -> Variable:
        op = SCALAR_OPS[name]
        return Elemwise(op)(*args) if self.on_tensors else op(*args)

    def __getattr__(self, name: str) -> Any:
        if name in SCALAR_OPS:
            return lambda *args: self.apply(name, *args)
        raise AttributeError(f"no elementwise op named {name!r}")

    def cast(self, x: Variable, dtype: str) -> Variable:
        """``x`` in ``dtype``; the real part of a complex ``x`` for a real ``dtype`` (JAX's convention)."""
        if x.type.dtype == dtype:
            return x
        if x.type.dtype.startswith("complex") and not dtype.startswith("complex"):
            x = self.apply("real", x)
            if x.type.dtype == dtype:
                return x
        return cast(x, dtype) if self.on_tensors else Cast(dtype)(x)

    # -- simplifying builders ----------------------------------------------------------------------------

    def mul(self, a: Any, b: Any) -> Any:
        for one, other in ((a, b), (b, a)):
            if is_constant_value(one, 1):
                return other
            if is_constant_value(one, -1):
                return self.neg(other)
        return self.apply("multiply", a, b)

    def div(self, a: Any, b: Any) -> Any:
        if is_constant_value(b, 1):
            return a
        return self.apply("true_divide", a, b)

    def add(self, a: Any, b: Any) -> Any:
        if is_constant_value(a, 0):
            return b
        if is_constant_value(b, 0):
            return a
        return self.apply("add", a, b)

    def sub(self, a: Any, b: Any) -> Any:
        if is_constant_value(b, 0):
            return a
        return self.apply("subtract", a, b)

    def neg(self, a: Any) -> Any:
        owner = getattr(a, "owner", None)
        if owner is not None and _scalar_op_name(owner.op) == "negative":
            return owner.inputs[0]
        return self.apply("negative", a)


def _scalar_op_name(op: Any) -> str | None:
    scalar = op.scalar_op if isinstance(op, Elemwise) else op
    return getattr(scalar, "name", None)


TENSOR_MATH = ElementwiseMath(on_tensors=True)
SCALAR_MATH = ElementwiseMath(on_tensors=False)
