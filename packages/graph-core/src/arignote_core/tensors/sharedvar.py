"""Shared tensors: shared variables with the tensor operators."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..graph import Variable
from ..shared import SharedVariable
from .type import TensorType
from .variable import TensorVariable


class TensorSharedVariable(TensorVariable, SharedVariable):
    """A shared variable holding an ndarray."""


#: constructors that floors above register for values that are not arrays (the sparse floor's scipy.sparse
#: matrices): ``make(value, name=, borrow=, shape=, dtype=)`` gives a shared variable, or None when the value is
#: not one it takes
SHARED_CONSTRUCTORS: list[Callable[..., Any]] = []


def register_shared_constructor(make: Callable[..., Any]) -> None:
    """Have ``shared`` try ``make`` first (see ``SHARED_CONSTRUCTORS``)."""
    SHARED_CONSTRUCTORS.append(make)


def shared(value: Any, name: str | None = None, borrow: bool = False, shape: Sequence[int | None] | None = None,
           dtype: Any = None, device: str = "cpu") -> Any:
    """A shared tensor holding ``value``; its static shape is unknown (None) per axis unless ``shape`` says.
    ``device="cuda"``: a CUDA backend keeps it on the device between calls (``SharedVariable``)."""
    if isinstance(value, Variable):
        raise TypeError(f"shared() takes a value, not the symbolic variable {value}")
    for make in SHARED_CONSTRUCTORS:
        made = make(value, name=name, borrow=borrow, shape=shape, dtype=dtype)
        if made is not None:
            if device != "cpu":
                raise ValueError(f"shared(): a {type(made).__name__} stays on the host; device must be 'cpu', "
                                 f"not {device!r}")
            return made
    array = np.asarray(value, dtype=dtype)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"shared() takes a numeric array, got {type(value).__name__}")
    static = (None,) * array.ndim if shape is None else tuple(shape)
    return TensorSharedVariable(TensorType(array.dtype, static), array, name=name, borrow=borrow, device=device)
