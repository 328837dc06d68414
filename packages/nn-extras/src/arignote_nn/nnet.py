"""Theano's names and arguments: ``theano.tensor.nnet`` (``conv2d`` with ``border_mode``, ``subsample``,
shape hints and filter flipping, ``conv1d``, ``conv3d``, ``separable_conv2d``, ``conv2d_transpose``, the
cross-entropies, ``confusion_matrix``) and ``theano.tensor.signal.pool.pool_2d``.

Theano's ``conv2d`` is a true convolution: ``filter_flip=True`` (its default) flips the filters, which
Arignote's :func:`arignote_nn.conv2d` (a cross-correlation, like PyTorch's) does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import TensorVariable, as_tensor
from arignote_core.tensors.checks import specify_shape

from .activations import relu, sigmoid, softplus
from .conv import Conv2d, Conv2dGradInput
from .conv import conv1d as conv1d_op
from .conv3d import Conv3d
from .losses import binary_crossentropy, categorical_crossentropy
from .metrics import ConfusionMatrix
from .pool import Pool2d
from .separable import separable_conv2d
from .softmax import log_softmax, softmax
from .windows import as_pair

__all__ = ["binary_crossentropy", "categorical_crossentropy", "confusion_matrix", "conv1d", "conv2d",
           "conv2d_transpose", "conv3d", "log_softmax", "pool_2d", "relu", "separable_conv2d", "sigmoid",
           "sigmoid_binary_crossentropy", "softmax", "softplus"]


def _hinted(var: TensorVariable, hint: Sequence[Any] | None) -> TensorVariable:
    """``var`` with Theano's shape hint applied: known sizes refine the static type (a disagreement with it
    is refused now), the others are checked when the graph runs."""
    return var if hint is None else specify_shape(var, tuple(hint))


def _flip(filters: TensorVariable, flip: bool) -> TensorVariable:
    """The filters reversed along their spatial axes (those after the first two) when ``flip``."""
    return filters[(slice(None), slice(None), *(slice(None, None, -1),) * (filters.ndim - 2))] if flip else filters


def conv2d(input: Any, filters: Any, input_shape: Sequence[Any] | None = None,
           filter_shape: Sequence[Any] | None = None, border_mode: Any = "valid", subsample: Any = (1, 1),
           filter_flip: bool = True, image_shape: Sequence[Any] | None = None, filter_dilation: Any = (1, 1),
           num_groups: int = 1) -> TensorVariable:
    """Theano's ``nnet.conv2d``: ``border_mode`` is ``"valid" | "full" | "half"``, an int or a pair;
    ``subsample`` is the stride; the hints ``input_shape``/``filter_shape`` (``image_shape`` is the old name;
    None for an unknown size) refine the static shapes and are checked when the graph runs."""
    input = _hinted(as_tensor(input), input_shape if input_shape is not None else image_shape)
    filters = _hinted(as_tensor(filters), filter_shape)
    dilation = as_pair(filter_dilation, "filter_dilation")
    op = Conv2d(subsample, border_mode, dilation, num_groups)  # "half": from the kernel's size at run time
    return op(input, _flip(filters, filter_flip))


def conv1d(input: Any, filters: Any, input_shape: Sequence[Any] | None = None,
           filter_shape: Sequence[Any] | None = None, border_mode: Any = "valid", subsample: Any = 1,
           filter_flip: bool = True, filter_dilation: Any = 1, num_groups: int = 1) -> TensorVariable:
    """``conv2d``'s arguments for (batch, channels, width) signals and (filters, channels / groups, width)
    filters: ``border_mode`` is ``"valid" | "full" | "half"``, an int or ``(left, right)``; a true convolution
    unless ``filter_flip`` is False. It runs as ``conv2d`` on a height of one (see :func:`arignote_nn.conv1d`)."""
    input = _hinted(as_tensor(input), input_shape)
    filters = _hinted(as_tensor(filters), filter_shape)
    return conv1d_op(input, _flip(filters, filter_flip), subsample, border_mode, filter_dilation, num_groups)


def conv3d(input: Any, filters: Any, input_shape: Sequence[Any] | None = None,
           filter_shape: Sequence[Any] | None = None, border_mode: Any = "valid", subsample: Any = (1, 1, 1),
           filter_flip: bool = True, filter_dilation: Any = (1, 1, 1), num_groups: int = 1) -> TensorVariable:
    """Theano's ``nnet.conv3d``: (batch, channels, depth, height, width) volumes and (filters, channels / groups,
    depth, height, width) filters; ``border_mode`` is ``"valid" | "full" | "half"``, an int or three; a true
    convolution unless ``filter_flip`` is False."""
    input = _hinted(as_tensor(input), input_shape)
    filters = _hinted(as_tensor(filters), filter_shape)
    return Conv3d(subsample, border_mode, filter_dilation, num_groups)(input, _flip(filters, filter_flip))


def conv2d_transpose(input: Any, filters: Any, output_shape: Sequence[Any], filter_shape: Sequence[Any] | None = None,
                     border_mode: Any = "valid", input_dilation: Any = (1, 1), filter_flip: bool = True,
                     filter_dilation: Any = (1, 1), num_groups: int = 1) -> TensorVariable:
    """Theano's ``nnet.conv2d_transpose``: the gradient of ``conv2d`` for an input of ``output_shape`` (4
    entries); ``filters`` are (input channels, output channels / groups, rows, columns); ``input_dilation`` is
    the stride of the forward convolution."""
    filters = _hinted(as_tensor(filters), filter_shape)
    dilation = as_pair(filter_dilation, "filter_dilation")
    op = Conv2dGradInput(input_dilation, border_mode, dilation, num_groups)
    return op(_flip(filters, filter_flip), as_tensor(input), as_tensor(list(output_shape)))


def sigmoid_binary_crossentropy(output: Any, target: Any) -> TensorVariable:
    """Theano's name for the binary cross-entropy of logits ``output``."""
    return binary_crossentropy(output, target, from_logits=True)


def confusion_matrix(actual: Any, pred: Any) -> list[TensorVariable]:
    """Theano's ``confusion_matrix``: ``[matrix, order]``, ``order`` the sorted labels indexing the matrix."""
    return ConfusionMatrix()(actual, pred)


def pool_2d(input: Any, ws: Any = None, ignore_border: bool | None = None, stride: Any = None, pad: Any = (0, 0),
            mode: str = "max", ds: Any = None, st: Any = None, padding: Any = None) -> TensorVariable:
    """Theano's ``signal.pool.pool_2d`` over the last two axes: ``mode`` is ``"max" | "sum" |
    "average_inc_pad" | "average_exc_pad"``; ``ignore_border`` defaults to False as in Theano (partial windows
    at the border count); ``ds``, ``st`` and ``padding`` are the old names of ``ws``, ``stride`` and ``pad``."""
    ws = ws if ws is not None else ds
    if ws is None:
        raise TypeError("pool_2d: the window size ws is required")
    stride = stride if stride is not None else (st if st is not None else ws)
    pad = padding if padding is not None else pad
    return Pool2d(ws, stride, pad, bool(ignore_border), mode)(input)
