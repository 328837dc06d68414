"""C kernels of nn-extras' convolution and pooling ops for codegen-c's C backend.

nn-extras does not depend on codegen-c: codegen-c runs :func:`register` through the entry point
``arignote_c.extensions`` when both are installed, before it compiles its first function. Without it (or for
dtypes other than float32 and float64) the ops run their NumPy ``perform``.
"""

from __future__ import annotations

from arignote_c import register_c_code

from ..conv import Conv2d, Conv2dGradInput, Conv2dGradWeights
from ..conv3d import Conv3d, Conv3dGradInput, Conv3dGradWeights
from ..pool import AveragePool2dGrad, MaxPool2dGrad, MaxPool2dGradGrad, Pool2d
from . import conv, conv3d, pool


def register() -> None:
    """Give the convolution and pooling ops their C code."""
    for kernels, (forward, grad_input, grad_weights) in ((conv.CONV2D, (Conv2d, Conv2dGradInput, Conv2dGradWeights)),
                                                         (conv3d.CONV3D, (Conv3d, Conv3dGradInput, Conv3dGradWeights))):
        register_c_code(forward)(kernels.forward)
        register_c_code(grad_input)(kernels.grad_input)
        register_c_code(grad_weights)(kernels.grad_weights)
    register_c_code(Pool2d)(pool.pool2d_forward)
    register_c_code(MaxPool2dGrad)(pool.max_pool2d_grad)
    register_c_code(MaxPool2dGradGrad)(pool.max_pool2d_grad_grad)
    register_c_code(AveragePool2dGrad)(pool.average_pool2d_grad)
