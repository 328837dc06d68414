"""C code of the 3-d convolution ops (``Conv3d`` and its two adjoints) for codegen-c.

Built by the 2-d family's kernel plan (:class:`arignote_nn.c_kernels.conv.ConvCKernels`): each op's parameters
are baked into a one-line kernel calling the shared C of its dtype (conv3d.c: im2col plus one GEMM per image and
group through the runtime's services, items over its threads), and every shape is checked in Python before each
call, with the 3-d reference kernels' rules and messages.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..conv import ConvParams
from ..conv3d_kernels import check_gradient, geometry
from .conv import ConvCKernels


def _output(op: ConvParams, x_shape: Sequence[int], w_shape: Sequence[int]) -> tuple[int, ...]:
    """The output shape of ``op`` on these shapes, checking channels and that the kernel fits."""
    _, _, out = geometry(x_shape, w_shape, op.stride, op.padding, op.dilation, op.groups)  # type: ignore[arg-type]
    return (int(x_shape[0]), int(w_shape[0]), *out)


def _check_gradient(gy: np.ndarray, out: tuple[int, ...], what: str) -> None:
    check_gradient(gy, out[0], out[1], out[2:], what)  # type: ignore[arg-type]


#: ``Conv3d`` and its two adjoints
CONV3D = ConvCKernels("conv3d", "conv3d", _output, _check_gradient)
