"""Scalar types and ops: the elementwise vocabulary shared by fusion and every code generator."""

from __future__ import annotations

from .basic import SCALAR_OPS, Cast, Clip, FloatOp, Identity, ScalarOp, Switch, UfuncOp
from .composite import Composite
from .parts import Complex, Imag, Real
from .type import ScalarConstant, ScalarType, ScalarVariable, as_scalar

__all__ = ["SCALAR_OPS", "Cast", "Clip", "Complex", "Composite", "FloatOp", "Identity", "Imag", "Real",
           "ScalarConstant", "ScalarOp", "ScalarType", "ScalarVariable", "Switch", "UfuncOp", "as_scalar"]
