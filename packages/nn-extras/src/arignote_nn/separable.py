"""Theano's ``separable_conv2d``: a depthwise convolution (one group per input channel) followed by a pointwise
(1 x 1) one. Both are ``Conv2d`` nodes, so their C kernels and derivative rules serve it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import TensorVariable, as_tensor
from arignote_core.tensors.checks import specify_shape

from .conv import Conv2d
from .windows import as_pair


def separable_conv2d(input: Any, depthwise_filters: Any, pointwise_filters: Any,
                     num_channels: int | None = None, input_shape: Sequence[Any] | None = None,
                     depthwise_filter_shape: Sequence[Any] | None = None,
                     pointwise_filter_shape: Sequence[Any] | None = None, border_mode: Any = "valid",
                     subsample: Any = (1, 1), filter_flip: bool = True,
                     filter_dilation: Any = (1, 1)) -> TensorVariable:
    """Theano's ``separable_conv2d``: ``depthwise_filters`` (``num_channels * multiplier``, 1, KH, KW) convolve
    each input channel on its own (``num_groups = num_channels``; ``border_mode``, ``subsample`` and
    ``filter_dilation`` apply here), then ``pointwise_filters`` (F, ``num_channels * multiplier``, 1, 1) mix
    the channels. ``num_channels`` defaults to the input's static channel count. Filters are flipped (a true
    convolution) unless ``filter_flip`` is False.

    >>> import numpy as np
    >>> import arignote_core as ac
    >>> from arignote_nn import separable_conv2d
    >>> x = ac.tensor("float64", (None, 3, None, None))
    >>> y = separable_conv2d(x, np.ones((6, 1, 3, 3)), np.ones((4, 6, 1, 1)), border_mode="half")
    >>> ac.function([x], y)(np.ones((1, 3, 5, 5)))[0, 0, 1:4, 2].tolist()
    [54.0, 54.0, 54.0]
    """
    input = as_tensor(input)
    if input_shape is not None:
        input = specify_shape(input, tuple(input_shape))
    depthwise, pointwise = as_tensor(depthwise_filters), as_tensor(pointwise_filters)
    if depthwise_filter_shape is not None:
        depthwise = specify_shape(depthwise, tuple(depthwise_filter_shape))
    if pointwise_filter_shape is not None:
        pointwise = specify_shape(pointwise, tuple(pointwise_filter_shape))
    if num_channels is None:
        num_channels = input.type.shape[1] if input.ndim == 4 else None
        if num_channels is None:
            raise ValueError(f"separable_conv2d: the input {input} of type {input.type} has no static channel "
                             "count; pass num_channels")
    if depthwise.ndim == 4:
        depthwise = depthwise[:, :, ::-1, ::-1] if filter_flip else depthwise
    dilation = as_pair(filter_dilation, "filter_dilation")
    depth = Conv2d(subsample, border_mode, dilation, int(num_channels))(input, depthwise)
    return Conv2d()(depth, pointwise)
