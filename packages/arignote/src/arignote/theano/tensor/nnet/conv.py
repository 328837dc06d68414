"""``theano.tensor.nnet.conv``: the old ``conv2d(input, filters, image_shape, filter_shape, border_mode,
subsample)``, a true (flipped-filter) convolution as in Theano."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import TensorVariable
from arignote_nn import nnet

__all__ = ["conv2d"]


def conv2d(input: Any, filters: Any, image_shape: Sequence[Any] | None = None,  # noqa: A002 (Theano's name)
           filter_shape: Sequence[Any] | None = None, border_mode: Any = "valid", subsample: Any = (1, 1),
           **kwargs: Any) -> TensorVariable:
    """The old interface of ``conv2d``: ``image_shape`` is the input's shape hint; Theano's tuning options
    (``unroll_batch``, ``openmp``...) are accepted in ``kwargs`` and have no effect."""
    return nnet.conv2d(input, filters, input_shape=image_shape, filter_shape=filter_shape, border_mode=border_mode,
                       subsample=subsample)
