"""Shared variables: values that live across calls of compiled functions and that updates change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .graph import Type, Variable


class SharedVariable(Variable):
    """A named, mutable value; compiled functions read it and may update it."""

    def __init__(self, type: Type, value: Any, name: str | None = None, borrow: bool = False) -> None:
        super().__init__(type, name=name)
        self._value = type.filter(value if borrow else _copy(value))
        #: the update a compiled function applies when it uses this variable and gives no update of its own
        #: (a random generator's state advancing after each draw)
        self.default_update: Variable | None = None

    def get_value(self, borrow: bool = False) -> Any:
        """The current value (a copy unless ``borrow``)."""
        return self._value if borrow else _copy(self._value)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the value; it is checked against the variable's type (a copy is kept unless ``borrow``)."""
        try:
            self._value = self.type.filter(value if borrow else _copy(value))
        except TypeError as exc:
            raise TypeError(f"set_value of shared variable {self}: {exc}") from None

    def store(self, value: Any) -> None:
        """Set a value already known to have the right type (compiled functions' updates), without checks."""
        self._value = value

    def clone(self) -> SharedVariable:
        return self


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


def shared(value: Any, name: str | None = None, borrow: bool = False, shape: Sequence[int | None] | None = None,
           dtype: Any = None) -> Any:
    """A shared tensor holding ``value``; its static shape is unknown (None) per axis unless ``shape`` says."""
    from .tensors.sharedvar import TensorSharedVariable
    from .tensors.type import TensorType

    if isinstance(value, Variable):
        raise TypeError(f"shared() takes a value, not the symbolic variable {value}")
    array = np.asarray(value, dtype=dtype)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"shared() takes a numeric array, got {type(value).__name__}")
    static = (None,) * array.ndim if shape is None else tuple(shape)
    return TensorSharedVariable(TensorType(array.dtype, static), array, name=name, borrow=borrow)
