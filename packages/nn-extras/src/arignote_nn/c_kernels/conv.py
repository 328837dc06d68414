"""C code of the convolution ops (``Conv2d`` and its two adjoints) for codegen-c.

Each op's parameters are baked into a one-line kernel calling the shared C of its dtype (conv.c). The output
shape is computed, and every shape checked, in Python before each call (with the reference kernels' rules and
messages), so the C never sees a size it cannot trust.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_c import CKernel
from arignote_core import Apply

from ..conv import ConvParams
from ..conv_kernels import check_channels, check_output, conv_pads, output_hw
from .source import function_name, support

_PAD_MODES = {"valid": 1, "same": 2, "full": 3}


def _params(op: ConvParams) -> str:
    """An ``nn_conv_params`` initializer."""
    if isinstance(op.padding, str):
        mode, pads = _PAD_MODES[op.padding], (0, 0, 0, 0)
    else:
        (top, bottom), (left, right) = op.padding
        mode, pads = 0, (top, bottom, left, right)
    return (f"{{{mode}, {{{', '.join(map(str, pads))}}}, {{{op.stride[0]}, {op.stride[1]}}}, "
            f"{{{op.dilation[0]}, {op.dilation[1]}}}, {op.groups}}}")


def _kernel(node: Apply, name: str, output_shapes: Any, from_values: bool) -> CKernel:
    dtype = node.outputs[0].type.dtype
    body = (f"static const nn_conv_params p = {_params(node.op)};\n"
            f"return {function_name(name, dtype)}(in, out, &p);")
    return CKernel(body=body, output_shapes=output_shapes, support=support("conv", dtype),
                   shapes_from_values=from_values)


def _output(op: ConvParams, x_shape: Sequence[int], w_shape: Sequence[int]) -> tuple[int, int]:
    """(OH, OW) of ``op`` on these shapes, checking channels and that the kernel fits."""
    (_, c, h, w), (f, cg, kh, kw) = x_shape, w_shape
    if min(*x_shape, *w_shape) < 0:
        raise ValueError(f"{op}: negative sizes in input shape {tuple(x_shape)} or filter shape {tuple(w_shape)}")
    check_channels(c, f, cg, op.groups)
    pads = conv_pads(op.padding, (h, w), (kh, kw), op.stride, op.dilation)
    return output_hw((h + sum(pads[0]), w + sum(pads[1])), (kh, kw), op.stride, op.dilation)


def _check_gradient(op: ConvParams, gy: np.ndarray, n: int, f: int, out: tuple[int, int], what: str) -> None:
    check_output(gy, out, what)
    if gy.shape[:2] != (n, f):
        raise ValueError(f"{what}: output gradient of shape {gy.shape} for {n} images and {f} filters")


def conv2d_forward(node: Apply) -> CKernel:
    """``Conv2d``: im2col and one GEMM per image and group."""
    op = node.op

    def shapes(in_shapes: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
        x_shape, w_shape = in_shapes
        return [(x_shape[0], w_shape[0], *_output(op, x_shape, w_shape))]

    return _kernel(node, "conv2d_forward", shapes, from_values=False)


def _gradient_kernel(node: Apply, name: str, wanted: str) -> CKernel:
    """A convolution gradient with respect to the ``wanted`` operand (``"input"`` or ``"weights"``), whose shape
    is the node's third input; the first is the other operand."""
    op = node.op

    def shapes(values: list[np.ndarray]) -> list[tuple[int, ...]]:
        other, gy, wanted_shape = values
        target = tuple(int(s) for s in wanted_shape)
        x_shape, w_shape = (target, other.shape) if wanted == "input" else (other.shape, target)
        _check_gradient(op, gy, x_shape[0], w_shape[0], _output(op, x_shape, w_shape), name)
        return [target]

    return _kernel(node, name, shapes, from_values=True)


def conv2d_grad_input(node: Apply) -> CKernel:
    """``Conv2dGradInput`` (the transposed convolution): one GEMM per image and group, then col2im."""
    return _gradient_kernel(node, "conv2d_grad_input", "input")


def conv2d_grad_weights(node: Apply) -> CKernel:
    """``Conv2dGradWeights``: im2col and one accumulating GEMM per image and group."""
    return _gradient_kernel(node, "conv2d_grad_weights", "weights")
