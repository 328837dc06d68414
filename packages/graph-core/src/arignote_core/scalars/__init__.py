"""Scalar types and ops: the elementwise vocabulary shared by fusion and every code generator."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import weak_spec
from ..graph import Variable
from .basic import SCALAR_OPS, Cast, Clip, FloatOp, Identity, ScalarOp, Switch, UfuncOp
from .composite import Composite
from .parts import Imag, Real
from .type import ScalarConstant, ScalarType, ScalarVariable


def as_scalar(value: Any) -> Variable:
    """``value`` as a scalar variable: scalar variables pass, numbers become (weak, for Python's) constants."""
    if isinstance(value, Variable):
        if not isinstance(value.type, ScalarType):
            raise TypeError(f"expected a scalar variable, got {value} of type {value.type}")
        return value
    if value.__class__ in (bool, int, float, complex):  # `type` here is the .type submodule
        weak_spec(value)
        return ScalarConstant(ScalarType(np.asarray(value).dtype), value, weak=True)
    array = np.asarray(value)
    return ScalarConstant(ScalarType(array.dtype), array)


__all__ = ["SCALAR_OPS", "Cast", "Clip", "Composite", "FloatOp", "Identity", "Imag", "Real", "ScalarConstant",
           "ScalarOp", "ScalarType", "ScalarVariable", "Switch", "UfuncOp", "as_scalar"]
