"""Indexing: ``Subtensor`` (basic: ints, slices, newaxis) and ``AdvancedSubtensor`` (integer and boolean
arrays mixed with basic indices), both with NumPy's semantics.

An index is stored in the op as a tuple of entries; every symbolic piece of it (a scalar bound of a slice, an
index array) is an input of the node, taken in order where an entry says ``INPUT``:

- ``("int", k)``: an integer index (``k`` an int or ``INPUT``);
- ``("slice", start, stop, step)``: each None, an int or ``INPUT``;
- ``("newaxis",)``;
- ``("array",)``: an integer or boolean index array (advanced indexing only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..dtypes import is_integer
from ..graph import Apply, Constant, Op, Variable
from ..scalars import SCALAR_OPS
from . import math as tm
from .basic import as_tensor, cast
from .checks import check
from .elemwise import Elemwise, broadcast_static_shapes
from .reduce import Reduce
from .shape_inference import broadcast_shapes
from .type import TensorType, format_shape
from .variable import TensorVariable

INPUT = "?"
Entry = tuple[Any, ...]


def _slice_length(size: int | None, start: Any, stop: Any, step: Any) -> int | None:
    if size is None or INPUT in (start, stop, step):
        return None
    return len(range(*slice(start, stop, step).indices(size)))


def _consumed(entry: Entry, index_type: TensorType | None) -> int:
    """How many axes of the indexed array an entry uses up (a 0-d boolean uses none: it adds an axis)."""
    if entry[0] == "newaxis":
        return 0
    if entry[0] == "array" and index_type is not None and index_type.dtype == "bool":
        return index_type.ndim
    return 1


def _build_index(entries: Sequence[Entry], symbolic: Sequence[Any]) -> tuple[Any, ...]:
    """The NumPy index for ``entries`` with input values substituted in order."""
    values = iter(symbolic)

    def take(part: Any) -> Any:
        return int(next(values)) if part == INPUT else part

    index: list[Any] = []
    for entry in entries:
        kind = entry[0]
        if kind == "int":
            index.append(take(entry[1]))
        elif kind == "slice":
            index.append(slice(take(entry[1]), take(entry[2]), take(entry[3])))
        elif kind == "newaxis":
            index.append(None)
        else:
            index.append(next(values))
    return tuple(index)


def _static_shape(x_type: TensorType, entries: Sequence[Entry], array_types: Sequence[TensorType],
                  what: str) -> tuple[int | None, ...]:
    """NumPy's result shape of indexing, as far as static sizes tell; checks static bounds."""
    arrays = iter(array_types)
    advanced = any(e[0] == "array" for e in entries)
    pieces: list[tuple[str, Any]] = []  # ("dims", tuple) for basic results, ("adv", shape) for advanced ones
    axis = 0
    for entry in entries:
        kind = entry[0]
        index_type = next(arrays) if kind == "array" else None
        used = _consumed(entry, index_type)
        if axis + used > x_type.ndim:
            raise IndexError(f"{what}: too many indices for {x_type} ({x_type.ndim} dimensions)")
        size = x_type.shape[axis] if used else None
        if kind == "int":
            k = entry[1]
            if k != INPUT and size is not None and not -size <= k < size:
                raise IndexError(f"{what}: index {k} is out of bounds for axis {axis} with size {size} "
                                 f"(indexing {x_type})")
            pieces.append(("adv", ()) if advanced else ("dims", ()))
        elif kind == "slice":
            pieces.append(("dims", (_slice_length(size, *entry[1:]),)))
        elif kind == "newaxis":
            pieces.append(("dims", (1,)))
        else:
            assert index_type is not None
            if index_type.dtype == "bool":
                mask_shape = x_type.shape[axis:axis + used]
                for a, (m, s) in enumerate(zip(index_type.shape, mask_shape, strict=False)):
                    if m is not None and s is not None and m != s:
                        raise IndexError(f"{what}: boolean index of shape {format_shape(index_type.shape)} does "
                                         f"not match axis {axis + a} of size {s}")
                pieces.append(("adv", (None,)))
            else:
                pieces.append(("adv", index_type.shape))
        axis += used
    def broadcast(shapes: list[tuple[Any, ...]]) -> tuple[Any, ...]:
        ndim = max(len(s) for s in shapes)
        return broadcast_static_shapes([(1,) * (ndim - len(s)) + tuple(s) for s in shapes], what)

    return _arrange(pieces, x_type.shape[axis:], advanced, broadcast)


