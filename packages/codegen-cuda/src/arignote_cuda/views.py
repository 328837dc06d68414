"""Nodes that only view their input: on the device they are a new shape, strides and offset over the same memory,
with no kernel and no copy, when their input is on the device.

The views: ``DimShuffle`` (transposes, axes added or dropped), basic ``Subtensor`` (ints, slices of any step,
newaxis; symbolic bounds are host scalars at run time), ``Reshape`` where NumPy's would not copy (a C-contiguous
input, or one whose merged axes stay evenly strided), ``BroadcastTo`` (stride 0 on the new axes), and
``SpecifyShape`` and ``CheckAndRaise`` (their checks run on the host, on the shape and on the conditions'
values). NumPy itself computes each view's geometry, on a stand-in array with the device array's shape and
strides over a one-element buffer (``stand_in``), so shapes, strides, offsets and errors are NumPy's own; nothing
reads the stand-in's memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from arignote_core.graph import Apply
from arignote_core.tensors import CheckAndRaise, DimShuffle, Reshape, SpecifyShape, Subtensor
from arignote_core.tensors.broadcast import BroadcastTo
from arignote_core.tensors.indexing import INPUT

from .device_array import DeviceArray

#: what the report says of a view node
VIEW_REASON = ("a view: over device memory when its input is on the device (a reshape NumPy would copy runs on "
               "the host), else on the host")

_VIEW_OPS = (DimShuffle, Subtensor, Reshape, BroadcastTo, SpecifyShape, CheckAndRaise)


def is_view(node: Apply) -> bool:
    """Whether ``node`` is a view the device runs without a kernel."""
    return isinstance(node.op, _VIEW_OPS)


def stand_in(array: DeviceArray) -> np.ndarray:
    """A host array with ``array``'s dtype, shape and strides over a one-element buffer: NumPy's views of it have
    the geometry NumPy gives the same views of ``array`` (never read its elements)."""
    return as_strided(np.zeros(1, dtype=array.dtype), array.shape, array.strides, writeable=False)


def numpy_view(array: DeviceArray, view: Callable[[np.ndarray], np.ndarray | None]) -> DeviceArray | None:
    """The view of ``array`` that ``view`` makes of its stand-in (None where it makes none): same shape and
    strides, its first element as far from ``array``'s as the result's is from the stand-in's. NumPy's errors
    are raised afresh, so that no traceback holds the stand-in (whose elements must not be shown)."""
    fake = stand_in(array)
    try:
        result = view(fake)
    except (IndexError, ValueError) as exc:
        raise type(exc)(str(exc)) from None
    if result is None:
        return None
    assert result.size == 0 or np.may_share_memory(result, fake), "not a view"
    out = array.view(result.shape, result.strides)
    out.pointer = array.pointer + result.__array_interface__["data"][0] - fake.__array_interface__["data"][0]
    return out


def index_part(part: Any, values: Iterator[Any]) -> Any:
    """An index entry's part (an int, None, or ``INPUT``: the next of the symbolic ``values``, a host scalar)."""
    return int(next(values)) if part == INPUT else part


def basic_view(array: DeviceArray, entries: tuple[Any, ...], bounds: Sequence[Any]) -> DeviceArray:
    """``array[index]`` for a basic index (``Subtensor``'s ``entries``, its symbolic ``bounds`` given as host
    scalars); NumPy's IndexError where an integer is out of bounds. A trailing Ellipsis keeps an index of ints
    alone a 0-d view, where NumPy would give a scalar."""
    values = iter(bounds)
    index: list[Any] = []
    for entry in entries:
        kind = entry[0]
        if kind == "int":
            index.append(index_part(entry[1], values))
        else:
            index.append(None if kind == "newaxis" else slice(*(index_part(p, values) for p in entry[1:])))
    found = numpy_view(array, lambda fake: fake[(*index, Ellipsis)])
    assert found is not None
    return found


def _reshaped(fake: np.ndarray, shape: Any) -> np.ndarray | None:
    """NumPy's reshape of ``fake`` where it is a view; None where NumPy would copy or refuses the shape (the host
    raises its error)."""
    try:
        return np.reshape(fake, tuple(int(s) for s in shape), copy=False)
    except ValueError:
        return None


def _dimshuffle(op: DimShuffle, array: DeviceArray) -> DeviceArray:
    shape = tuple(1 if d == "x" else array.shape[int(d)] for d in op.new_order)
    strides = tuple(0 if d == "x" else array.strides[int(d)] for d in op.new_order)
    return array.view(shape, strides)


def device_view(node: Apply, array: DeviceArray, others: Sequence[Any] = ()) -> DeviceArray | None:
    """``node``'s output over ``array``'s memory (``others``: the node's other inputs, host values), or None
    where it is no view this time (a reshape NumPy would copy, a reshape to a shape it refuses): the node then
    runs on the host, which raises NumPy's error."""
    op = node.op
    if isinstance(op, DimShuffle):
        return _dimshuffle(op, array)
    if isinstance(op, Subtensor):
        return basic_view(array, op.entries, others)
    if isinstance(op, Reshape):
        return numpy_view(array, lambda fake: _reshaped(fake, others[0]))
    if isinstance(op, BroadcastTo):
        return numpy_view(array, lambda fake: np.broadcast_to(fake, tuple(int(s) for s in others[0])))
    # SpecifyShape and CheckAndRaise: check the shape or the conditions (host values), return their input
    return numpy_view(array, lambda fake: op.perform(node, [fake, *others])[0])
