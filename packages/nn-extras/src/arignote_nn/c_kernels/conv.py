"""C code of the convolution ops (``Conv2d`` and its two adjoints) for codegen-c, and the kernel plan that the
3-d family's (:mod:`.conv3d`) shares.

Each op's parameters are baked into a one-line kernel calling the shared C of its dtype (conv.c). The output
shape is computed, and every shape checked, in Python before each call (with the reference kernels' rules and
messages), so the C never sees a size it cannot trust.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_c import CKernel
from arignote_core import Apply

from ..conv import ConvParams
from ..conv_kernels import check_channels, check_output, conv_pads, output_hw
from .source import function_name, support

_PAD_MODES = {"valid": 1, "same": 2, "full": 3, "half": 4}

#: the full output shape of a convolution op on an input and a filter shape, checking that they fit it
OutputShape = Callable[[ConvParams, Sequence[int], Sequence[int]], tuple[int, ...]]
#: ValueError unless the output gradient (the second input of an adjoint, named by the last argument) has the
#: convolution's output shape
GradientCheck = Callable[[np.ndarray, tuple[int, ...], str], None]


def _params(op: ConvParams) -> str:
    """An initializer of the op's parameter struct (``nn_conv_params``, ``nn_conv3d_params``): pad mode, the
    (before, after) pads of each spatial axis, strides, dilations and groups."""
    if isinstance(op.padding, str):
        mode, pads = _PAD_MODES[op.padding], (0,) * (2 * op.ndim)
    else:
        mode, pads = 0, tuple(p for pair in op.padding for p in pair)
    return (f"{{{mode}, {{{', '.join(map(str, pads))}}}, {{{', '.join(map(str, op.stride))}}}, "
            f"{{{', '.join(map(str, op.dilation))}}}, {op.groups}}}")


def _kernel(node: Apply, name: str, part: str, output_shapes: Any, from_values: bool) -> CKernel:
    """A kernel calling ``name`` of ``part`` (``conv``, ``conv3d``: its C file) with the node's parameters."""
    dtype = node.outputs[0].type.dtype
    body = (f"static const nn_{part}_params p = {_params(node.op)};\n"
            f"return {function_name(name, dtype)}(in, out, &p);")
    return CKernel(body=body, output_shapes=output_shapes, support=support(part, dtype),
                   shapes_from_values=from_values)


@dataclass(frozen=True)
class ConvCKernels:
    """The C kernels of one convolution family: its C ``part`` (``conv``, ``conv3d``: the .c and .h files), the
    ``prefix`` of its C functions (``conv2d``, ``conv3d``), and its reference kernels' shape rules and messages."""

    part: str
    prefix: str
    output_shape: OutputShape
    check_gradient: GradientCheck

    def forward(self, node: Apply) -> CKernel:
        """The forward op: im2col and one GEMM per image and group."""
        name, op = f"{self.prefix}_forward", node.op

        def shapes(in_shapes: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
            return [self.output_shape(op, *in_shapes)]

        return _kernel(node, name, self.part, shapes, from_values=False)

    def grad_input(self, node: Apply) -> CKernel:
        """The gradient in the input (the transposed convolution): one GEMM per image and group, then col2im."""
        return self._gradient(node, "input")

    def grad_weights(self, node: Apply) -> CKernel:
        """The gradient in the filters: im2col and one accumulating GEMM per image and group."""
        return self._gradient(node, "weights")

    def _gradient(self, node: Apply, wanted: str) -> CKernel:
        """The gradient with respect to the ``wanted`` operand (``"input"`` or ``"weights"``), whose shape is the
        node's third input; the first is the other operand."""
        name, op = f"{self.prefix}_grad_{wanted}", node.op

        def shapes(values: list[np.ndarray]) -> list[tuple[int, ...]]:
            other, gy, wanted_shape = values
            target = tuple(int(s) for s in wanted_shape)
            x_shape, w_shape = (target, other.shape) if wanted == "input" else (other.shape, target)
            self.check_gradient(gy, self.output_shape(op, x_shape, w_shape), name)
            return [target]

        return _kernel(node, name, self.part, shapes, from_values=True)


def _output(op: ConvParams, x_shape: Sequence[int], w_shape: Sequence[int]) -> tuple[int, ...]:
    """(N, F, OH, OW) of ``op`` on these shapes, checking channels and that the kernel fits."""
    (n, c, h, w), (f, cg, kh, kw) = x_shape, w_shape
    if min(*x_shape, *w_shape) < 0:
        raise ValueError(f"{op}: negative sizes in input shape {tuple(x_shape)} or filter shape {tuple(w_shape)}")
    check_channels(c, f, cg, op.groups)
    pads = conv_pads(op.padding, (h, w), (kh, kw), op.stride, op.dilation)
    return (n, f, *output_hw((h + sum(pads[0]), w + sum(pads[1])), (kh, kw), op.stride, op.dilation))


def _check_gradient(gy: np.ndarray, out: tuple[int, ...], what: str) -> None:
    check_output(gy, out[2:], what)  # type: ignore[arg-type]
    if gy.shape[:2] != out[:2]:
        raise ValueError(f"{what}: output gradient of shape {gy.shape} for {out[0]} images and {out[1]} filters")


#: ``Conv2d`` and its two adjoints
CONV2D = ConvCKernels("conv", "conv2d", _output, _check_gradient)