def _arrange(pieces: list[tuple[str, Any]], rest: tuple[Any, ...], advanced: bool,
             broadcast: Any) -> tuple[Any, ...]:
    """NumPy's layout of an indexing result: the broadcast advanced dimensions replace the advanced entries
    where these are adjacent, else they come first; basic dimensions keep their order; untouched axes last."""
    if not advanced:
        return tuple(d for _, dims in pieces for d in dims) + tuple(rest)
    adv = broadcast([s for k, s in pieces if k == "adv"])
    positions = [i for i, (k, _) in enumerate(pieces) if k == "adv"]
    adjacent = positions == list(range(positions[0], positions[-1] + 1))
    basic = [(i, dims) for i, (k, dims) in enumerate(pieces) if k == "dims"]
    if adjacent:
        before = tuple(d for i, dims in basic if i < positions[0] for d in dims)
        after = tuple(d for i, dims in basic if i > positions[0] for d in dims)
        return before + tuple(adv) + after + tuple(rest)
    return tuple(adv) + tuple(d for _, dims in basic for d in dims) + tuple(rest)


# -----------------------------------------------------------------------------------------------------------
# symbolic shapes


def _is_static(*values: Any) -> bool:
    return all(v is None or isinstance(v, int) for v in values)


def _wrap(i: Any, n: Any) -> Any:
    if isinstance(i, int):
        return i + n if i < 0 else i
    return tm.where(tm.less(i, 0), i + n, i)


def _clamp(v: Any, lo: Any, hi: Any) -> Any:
    return tm.minimum(tm.maximum(v, lo), hi)


def slice_length(size: Any, start: Any, stop: Any, step: Any) -> Any:
    """``len(range(*slice(start, stop, step).indices(size)))`` for ints or int64 scalar variables."""
    if _is_static(size, start, stop, step) and size is not None:
        return len(range(*slice(start, stop, step).indices(size)))
    if step is None or isinstance(step, int):
        step = 1 if step is None else step
        if step > 0:
            lo = 0 if start is None else _clamp(_wrap(start, size), 0, size)
            hi = size if stop is None else _clamp(_wrap(stop, size), 0, size)
            return tm.maximum(tm.floor_divide(hi - lo + (step - 1), step), 0)
        hi = size - 1 if start is None else _clamp(_wrap(start, size), -1, size - 1)
        lo = -1 if stop is None else _clamp(_wrap(stop, size), -1, size - 1)
        return tm.maximum(tm.floor_divide(hi - lo + (-step - 1), -step), 0)
    forward = slice_length(size, start, stop, 1)
    backward = slice_length(size, start, stop, -1)
    length = tm.where(tm.greater(step, 0), forward, backward)
    magnitude = tm.absolute(step)
    return tm.floor_divide(length + magnitude - 1, magnitude)


