"""``theano.tensor.signal.pool``: ``pool_2d`` (Theano's arguments; ``ignore_border`` False by default) and
``max_pool_2d_same_size``."""

from __future__ import annotations

from typing import Any

import arignote as ar
from arignote_core import TensorVariable, as_tensor
from arignote_nn.nnet import pool_2d

__all__ = ["max_pool_2d_same_size", "pool_2d"]


def max_pool_2d_same_size(input: Any, patch_size: Any) -> TensorVariable:  # noqa: A002 (Theano's name)
    """``input`` with every entry that is not the maximum of its (non-overlapping) ``patch_size`` window set to
    0: the maxima stay where they are."""
    x = as_tensor(input)
    pooled = pool_2d(x, patch_size, ignore_border=True)
    rows, cols = patch_size
    spread = ar.repeat(ar.repeat(pooled, rows, axis=-2), cols, axis=-1)
    covered = x[..., :spread.shape[-2], :spread.shape[-1]]
    kept = ar.switch(ar.eq(covered, spread), covered, ar.zeros_like(covered))
    return ar.set_subtensor(ar.zeros_like(x)[..., :spread.shape[-2], :spread.shape[-1]], kept)
