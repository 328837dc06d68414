"""``theano.tensor.signal.downsample``: the old name of :mod:`.pool` (``max_pool_2d`` is ``pool_2d`` in max
mode)."""

from __future__ import annotations

from typing import Any

from arignote_core import TensorVariable

from .pool import max_pool_2d_same_size, pool_2d

__all__ = ["max_pool_2d", "max_pool_2d_same_size", "pool_2d"]


def max_pool_2d(input: Any, ds: Any, ignore_border: bool | None = None, st: Any = None,  # noqa: A002
                padding: Any = (0, 0), mode: str = "max") -> TensorVariable:
    """The old ``max_pool_2d(input, ds, ignore_border, st, padding, mode)``."""
    return pool_2d(input, ws=ds, ignore_border=ignore_border, stride=st, pad=padding, mode=mode)
