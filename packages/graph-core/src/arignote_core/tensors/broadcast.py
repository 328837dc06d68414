"""Broadcasting as ops of their own: ``BroadcastTo`` (NumPy's ``broadcast_to``) and ``SumToShape`` (its transpose).

Gradients need both: the gradient of a broadcast is a sum over the broadcast axes, and with NumPy's semantics an
axis may be broadcast only at run time (a size that is 1 in one call and not in the next), so which axes to sum
is decided when the op runs, from the target shape. The target shape is an int64 vector input; what is known of
it at build time (a constant, ``shape(y)`` of a statically shaped ``y``, a vector of scalars) gives the static
shape of the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..graph import Apply, Constant, Op, Variable
from .basic import MakeVector, Shape, _shape_vector, as_tensor, static_int
from .type import TensorType, format_shape
from .variable import TensorVariable


def static_shape_of(vector: Variable) -> tuple[int | None, ...]:
    """What is known at build time of the shape held by an int64 ``vector`` (None where only run time tells)."""
    length = vector.type.shape[0]
    if isinstance(vector, Constant):
        return tuple(int(v) for v in np.asarray(vector.data))
    owner = vector.owner
    if owner is not None and isinstance(owner.op, Shape):
        return tuple(owner.inputs[0].type.shape)
    if owner is not None and isinstance(owner.op, MakeVector):
        return tuple(static_int(v) for v in owner.inputs)
    return (None,) * length


def _target(shape_value: Any, what: str) -> tuple[Variable, tuple[int | None, ...]]:
    vec, static = _shape_vector(shape_value)
    refined = static_shape_of(vec)
    static = tuple(s if s is not None else r for s, r in zip(static, refined, strict=True))
    if any(s is not None and s < 0 for s in static):
        raise ValueError(f"{what}: negative size in target shape {format_shape(static)}")
    return vec, static


def _shape_entries(vector: Variable, static: tuple[int | None, ...]) -> tuple[Any, ...]:
    return tuple(s if s is not None else vector[i] for i, s in enumerate(static))  # type: ignore[index]


@dataclass(frozen=True)
class BroadcastTo(Op):
    """``numpy.broadcast_to(x, shape)``: ``x`` repeated along new leading axes and along its size-1 axes.

    The result is a read-only view, as in NumPy.
    """

    view_map: ClassVar[dict[int, list[int]]] = {0: [0]}

    def make_node(self, x: Any, shape_value: Any) -> Apply:
        x = as_tensor(x)
        vec, target = _target(shape_value, "broadcast_to")
        if x.ndim > len(target):
            raise ValueError(f"broadcast_to: cannot broadcast {x} of type {x.type} to {len(target)} dimensions "
                             f"(shape {format_shape(target)})")
        lead = len(target) - x.ndim
        out: list[int | None] = list(target[:lead])
        for axis, (have, want) in enumerate(zip(x.type.shape, target[lead:], strict=True)):
            if have is not None and want is not None and have not in (1, want):
                raise ValueError(f"broadcast_to: cannot broadcast {x} of shape {format_shape(x.type.shape)} to "
                                 f"shape {format_shape(target)}: axis {axis} has size {have}")
            out.append(want if want is not None else (have if have not in (None, 1) else None))
        return Apply(self, [x, vec], [TensorType(x.dtype, out)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, shape_value = inputs
        return [np.broadcast_to(x, tuple(int(s) for s in shape_value))]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [_shape_entries(node.inputs[1], node.outputs[0].type.shape)]


@dataclass(frozen=True)
class SumToShape(Op):
    """Sum ``x`` down to ``shape``, undoing a broadcast from ``shape``: the leading axes ``x`` has beyond
    ``len(shape)`` are summed away, and so is every axis where ``shape`` has size 1 and ``x`` does not.

    Every other axis must already have the target size. Which axes are summed is decided at run time, so the
    op is right even where an axis was of size 1 only in this call. With nothing to sum the result is ``x``
    itself (in C too), hence the view.
    """

    view_map: ClassVar[dict[int, list[int]]] = {0: [0]}

    def make_node(self, x: Any, shape_value: Any) -> Apply:
        x = as_tensor(x)
        vec, target = _target(shape_value, "sum_to_shape")
        if len(target) > x.ndim:
            raise ValueError(f"sum_to_shape: cannot sum {x} of type {x.type} to the longer shape "
                             f"{format_shape(target)}")
        lead = x.ndim - len(target)
        for axis, (have, want) in enumerate(zip(x.type.shape[lead:], target, strict=True)):
            if have is not None and want is not None and want not in (1, have):
                raise ValueError(f"sum_to_shape: cannot sum {x} of shape {format_shape(x.type.shape)} to shape "
                                 f"{format_shape(target)}: axis {lead + axis} has size {have}, the target {want}")
        return Apply(self, [x, vec], [TensorType(x.dtype, target)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, shape_value = inputs
        target = tuple(int(s) for s in shape_value)
        return [sum_to_shape_value(x, target)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [_shape_entries(node.inputs[1], node.outputs[0].type.shape)]


def sum_to_shape_value(x: np.ndarray, target: tuple[int, ...]) -> np.ndarray:
    """NumPy reference of :class:`SumToShape`."""
    lead = x.ndim - len(target)
    if lead < 0 or any(want not in (1, have) for have, want in zip(x.shape[lead:], target, strict=True)):
        raise ValueError(f"sum_to_shape: cannot sum an array of shape {format_shape(x.shape)} to shape "
                         f"{format_shape(target)}")
    pairs = enumerate(zip(x.shape[lead:], target, strict=True))
    axes = tuple(range(lead)) + tuple(lead + i for i, (have, want) in pairs if want == 1 and have != 1)
    if not axes:
        return x
    return np.sum(x, axis=axes, dtype=x.dtype).reshape(target)


def broadcast_to(x: Any, shape_value: Any) -> TensorVariable:
    """``x`` broadcast to ``shape_value`` (ints, scalar variables or an int vector such as ``y.shape``)."""
    return BroadcastTo()(x, shape_value)


def sum_to_shape(x: Any, shape_value: Any) -> TensorVariable:
    """``x`` summed down to ``shape_value``: the transpose of ``broadcast_to``."""
    return SumToShape()(x, shape_value)
