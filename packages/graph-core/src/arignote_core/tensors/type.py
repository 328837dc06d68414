"""TensorType: a dtype and a static size (or None) per dimension."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..dtypes import as_dtype, can_cast_safely
from ..graph import Type, Variable

if TYPE_CHECKING:  # variable.py builds on this module
    pass


def format_shape(shape: Sequence[int | None]) -> str:
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def describe_value(value: Any) -> str:
    """'float32 array of shape (2, 3)', or the Python type of what is not array-like."""
    if isinstance(value, np.ndarray | np.generic):
        return f"{value.dtype} array of shape {format_shape(value.shape)}"
    return f"{type(value).__name__} {value!r}"[:120]


@dataclass(frozen=True, init=False)
class TensorType(Type):
    """Arrays of ``dtype`` with ``len(shape)`` dimensions; a dimension's static size is an int or None."""

    dtype: str
    shape: tuple[int | None, ...]

    def __init__(self, dtype: Any, shape: Sequence[int | None] = ()) -> None:
        object.__setattr__(self, "dtype", as_dtype(dtype))
        dims = tuple(None if s is None else int(s) for s in shape)
        if any(s is not None and s < 0 for s in dims):
            raise ValueError(f"static sizes must be >= 0 or None, got {format_shape(dims)}")
        object.__setattr__(self, "shape", dims)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return tuple(s == 1 for s in self.shape)

    def expected(self) -> str:
        return f"{self.dtype} array of shape {format_shape(self.shape)}"

    def filter(self, value: Any, *, allow_downcast: bool = False) -> np.ndarray:
        """``value`` as an ndarray of this type; refuses other shapes and casts that lose information."""
        array = self._convert(value, allow_downcast)
        if array.ndim != self.ndim:
            raise TypeError(f"expected {self.expected()}, got {describe_value(value)}: "
                            f"wrong number of dimensions ({array.ndim} instead of {self.ndim})")
        for axis, (want, got) in enumerate(zip(self.shape, array.shape, strict=True)):
            if want is not None and want != got:
                raise TypeError(f"expected {self.expected()}, got {describe_value(array)}: "
                                f"dimension {axis} has size {got}, the type requires {want}")
        return array

    def _convert(self, value: Any, allow_downcast: bool) -> np.ndarray:
        if isinstance(value, np.ndarray | np.generic):
            array = np.asarray(value)
            if array.dtype.name == self.dtype:
                return array
            if array.dtype.kind not in "biufc":
                raise TypeError(f"expected {self.expected()}, got {describe_value(value)}: not a numeric array")
            if allow_downcast or can_cast_safely(array.dtype.name, self.dtype):
                return array.astype(self.dtype)
            raise TypeError(f"expected {self.expected()}, got {describe_value(value)}: casting {array.dtype} "
                            f"to {self.dtype} could lose precision; cast it yourself, or compile the function "
                            "with allow_input_downcast=True")
        return self._convert_python(value, allow_downcast)

    def _convert_python(self, value: Any, allow_downcast: bool) -> np.ndarray:
        """Python scalars and (nested) lists: accepted when every value is representable exactly."""
        try:
            raw = np.asarray(value)
        except Exception as exc:  # whatever the value's own conversion raises (its __array__, a ragged list)
            raise TypeError(f"expected {self.expected()}, got {describe_value(value)}: not array-like "
                            f"({type(exc).__name__}: {exc})") from exc
        if raw.dtype.kind not in "biufc":
            raise TypeError(f"expected {self.expected()}, got {describe_value(value)}: not a numeric array")
        target = np.dtype(self.dtype)
        if allow_downcast or raw.dtype == target:
            return raw.astype(target)
        # Python numbers are weak, as in NumPy: they go into any type that represents them exactly
        # (a Python float into any float type).
        if target.kind == "c" or (target.kind == "f" and raw.dtype.kind in "biuf"):
            return raw.astype(target)
        if target.kind in "iu" and raw.dtype.kind in "biuf":
            with np.errstate(invalid="ignore"):
                converted = raw.astype(target)
            if np.all(converted == raw):
                return converted
        raise TypeError(f"expected {self.expected()}, got {describe_value(value)}: converting {raw.dtype} "
                        f"values to {self.dtype} would lose information")

    def is_compatible(self, other: Type) -> bool:
        if not isinstance(other, TensorType) or other.dtype != self.dtype or other.ndim != self.ndim:
            return False
        return all(a is None or b is None or a == b for a, b in zip(self.shape, other.shape, strict=True))

    def refine(self, var: Variable) -> Variable:
        """``var`` with a run-time check of the static sizes this type knows and ``var``'s type does not (a
        dimshuffle dropping an axis was built on its size being 1)."""
        have = var.type.shape
        if not any(w is not None and h is None for h, w in zip(have, self.shape, strict=True)):
            return var
        from .checks import specify_shape  # noqa: PLC0415  (checks builds on this module)

        return specify_shape(var, self.shape)

    def values_eq(self, a: Any, b: Any) -> bool:
        return bool(np.array_equal(a, b, equal_nan=self.dtype[0] in "fc"))

    def clone(self, dtype: Any = None, shape: Sequence[int | None] | None = None) -> TensorType:
        return TensorType(self.dtype if dtype is None else dtype, self.shape if shape is None else shape)

    def __str__(self) -> str:
        return f"{self.dtype}[{', '.join('?' if s is None else str(s) for s in self.shape)}]"

    def __repr__(self) -> str:
        return f"TensorType({self.dtype}, shape={self.shape})"
