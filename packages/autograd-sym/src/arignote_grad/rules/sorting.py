"""Sorting and counting.

``sort(x) == take_along_axis(x, argsort(x))``: its gradient is the output gradient put back where each element
came from, and its tangent is the input tangent read in sorted order. Indices (``argsort``, ``searchsorted``,
``nonzero``) have no derivative; ``bincount`` is linear in its weights; the values of ``unique`` read
the input at its first occurrences, so their gradient scatters back there (a repeated value gets it once).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply, as_tensor
from arignote_core.tensors.selection import take_along_axis
from arignote_core.tensors.sorting import ArgSort, BinCount, Nonzero, SearchSorted, Sort, Unique

from ..errors import undefined_grad
from ..registry import register_pullback, register_pushforward
from ..reverse import grad
from ..tensor_utils import cast_to


def _sorted_view(op: Sort, x: Any, source: Any) -> Any:
    return take_along_axis(source, ArgSort(op.axis, True)(x), axis=op.axis)


@register_pullback(Sort)
def sort_pullback(op: Sort, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None]
    x = node.inputs[0]
    return [grad(None, x, known_grads={_sorted_view(op, x, x): gz})]


@register_pushforward(Sort)
def sort_pushforward(op: Sort, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    return [_sorted_view(op, node.inputs[0], tangents[0])]


@register_pullback(ArgSort)
@register_pullback(SearchSorted)
@register_pullback(Nonzero)
def index_pullback(op: Any, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    return [undefined_grad(op, i, f"{op} returns indices, which have no derivative")
            for i in range(len(node.inputs))]


@register_pullback(BinCount)
def bincount_pullback(op: BinCount, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if len(node.inputs) == 1 or gz is None:
        return [None] * len(node.inputs)
    x, weights = node.inputs
    return [None, cast_to(gz[x], weights)]


@register_pushforward(BinCount)
def bincount_pushforward(op: BinCount, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    return [op(node.inputs[0], tangents[1])]


def _first_occurrences(op: Unique, node: Apply) -> Any:
    return Unique(True, False, False, op.equal_nan)(node.inputs[0])[1]


@register_pullback(Unique)
def unique_pullback(op: Unique, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    gz = output_grads[0]
    if gz is None:
        return [None]
    x = as_tensor(node.inputs[0])
    flat = x.reshape((-1,))
    return [grad(None, x, known_grads={flat[_first_occurrences(op, node)]: gz})]


@register_pushforward(Unique)
def unique_pushforward(op: Unique, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    flat = tangents[0].reshape((-1,))
    return [flat[_first_occurrences(op, node)]] + [None] * (len(node.outputs) - 1)
