"""CUDA kernels of nn-extras' convolution and pooling ops for codegen-cuda's backend.

nn-extras does not depend on codegen-cuda: codegen-cuda runs :func:`register` through the entry point
``arignote_cuda.extensions`` when both are installed, before it lowers its first node, and nothing else imports
this package. Without it (or for dtypes other than float32 and float64) the ops run their NumPy ``perform`` on
the host.
"""

from __future__ import annotations

from arignote_cuda.registry import register_lowering

from ..conv import Conv2d, Conv2dGradInput, Conv2dGradWeights
from ..conv3d import Conv3d, Conv3dGradInput, Conv3dGradWeights
from ..pool import AveragePool2dGrad, MaxPool2dGrad, MaxPool2dGradGrad, Pool2d
from . import conv, pool


def register() -> None:
    """Give the convolution and pooling ops their CUDA kernels."""
    register_lowering(Conv2d, Conv3d)(conv.lower_forward)
    register_lowering(Conv2dGradInput, Conv3dGradInput)(conv.lower_grad_input)
    register_lowering(Conv2dGradWeights, Conv3dGradWeights)(conv.lower_grad_weights)
    register_lowering(Pool2d)(pool.lower_forward)
    register_lowering(MaxPool2dGrad)(pool.lower_max_grad)
    register_lowering(MaxPool2dGradGrad)(pool.lower_max_grad_grad)
    register_lowering(AveragePool2dGrad)(pool.lower_average_grad)
