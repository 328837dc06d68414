"""3-d convolution as ops: ``Conv3d`` (NCDHW images, FCDHW filters) and its two adjoints ``Conv3dGradInput``
and ``Conv3dGradWeights``: the 2-d family's ops (:mod:`arignote_nn.conv`) over three spatial axes, with the
3-d NumPy kernels as their reference ``perform``; their derivative rules (in :mod:`arignote_nn.derivatives`)
are the 2-d family's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from arignote_core import Op, Variable

from .conv import ConvForward, ConvGradInput, ConvGradWeights, ConvParams
from .conv3d_kernels import Triple, conv3d_forward, conv3d_grad_input, conv3d_grad_weights
from .windows import PaddingSpec


@dataclass(frozen=True)
class Conv3dParams(ConvParams):
    """Stride, padding (a mode, an int, three ints or three (before, after) pairs), dilation and groups of a
    3-d convolution."""

    ndim: ClassVar[int] = 3

    stride: Triple = (1, 1, 1)  # type: ignore[assignment]
    padding: PaddingSpec = "valid"
    dilation: Triple = (1, 1, 1)  # type: ignore[assignment]
    groups: int = 1


@dataclass(frozen=True)
class Conv3d(Conv3dParams, ConvForward, Op):
    """Cross-correlation of NCDHW images with FCDHW filters (``torch.nn.functional.conv3d``)."""

    kernel = staticmethod(conv3d_forward)


@dataclass(frozen=True)
class Conv3dGradInput(Conv3dParams, ConvGradInput, Op):
    """``(w, gy, input_shape) -> gx``: the gradient of ``conv3d`` in its input (the transposed convolution);
    ``input_shape`` (5 ints) says which input size the forward convolution had."""

    kernel = staticmethod(conv3d_grad_input)


@dataclass(frozen=True)
class Conv3dGradWeights(Conv3dParams, ConvGradWeights, Op):
    """``(x, gy, filter_shape) -> gw``: the gradient of ``conv3d`` in its filters."""

    kernel = staticmethod(conv3d_grad_weights)


def conv3d(x: Any, filters: Any, stride: Any = 1, padding: Any = "valid", dilation: Any = 1,
           groups: int = 1) -> Variable:
    """Cross-correlate NCDHW volumes ``x`` with filters of shape (F, C / groups, KD, KH, KW), as PyTorch's
    ``conv3d`` does.

    ``padding``: ``"valid"``, ``"same"`` (``ceil(size / stride)`` outputs), ``"full"``, ``"half"`` (Theano's,
    from the kernel's size when the graph runs), an int, three ints or three (before, after) pairs.
    """
    return Conv3d(stride, padding, dilation, groups)(x, filters)
