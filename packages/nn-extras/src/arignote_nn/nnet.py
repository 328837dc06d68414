"""Theano's names and arguments: ``theano.tensor.nnet`` (``conv2d`` with ``border_mode``, ``subsample``,
shape hints and filter flipping, ``conv2d_transpose``, the cross-entropies, ``confusion_matrix``) and
``theano.tensor.signal.pool.pool_2d``.

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
from .losses import binary_crossentropy, categorical_crossentropy
from .metrics import ConfusionMatrix
from .pool import Pool2d
from .softmax import log_softmax, softmax
from .windows import as_pair

__all__ = ["binary_crossentropy", "categorical_crossentropy", "confusion_matrix", "conv2d", "conv2d_transpose",
           "log_softmax", "pool_2d", "relu", "sigmoid", "sigmoid_binary_crossentropy", "softmax", "softplus"]


def _hinted(var: TensorVariable, hint: Sequence[Any] | None) -> TensorVariable:
    """``var`` with Theano's shape hint applied: known sizes refine the static type (a disagreement with it
    is refused now), the others are checked when the graph runs."""
    return var if hint is None else specify_shape(var, tuple(hint))


def _theano_padding(border_mode: Any, filters: TensorVariable, dilation: tuple[int, int]) -> Any:
    """Theano's ``border_mode`` as Arignote's padding (``"half"`` pads half the dilated kernel each side)."""
    if border_mode != "half":
        return border_mode
    kernel = filters.type.shape[2:]
    if None in kernel:
        raise ValueError("conv2d: border_mode='half' needs the kernel size: give filters a static shape or pass "
                         "filter_shape")
    return tuple(((dilation[a] * (kernel[a] - 1) + 1) // 2,) * 2 for a in (0, 1))  # type: ignore[operator]


def _flip(filters: TensorVariable, flip: bool) -> TensorVariable:
    return filters[:, :, ::-1, ::-1] if flip else filters


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
    padding = _theano_padding(border_mode, filters, dilation)
    op = Conv2d(subsample, padding, dilation, num_groups)
    return op(input, _flip(filters, filter_flip))


def conv2d_transpose(input: Any, filters: Any, output_shape: Sequence[Any], filter_shape: Sequence[Any] | None = None,
                     border_mode: Any = "valid", input_dilation: Any = (1, 1), filter_flip: bool = True,
                     filter_dilation: Any = (1, 1), num_groups: int = 1) -> TensorVariable:
    """Theano's ``nnet.conv2d_transpose``: the gradient of ``conv2d`` for an input of ``output_shape`` (4
    entries); ``filters`` are (input channels, output channels / groups, rows, columns); ``input_dilation`` is
    the stride of the forward convolution."""
    filters = _hinted(as_tensor(filters), filter_shape)
    dilation = as_pair(filter_dilation, "filter_dilation")
    padding = _theano_padding(border_mode, filters, dilation)
    op = Conv2dGradInput(input_dilation, padding, dilation, num_groups)
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
