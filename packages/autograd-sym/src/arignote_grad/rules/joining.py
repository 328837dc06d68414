"""Join (``concatenate``/``stack``) and Repeat: the gradient of a piece is the matching slice of the output's.

``repeat`` sends each output element's gradient back to the element it copies, with a scatter-add over the
positions ``repeat(arange(n), repeats)``, which covers scalar and per-element counts alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply, arange
from arignote_core.tensors.join import Join
from arignote_core.tensors.shaping import Repeat
from arignote_core.tensors.subtensor_update import AdvancedIncSubtensor

from ..registry import register_linear, register_pullback, register_pushforward
from ..tensor_utils import cast_to, zeros_like


def _axis_size(x: Any, axis: int) -> Any:
    size = x.type.shape[axis]
    return size if size is not None else x.shape[axis]


@register_pullback(Join)
def join_pullback(op: Join, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None] * len(node.inputs)
    before = (slice(None),) * op.axis
    grads = []
    start: Any = 0
    for x in node.inputs:
        stop = start + _axis_size(x, op.axis)
        grads.append(cast_to(gz[(*before, slice(start, stop))], x))
        start = stop
    return grads


@register_pushforward(Join)
def join_pushforward(op: Join, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    pieces = [zeros_like(x) if t is None else t for x, t in zip(node.inputs, tangents, strict=True)]
    return [cast_to(op(*pieces), node.outputs[0])]


def _repeat_sources(op: Repeat, node: Apply) -> Any:
    """For each output position along the axis, the input position it copies."""
    x, counts = node.inputs
    return Repeat(0)(arange(_axis_size(x, op.axis), dtype="int64"), counts)


@register_pullback(Repeat)
def repeat_pullback(op: Repeat, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None, None]
    x = node.inputs[0]
    entries = (("slice", None, None, None),) * op.axis + (("array",),)
    return [AdvancedIncSubtensor(entries)(zeros_like(x), gz, _repeat_sources(op, node)), None]


register_linear(Repeat)

