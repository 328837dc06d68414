"""Writing through an index: ``set_subtensor`` and ``inc_subtensor`` (Theano's names), pure versions of NumPy's
``x[idx] = v`` and ``x[idx] += v``.

``IncSubtensor`` handles basic indices, ``AdvancedIncSubtensor`` integer and boolean arrays. Incrementing with
repeated indices accumulates every occurrence (``numpy.add.at``), which is what the gradient of indexing needs;
setting with repeated indices keeps the last write, as NumPy does. The index entries are those of
:mod:`arignote_core.tensors.indexing`. Both ops return a new array; the input is never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dtypes import check_python_integer
from ..graph import Apply, Constant, Op, Variable
from .basic import as_tensor, cast
from .checks import specify_shape
from .indexing import AdvancedSubtensor, Entry, Subtensor, _build_index, _format_entries, _input_kinds, _static_shape
from .type import format_shape
from .variable import TensorVariable


def _check_value(x: Variable, value: Any, region: tuple[int | None, ...], what: str, setting: bool,
                 masked: bool = False) -> TensorVariable:
    """``value`` as a tensor of ``x``'s dtype that broadcasts into ``region`` (the shape of ``x[idx]``).

    Setting casts as NumPy's ``x[idx] = value`` does (any real value into any real dtype) and drops leading axes
    of size 1 (checked when the call comes where they are not known; not through a boolean mask, where NumPy
    takes values of at most the region's dimensions); incrementing takes what NumPy's
    ``x[idx] += value`` takes, values whose sum with ``x`` casts back to ``x``'s dtype within its kind."""
    v = as_tensor(value)
    x_dtype, v_dtype = x.type.dtype, v.dtype
    if v_dtype != x_dtype:
        _check_cast(str(x), x_dtype, v, v_dtype, what, setting)
        v = cast(v, x_dtype)
    extra = v.ndim - len(region)
    if setting and extra > 0 and all(size in (None, 1) for size in v.type.shape[:extra]) and not masked:
        stated = specify_shape(v, (1,) * extra + (None,) * len(region))
        v = stated.dimshuffle(*range(extra, v.ndim))
    if v.ndim > len(region):
        raise ValueError(f"{what}: a value of shape {format_shape(v.type.shape)} does not fit the indexed region of "
                         f"shape {format_shape(region)}")
    for have, want in zip(v.type.shape[::-1], region[::-1], strict=False):
        if have is not None and want is not None and have not in (1, want):
            raise ValueError(f"{what}: a value of shape {format_shape(v.type.shape)} cannot be broadcast to the "
                             f"indexed region of shape {format_shape(region)}")
    return v


def _check_cast(x: str, x_dtype: str, v: Variable, v_dtype: str, what: str, setting: bool) -> None:
    """Refuse the values NumPy refuses: a complex value into a real array, and an increment whose sum with
    ``x`` would not cast back to ``x``'s dtype under NumPy's ``same_kind`` rule (floats into integers, integers
    into booleans)."""
    if np.dtype(v_dtype).kind == "c" and np.dtype(x_dtype).kind != "c":
        raise TypeError(f"{what}: cannot write complex values of dtype {v_dtype} into {x} of real dtype "
                        f"{x_dtype}; take their real part first")
    if setting:
        return
    weak = v.data.item() if isinstance(v, Constant) and v.weak and np.ndim(v.data) == 0 else np.dtype(v_dtype)
    total = np.result_type(np.dtype(x_dtype), weak)
    if not np.can_cast(total, x_dtype, casting="same_kind"):
        raise TypeError(f"{what}: cannot add values of dtype {v_dtype} to {x} of dtype {x_dtype}: the sum is "
                        f"{total}, which NumPy's x[idx] += v does not cast back to {x_dtype}; cast the values "
                        "first")


@dataclass(frozen=True)
class IncSubtensor(Op):
    """``x`` with ``x[index]`` incremented by ``v`` (or set to ``v`` when ``set_instead_of_inc``); basic index.

    Inputs: ``x``, ``v``, then the index's symbolic scalars as in :class:`Subtensor`.
    """

    entries: tuple[Entry, ...]
    set_instead_of_inc: bool = False

    def make_node(self, x: Any, value: Any, *symbolic: Any) -> Apply:
        x = as_tensor(x)
        region = _static_shape(x.type, self.entries, [], str(self))
        v = _check_value(x, value, region, str(self), self.set_instead_of_inc)
        return Apply(self, [x, v, *symbolic], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, v, *symbolic = inputs
        out = np.array(x, copy=True)
        index = _build_index(self.entries, symbolic)
        if self.set_instead_of_inc:
            out[index] = v
        else:
            out[index] += v
        return [out]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]

    def __str__(self) -> str:
        verb = "Set" if self.set_instead_of_inc else "Inc"
        return f"{verb}Subtensor{{{_format_entries(self.entries)}}}"


@dataclass(frozen=True)
class AdvancedIncSubtensor(Op):
    """``x`` with ``x[index]`` incremented by ``v`` (``numpy.add.at``: repeated indices accumulate) or set to
    ``v`` (repeated indices: the last write wins); the index has integer or boolean arrays.

    Inputs: ``x``, ``v``, then the index's symbolic pieces as in :class:`AdvancedSubtensor`.
    """

    entries: tuple[Entry, ...]
    set_instead_of_inc: bool = False

    def make_node(self, x: Any, value: Any, *symbolic: Any) -> Apply:
        x = as_tensor(x)
        pieces = [as_tensor(s) for s in symbolic]
        array_types = [p.type for p, kind in zip(pieces, _input_kinds(self.entries), strict=True)
                       if kind == "array"]
        region = _static_shape(x.type, self.entries, array_types, str(self))
        masked = any(t.dtype == "bool" for t in array_types)
        v = _check_value(x, value, region, str(self), self.set_instead_of_inc, masked)
        return Apply(self, [x, v, *pieces], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, v, *symbolic = inputs
        out = np.array(x, copy=True)
        index = _build_index(self.entries, symbolic)
        if self.set_instead_of_inc:
            out[index] = v
        else:
            scatter_add(out, index, v)
        return [out]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]

    def __str__(self) -> str:
        verb = "Set" if self.set_instead_of_inc else "Inc"
        return f"Advanced{verb}Subtensor{{{_format_entries(self.entries)}}}"


def scatter_add(out: np.ndarray, index: tuple[Any, ...], value: Any) -> None:
    """``numpy.add.at(out, index, value)`` with ``value`` first broadcast to the indexed region: NumPy 2.4's
    fast path for a 1-d ``out`` reads a 1-d ``value`` as if it had the size of a 2-d or 3-d index array, past
    its end (garbage, NaN), instead of broadcasting it along the index's leading axes."""
    np.add.at(out, index, np.broadcast_to(value, out[index].shape))


def _rebuild(target: Any, value: Any, set_instead_of_inc: bool, what: str) -> TensorVariable:
    node = getattr(target, "owner", None)
    if node is None or not isinstance(node.op, Subtensor | AdvancedSubtensor):
        raise TypeError(f"{what} takes the result of indexing, like {what}(x[idx], v); got {target}"
                        + ("" if node is None else f" computed by {node.op}"))
    x, *symbolic = node.inputs
    _check_python_scalar(value, x, what, set_instead_of_inc)
    op_class = IncSubtensor if isinstance(node.op, Subtensor) else AdvancedIncSubtensor
    return op_class(node.op.entries, set_instead_of_inc)(x, value, *symbolic)


def _check_python_scalar(value: Any, x: Variable, what: str, set_instead_of_inc: bool) -> None:
    """NumPy's check of a number stored into an integer array: ``x[idx] = v`` with a Python or NumPy scalar
    converts it with ``int`` (``-2.5`` is ``-2``; inf and NaN cannot be converted) and refuses an integer out of
    the dtype's bounds (``OverflowError``), as ``x[idx] += v`` does for a Python int; an array (0-d included)
    wraps instead."""
    dtype = np.dtype(x.type.dtype)
    numbers = (int, float, np.integer, np.floating) if set_instead_of_inc else (int,)
    if dtype.kind not in "iu" or isinstance(value, bool | np.bool_) or not isinstance(value, numbers):
        return
    check_python_integer(int(value), dtype.name, f"{what} into {x} ({x.type})")


def set_subtensor(target: Any, value: Any) -> TensorVariable:
    """A copy of ``x`` with ``x[idx]`` set to ``value``, for ``target = x[idx]`` (NumPy's ``x[idx] = value``)."""
    return _rebuild(target, value, True, "set_subtensor")


def inc_subtensor(target: Any, value: Any) -> TensorVariable:
    """A copy of ``x`` with ``value`` added at ``x[idx]``, for ``target = x[idx]``; with integer array indices,
    repeated positions accumulate every increment (``numpy.add.at``), unlike ``x[idx] += value``."""
    return _rebuild(target, value, False, "inc_subtensor")


__all__ = ["AdvancedIncSubtensor", "IncSubtensor", "inc_subtensor", "set_subtensor"]
