"""Run-time checks: ``CheckAndRaise`` (pass a value through once conditions hold) and ``SpecifyShape``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..graph import Apply, Constant, Op, Variable
from .basic import _index_scalar, as_tensor, static_int
from .type import TensorType, format_shape
from .variable import TensorVariable

#: The errors a check may raise, by name (a rewrite that moves a check keeps the error the user would see).
CHECK_ERRORS: dict[str, type[Exception]] = {"ValueError": ValueError, "IndexError": IndexError}


@dataclass(frozen=True)
class CheckAndRaise(Op):
    """``x`` unchanged once every condition input holds (all true); otherwise ``error(message)`` (an error named
    in :data:`CHECK_ERRORS`)."""

    message: str
    error: str = "ValueError"
    is_guard: ClassVar[bool] = True
    view_map: ClassVar[dict[int, list[int]]] = {0: [0]}

    def __post_init__(self) -> None:
        if self.error not in CHECK_ERRORS:
            raise ValueError(f"a check raises one of {sorted(CHECK_ERRORS)}, got {self.error!r}")

    def make_node(self, x: Any, *conditions: Any) -> Apply:
        x = as_tensor(x)
        conds = [as_tensor(c) for c in conditions]
        return Apply(self, [x, *conds], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, *conditions = inputs
        if not all(bool(np.all(c)) for c in conditions):
            raise CHECK_ERRORS[self.error](self.message)
        return [x]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]

    def __str__(self) -> str:
        return f"CheckAndRaise{{{self.message[:40]}}}"


def check(x: Any, message: str, *conditions: Any, error: str = "ValueError") -> Any:
    """``x``, failing at run time with ``error(message)`` unless every condition holds; conditions known to be
    true at build time are dropped, and one known to be false fails now."""
    pending = []
    for c in conditions:
        known = c.data if isinstance(c, Constant) else c
        if isinstance(known, bool | np.bool_) or (isinstance(known, np.ndarray) and known.dtype == bool):
            if not np.all(known):
                raise CHECK_ERRORS[error](message)
            continue
        pending.append(c)
    if not pending:
        return as_tensor(x)
    return CheckAndRaise(message, error)(x, *pending)


@dataclass(frozen=True)
class SpecifyShape(Op):
    """``x`` with its shape stated: ``given[i]`` says whether axis i has a size input; sizes known at build
    time refine the static type, the others are checked at run time."""

    given: tuple[bool, ...]
    view_map: ClassVar[dict[int, list[int]]] = {0: [0]}

    def make_node(self, x: Any, *sizes: Any) -> Apply:
        x = as_tensor(x)
        if x.ndim != len(self.given):
            raise ValueError(f"specify_shape: {x} has {x.ndim} dimensions, the shape has {len(self.given)}")
        dims = [_index_scalar(s, "a specify_shape size") for s in sizes]
        static = list(x.type.shape)
        values = iter(dims)
        for axis, given in enumerate(self.given):
            if not given:
                continue
            size = static_int(next(values))
            if size is not None:
                if static[axis] not in (None, size):
                    raise ValueError(f"specify_shape: axis {axis} of {x} has static size {static[axis]}, "
                                     f"not {size}")
                static[axis] = size
        return Apply(self, [x, *dims], [TensorType(x.dtype, static)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, *sizes = inputs
        wanted = iter(sizes)
        expected = tuple(int(next(wanted)) if g else None for g in self.given)
        if any(e is not None and e != s for e, s in zip(expected, x.shape, strict=True)):
            raise ValueError(f"specify_shape: the value has shape {x.shape}, the graph says "
                             f"{format_shape(expected)}")
        return [x]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        sizes = iter(node.inputs[1:])
        return [tuple(next(sizes) if g else s for g, s in zip(self.given, input_shapes[0], strict=True))]


def specify_shape(x: Any, shape: Sequence[Any]) -> TensorVariable:
    """``x`` stated to have ``shape`` (ints, int scalars, or None for a size left unsaid): the static type
    takes what is known; a wrong value fails at run time."""
    x = as_tensor(x)
    if isinstance(shape, Constant) and np.ndim(shape.data) == 1:
        shape = [int(v) for v in shape.data]
    elif isinstance(shape, Variable) and shape.type.ndim == 1:
        length = shape.type.shape[0]
        if length is None:
            raise ValueError(f"specify_shape: a shape vector needs a static length, got {shape.type}")
        shape = [shape[i] for i in range(length)]
    elif isinstance(shape, int | np.integer | Variable):
        shape = (shape,)
    given = tuple(s is not None for s in shape)
    if not any(given):
        return x
    return SpecifyShape(given)(x, *(s for s in shape if s is not None))

__all__ = ["CheckAndRaise", "SpecifyShape", "check", "specify_shape"]
