"""ScalarType: the type of the variables inside a fused scalar expression (Composite)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dtypes import as_dtype
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


class ScalarVariable(Variable):
    """A variable of a scalar expression."""


class ScalarConstant(Constant, ScalarVariable):
    """A constant of a scalar expression."""


ScalarType.variable_class = ScalarVariable
ScalarType.constant_class = ScalarConstant