def _symbolic_shape(node: Apply, input_shapes: Sequence[tuple[Any, ...]], entries: Sequence[Entry]
                    ) -> list[tuple[Any, ...]] | None:
    x_shape, *rest_shapes = input_shapes
    inputs = iter(zip(node.inputs[1:], rest_shapes, strict=True))
    advanced = any(e[0] == "array" for e in entries)
    pieces: list[tuple[str, Any]] = []
    axis = 0

    def take(part: Any) -> Any:
        return next(inputs)[0] if part == INPUT else part

    for entry in entries:
        kind = entry[0]
        if kind == "int":
            take(entry[1])
            pieces.append(("adv", ()) if advanced else ("dims", ()))
            axis += 1
        elif kind == "slice":
            start, stop, step = (take(p) for p in entry[1:])
            pieces.append(("dims", (slice_length(x_shape[axis], start, stop, step),)))
            axis += 1
        elif kind == "newaxis":
            pieces.append(("dims", (1,)))
        else:
            var, shape = next(inputs)
            if var.type.dtype == "bool":
                return None
            pieces.append(("adv", shape))
            axis += 1
    shape = _arrange(pieces, tuple(x_shape[axis:]), advanced, broadcast_shapes)
    conditions = index_conditions(node, x_shape)
    if conditions:  # a shape read off without indexing still fails where the indexing would have
        shape = tuple(check(size, INDEX_ERROR, *conditions) for size in shape)
    return [shape]


#: what a rewritten graph raises where indexing it no longer computes would have been out of bounds
INDEX_ERROR = "index out of bounds (in indexing that the rewritten graph no longer computes)"


def index_conditions(node: Apply, x_shape: Sequence[Any]) -> list[Variable]:
    """Bool scalars that hold where ``node`` (a Subtensor or AdvancedSubtensor) raises no IndexError: each
    integer index, and each entry of each integer index array, within ``-n .. n - 1`` of its axis of size ``n``.
    Indices and sizes both known at build time were checked then."""
    ops = {name: Elemwise(SCALAR_OPS[name]) for name in ("greater_equal", "less", "logical_and", "negative")}
    pieces = iter(node.inputs[1:])
    conditions: list[Variable] = []
    axis = 0
    for entry in node.op.entries:
        kind = entry[0]
        if kind == "newaxis":
            continue
        if kind == "slice":
            for part in entry[1:]:
                if part == INPUT:
                    next(pieces)
            axis += 1
            continue
        index = next(pieces) if kind == "array" or entry[1] == INPUT else entry[1]
        if kind == "array" and index.type.dtype == "bool":
            return conditions  # a mask's axes are its own: later entries' axes are not tracked here
        size = x_shape[axis]
        axis += 1
        if not isinstance(index, Variable) and not isinstance(size, Variable):
            continue
        inside = ops["logical_and"](ops["greater_equal"](index, ops["negative"](size)), ops["less"](index, size))
        if kind == "array":
            every = SCALAR_OPS["logical_and"]
            inside = Reduce(every, tuple(range(inside.type.ndim)), "bool")(inside)  # type: ignore[arg-type]
        conditions.append(inside)
    return conditions


