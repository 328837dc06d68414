"""``theano.tensor.nnet.abstract_conv``'s functions beyond ``conv2d``: ``conv2d_grad_wrt_inputs`` and
``separable_conv2d``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import TensorVariable
from arignote_nn import nnet

__all__ = ["conv2d_grad_wrt_inputs", "separable_conv2d"]


def conv2d_grad_wrt_inputs(output_grad: Any, filters: Any, input_shape: Sequence[Any],
                           filter_shape: Sequence[Any] | None = None, border_mode: Any = "valid",
                           subsample: Any = (1, 1), filter_flip: bool = True, filter_dilation: Any = (1, 1),
                           num_groups: int = 1) -> TensorVariable:
    """The gradient of ``conv2d(x, filters, ...)`` with respect to ``x`` (of shape ``input_shape``), given the
    gradient ``output_grad`` of its output: the transposed convolution."""
    return nnet.conv2d_transpose(output_grad, filters, input_shape, filter_shape=filter_shape,
                                 border_mode=border_mode, input_dilation=subsample, filter_flip=filter_flip,
                                 filter_dilation=filter_dilation, num_groups=num_groups)


def separable_conv2d(input: Any, depthwise_filters: Any, pointwise_filters: Any,  # noqa: A002 (Theano's name)
                     num_channels: int, input_shape: Sequence[Any] | None = None,
                     depthwise_filter_shape: Sequence[Any] | None = None,
                     pointwise_filter_shape: Sequence[Any] | None = None, border_mode: Any = "valid",
                     subsample: Any = (1, 1), filter_flip: bool = True,
                     filter_dilation: Any = (1, 1)) -> TensorVariable:
    """A depthwise convolution (each of the ``num_channels`` input channels with its own filters) followed by
    a pointwise (1 x 1) one."""
    depthwise = nnet.conv2d(input, depthwise_filters, input_shape=input_shape, filter_shape=depthwise_filter_shape,
                            border_mode=border_mode, subsample=subsample, filter_flip=filter_flip,
                            filter_dilation=filter_dilation, num_groups=num_channels)
    return nnet.conv2d(depthwise, pointwise_filters, filter_shape=pointwise_filter_shape, filter_flip=filter_flip)
