"""C kernels of nn-extras' convolution and pooling ops for codegen-c's C backend.

nn-extras does not depend on codegen-c: codegen-c runs :func:`register` through the entry point
``arignote_c.extensions`` when both are installed, before it compiles its first function. Without it (or for
dtypes other than float32 and float64) the ops run their NumPy ``perform``.
"""

from __future__ import annotations

from arignote_c import register_c_code

from ..conv import Conv2d, Conv2dGradInput, Conv2dGradWeights
from ..pool import AveragePool2dGrad, MaxPool2dGrad, MaxPool2dGradGrad, Pool2d
from . import conv, pool


def register() -> None:
    """Give the convolution and pooling ops their C code."""
    register_c_code(Conv2d)(conv.conv2d_forward)
    register_c_code(Conv2dGradInput)(conv.conv2d_grad_input)
    register_c_code(Conv2dGradWeights)(conv.conv2d_grad_weights)
    register_c_code(Pool2d)(pool.pool2d_forward)
    register_c_code(MaxPool2dGrad)(pool.max_pool2d_grad)
    register_c_code(MaxPool2dGradGrad)(pool.max_pool2d_grad_grad)
    register_c_code(AveragePool2dGrad)(pool.average_pool2d_grad)