@dataclass(frozen=True)
class Subtensor(Op):
    """Basic indexing (a view in NumPy): integers, slices and newaxis."""

    entries: tuple[Entry, ...]
    view_map: ClassVar[dict[int, list[int]]] = {0: [0]}

    def make_node(self, x: Any, *symbolic: Any) -> Apply:
        x = as_tensor(x)
        shape = _static_shape(x.type, self.entries, [], str(self))
        return Apply(self, [x, *symbolic], [TensorType(x.dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, *symbolic = inputs
        return [np.asarray(x[_build_index(self.entries, symbolic)])]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]] | None:
        return _symbolic_shape(node, input_shapes, self.entries)

    def __str__(self) -> str:
        return f"Subtensor{{{_format_entries(self.entries)}}}"


@dataclass(frozen=True)
class AdvancedSubtensor(Op):
    """Indexing with integer or boolean arrays, possibly mixed with basic entries (a copy in NumPy)."""

    entries: tuple[Entry, ...]

    def make_node(self, x: Any, *symbolic: Any) -> Apply:
        x = as_tensor(x)
        array_types = [v.type for v, kind in zip(symbolic, _input_kinds(self.entries), strict=True)
                       if kind == "array"]
        shape = _static_shape(x.type, self.entries, array_types, str(self))
        return Apply(self, [x, *symbolic], [TensorType(x.dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, *symbolic = inputs
        return [np.asarray(x[_build_index(self.entries, symbolic)])]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]] | None:
        return _symbolic_shape(node, input_shapes, self.entries)

    def __str__(self) -> str:
        return f"AdvancedSubtensor{{{_format_entries(self.entries)}}}"


def _input_kinds(entries: Sequence[Entry]) -> list[str]:
    kinds = []
    for entry in entries:
        if entry[0] == "array":
            kinds.append("array")
        else:
            kinds.extend("scalar" for part in entry[1:] if part == INPUT)
    return kinds


def _format_entries(entries: Sequence[Entry]) -> str:
    def part(p: Any) -> str:
        return "" if p is None else str(p)

    out = []
    for entry in entries:
        kind = entry[0]
        if kind == "int":
            out.append(str(entry[1]))
        elif kind == "slice":
            text = f"{part(entry[1])}:{part(entry[2])}"
            out.append(text + (f":{part(entry[3])}" if entry[3] is not None else ""))
        elif kind == "newaxis":
            out.append("None")
        else:
            out.append("[]")
    return ", ".join(out)


# -----------------------------------------------------------------------------------------------------------
# parsing a Python index


def _static_or_input(value: Any, symbolic: list[Variable], what: str) -> Any:
    """A slice bound or integer index: a Python int stays in the op, anything symbolic becomes an input."""
    if value is None:
        return None
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value)
    var = as_tensor(value)
    if var.ndim != 0 or not is_integer(var.dtype):
        raise IndexError(f"{what} must be an integer scalar, got {var} of type {var.type}")
    if isinstance(var, Constant):
        return int(var.data)
    symbolic.append(cast(var, "int64"))
    return INPUT


def _is_array_index(item: Any) -> bool:
    if isinstance(item, Variable):
        return item.type.ndim > 0 or item.type.dtype == "bool"
    if isinstance(item, list | np.ndarray):
        return True
    return isinstance(item, bool | np.bool_)


def parse_index(x: Variable, index: Any) -> tuple[tuple[Entry, ...], list[Variable], bool]:
    """Entries, symbolic inputs and whether indexing is advanced, for ``x[index]``."""
    items = list(index) if isinstance(index, tuple) else [index]
    if sum(item is Ellipsis for item in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    advanced = any(_is_array_index(item) for item in items)
    symbolic: list[Variable] = []
    entries: list[Entry] = []
    consumed = 0
    for item in items:
        if item is None or item is Ellipsis:
            continue
        if _is_array_index(item):
            arr = as_tensor(item)
            consumed += arr.ndim if arr.dtype == "bool" else 1
        else:
            consumed += 1
    for item in items:
        if item is Ellipsis:
            entries.extend([("slice", None, None, None)] * (x.type.ndim - consumed))
        elif item is None:
            entries.append(("newaxis",))
        elif isinstance(item, slice):
            entries.append(("slice", *(_static_or_input(p, symbolic, "a slice bound")
                                       for p in (item.start, item.stop, item.step))))
            if entries[-1][3] == 0:
                raise ValueError("slice step cannot be zero")
        elif _is_array_index(item):
            arr = as_tensor(item)
            if not (is_integer(arr.dtype) or arr.dtype == "bool"):
                raise IndexError(f"arrays used as indices must be of integer or boolean type, got {arr.type}")
            entries.append(("array",))
            symbolic.append(arr)
        else:
            entries.append(("int", _static_or_input(item, symbolic, "an index")))
    return tuple(entries), symbolic, advanced


def getitem(x: Any, index: Any) -> TensorVariable:
    """``x[index]`` with NumPy's semantics. ``x[:]`` and ``x[...]`` are views of ``x`` too, not ``x`` itself:
    ``set_subtensor(y[:], v)`` updates a copy of ``y`` even where ``y`` is itself the result of indexing."""
    x = as_tensor(x)
    entries, symbolic, advanced = parse_index(x, index)
    op = AdvancedSubtensor(entries) if advanced else Subtensor(entries)
    return op(x, *symbolic)
