"""``theano.shared``: Theano's signature, and shared variables true under ``bool()`` as Theano's were."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_core import shared as core_shared

from ..variables import theano_leaf


def shared(value: Any, name: str | None = None, strict: bool = False, allow_downcast: bool | None = None,
           borrow: bool = False, broadcastable: Sequence[bool] | None = None) -> Any:
    """A shared variable holding ``value`` (``borrow=True``: the array itself, not a copy). Its sizes are unknown
    to the graph, as in Theano, except the axes ``broadcastable`` marks True, which have size 1. A Python
    float makes a float64 scalar and a Python int an int64 one (Theano's rule); ``strict`` and
    ``allow_downcast`` are accepted for Theano's signature."""
    array = np.asarray(value)
    shape = None if broadcastable is None else _shape(array, broadcastable)
    return theano_leaf(core_shared(value, name=name, borrow=borrow, shape=shape))


def _shape(array: np.ndarray, broadcastable: Sequence[bool]) -> tuple[int | None, ...]:
    if len(broadcastable) != array.ndim:
        raise ValueError(f"shared: broadcastable has {len(broadcastable)} entries for a value of {array.ndim} "
                         "dimensions")
    return tuple(1 if b else None for b in broadcastable)
