"""ScalarType: the type of the variables inside a fused scalar expression (Composite)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dtypes import as_dtype, weak_spec
from ..graph import Constant, Type, Variable


@dataclass(frozen=True, init=False)
class ScalarType(Type):
    """One number of ``dtype``."""

    dtype: str

    def __init__(self, dtype: Any) -> None:
        object.__setattr__(self, "dtype", as_dtype(dtype))

    def filter(self, value: Any, *, allow_downcast: bool = False) -> np.ndarray:
        array = np.asarray(value)
        if array.ndim != 0:
            raise TypeError(f"expected a {self.dtype} scalar, got an array of shape {array.shape}")
        if array.dtype.name != self.dtype and not allow_downcast and not np.can_cast(array.dtype, self.dtype):
            raise TypeError(f"expected a {self.dtype} scalar, got {array.dtype}")
        return array.astype(self.dtype)

    def __str__(self) -> str:
        return f"{self.dtype}"


class ScalarVariable(Variable[ScalarType]):
    """A variable of a scalar expression."""


class ScalarConstant(Constant, ScalarVariable):
    """A constant of a scalar expression."""


ScalarType.variable_class = ScalarVariable
ScalarType.constant_class = ScalarConstant


def as_scalar(value: Any) -> Variable:
    """``value`` as a scalar variable: scalar variables pass, numbers become (weak, for Python's) constants."""
    if isinstance(value, Variable):
        if not isinstance(value.type, ScalarType):
            raise TypeError(f"expected a scalar variable, got {value} of type {value.type}")
        return value
    if value.__class__ in (bool, int, float, complex):  # Python scalars are weak (NumPy 2)
        weak_spec(value)
        return ScalarConstant(ScalarType(np.asarray(value).dtype), value, weak=True)
    array = np.asarray(value)
    return ScalarConstant(ScalarType(array.dtype), array)
