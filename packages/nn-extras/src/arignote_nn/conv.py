"""2-d convolution as ops: ``Conv2d`` and its two adjoints ``Conv2dGradInput`` (also the transposed
convolution) and ``Conv2dGradWeights``, each with a reference ``perform``, shape inference and derivative rules.

The three ops are the partial gradients of one bilinear form ``B(x, w, y) = <conv2d(x, w), y>``, so each one's
pullback is made of the other two (gradients of any order stay in this family).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_core import Apply, Constant, Op, TensorType, Variable, as_tensor, cast, constant, shape, stack
from arignote_core.dtypes import is_integer, result_dtype

from .conv_kernels import conv2d_forward, conv2d_grad_input, conv2d_grad_weights
from .windows import PaddingSpec, Pair, as_pair, conv_output_size, normalize_padding, static_conv_output_size


def _float_operands(what: str, *values: Any) -> list[Variable]:
    tensors = [as_tensor(v) for v in values]
    dtype = result_dtype(*(t.dtype for t in tensors))
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"{what} takes floating-point tensors, got {', '.join(str(t.type) for t in tensors)}")
    for t in tensors:
        if t.ndim != 4:
            raise TypeError(f"{what} takes 4-d tensors (NCHW images, FCHW filters), got {t} of type {t.type}")
    return [cast(t, dtype) for t in tensors]


def _shape_vector(value: Any, what: str) -> tuple[Variable, tuple[int | None, ...]]:
    """A 4-entry int64 shape vector and what is statically known of it."""
    vec = as_tensor(value)
    if vec.ndim != 1 or vec.type.shape[0] not in (4, None) or not is_integer(vec.dtype):
        raise TypeError(f"{what} must be an integer vector of 4 entries, got {vec} of type {vec.type}")
    vec = cast(vec, "int64")
    if isinstance(vec, Constant):
        return vec, tuple(int(s) for s in vec.data)
    return vec, (None,) * 4


@dataclass(frozen=True)
class ConvParams:
    """Stride, padding (``"valid" | "same" | "full"`` or explicit pads), dilation and groups of a convolution."""

    stride: Pair = (1, 1)
    padding: PaddingSpec = "valid"
    dilation: Pair = (1, 1)
    groups: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "stride", as_pair(self.stride, "stride"))
        object.__setattr__(self, "dilation", as_pair(self.dilation, "dilation"))
        object.__setattr__(self, "padding", normalize_padding(self.padding))
        if not isinstance(self.groups, int) or self.groups < 1:
            raise ValueError(f"groups must be a positive int, got {self.groups!r}")

    def params(self) -> dict[str, Any]:
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation, "groups": self.groups}

    def check_channels(self, what: str, channels: int | None, filters: int | None,
                       filter_channels: int | None) -> None:
        if channels is not None and filter_channels is not None and channels != filter_channels * self.groups:
            raise ValueError(f"{what}: input has {channels} channels, filters have {filter_channels} with "
                             f"groups={self.groups} (need channels == filter channels * groups)")
        if filters is not None and filters % self.groups:
            raise ValueError(f"{what}: {filters} filters cannot be split into groups={self.groups}")

    def output_hw(self, in_hw: Sequence[Any], kernel_hw: Sequence[Any]) -> tuple[Any, Any]:
        return tuple(conv_output_size(in_hw[a], kernel_hw[a], self.stride[a], self.dilation[a], self.padding, a)
                     for a in (0, 1))

    def static_output_hw(self, in_hw: Sequence[int | None], kernel_hw: Sequence[int | None],
                         what: str) -> tuple[int | None, int | None]:
        return tuple(static_conv_output_size(in_hw[a], kernel_hw[a], self.stride[a], self.dilation[a],
                                             self.padding, a, what) for a in (0, 1))  # type: ignore[return-value]

    def describe(self) -> str:
        return f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, groups={self.groups}"


@dataclass(frozen=True)
class Conv2d(ConvParams, Op):
    """Cross-correlation of NCHW images with FCHW filters (``torch.nn.functional.conv2d``)."""

    def make_node(self, x: Any, w: Any) -> Apply:
        x, w = _float_operands("conv2d", x, w)
        (n, c, h, wd), (f, cg, kh, kw) = x.type.shape, w.type.shape
        self.check_channels("conv2d", c, f, cg)
        oh, ow = self.static_output_hw((h, wd), (kh, kw), "conv2d")
        return Apply(self, [x, w], [TensorType(x.dtype, (n, f, oh, ow))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, w = inputs
        return [conv2d_forward(x, w, self.stride, self.padding, self.dilation, self.groups)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        xs, ws = input_shapes
        return [(xs[0], ws[0], *self.output_hw(xs[2:], ws[2:]))]

    def __str__(self) -> str:
        return f"Conv2d{{{self.describe()}}}"


@dataclass(frozen=True)
class Conv2dGradInput(ConvParams, Op):
    """``(w, gy, input_shape) -> gx``: the gradient of ``conv2d`` in its input, i.e. the transposed convolution.

    ``input_shape`` (4 ints) says which input size the forward convolution had: with strides, several sizes
    give the same output size.
    """

    def make_node(self, w: Any, gy: Any, input_shape: Any) -> Apply:
        w, gy = _float_operands("conv2d_grad_input", w, gy)
        vec, static = _shape_vector(input_shape, "conv2d_grad_input's input_shape")
        f, cg = w.type.shape[:2]
        n = static[0] if static[0] is not None else gy.type.shape[0]
        c = static[1] if static[1] is not None else (None if cg is None else cg * self.groups)
        self.check_channels("conv2d_grad_input", c, f, cg)
        if None not in static:
            expected = self.static_output_hw(static[2:], w.type.shape[2:], "conv2d_grad_input")
            for got, want in zip(gy.type.shape[2:], expected, strict=True):
                if got is not None and want is not None and got != want:
                    raise ValueError(f"conv2d_grad_input: gradient of spatial shape {gy.type.shape[2:]} does not "
                                     f"match the output {expected} of a convolution of input {static}")
        return Apply(self, [w, gy, vec], [TensorType(w.dtype, (n, c, static[2], static[3]))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        w, gy, input_shape = inputs
        return [conv2d_grad_input(w, gy, input_shape, self.stride, self.padding, self.dilation, self.groups)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        vec = as_tensor(node.inputs[2])
        return [tuple(vec[i] for i in range(4))]

    def __str__(self) -> str:
        return f"Conv2dGradInput{{{self.describe()}}}"


@dataclass(frozen=True)
class Conv2dGradWeights(ConvParams, Op):
    """``(x, gy, filter_shape) -> gw``: the gradient of ``conv2d`` in its filters."""

    def make_node(self, x: Any, gy: Any, filter_shape: Any) -> Apply:
        x, gy = _float_operands("conv2d_grad_weights", x, gy)
        vec, static = _shape_vector(filter_shape, "conv2d_grad_weights's filter_shape")
        f = static[0] if static[0] is not None else gy.type.shape[1]
        cg = static[1]
        if cg is None and x.type.shape[1] is not None:
            cg = x.type.shape[1] // self.groups
        self.check_channels("conv2d_grad_weights", x.type.shape[1], f, cg)
        return Apply(self, [x, gy, vec], [TensorType(x.dtype, (f, cg, static[2], static[3]))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, gy, filter_shape = inputs
        return [conv2d_grad_weights(x, gy, filter_shape, self.stride, self.padding, self.dilation, self.groups)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        vec = as_tensor(node.inputs[2])
        return [tuple(vec[i] for i in range(4))]

    def __str__(self) -> str:
        return f"Conv2dGradWeights{{{self.describe()}}}"


# -----------------------------------------------------------------------------------------------------------
# user functions


def conv2d(x: Any, filters: Any, stride: Any = 1, padding: Any = "valid", dilation: Any = 1,
           groups: int = 1) -> Variable:
    """Cross-correlate NCHW images ``x`` with filters of shape (F, C / groups, KH, KW), as PyTorch does.

    ``padding``: ``"valid"``, ``"same"`` (``ceil(size / stride)`` outputs), ``"full"``, an int, ``(ph, pw)``
    or ``((top, bottom), (left, right))``.
    """
    return Conv2d(stride, padding, dilation, groups)(x, filters)


def conv2d_transpose(x: Any, filters: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1,
                     output_padding: Any = 0, output_shape: Sequence[Any] | None = None) -> Variable:
    """The transposed convolution (``torch.nn.functional.conv_transpose2d``): the gradient of
    ``conv2d(·, filters)`` applied to ``x``. ``filters`` has shape (C_in, C_out / groups, KH, KW).

    The output size is ``(H - 1) * stride - pads + dilation * (KH - 1) + 1 + output_padding`` (``H * stride``
    for ``"same"``), or ``output_shape`` (the spatial sizes) when given.
    """
    op = Conv2dGradInput(stride, padding, dilation, groups)
    x, filters = as_tensor(x), as_tensor(filters)
    extra = as_pair(output_padding, "output_padding", 0)
    if any(e >= max(s, d) for e, s, d in zip(extra, op.stride, op.dilation, strict=True)):
        raise ValueError(f"output_padding {extra} must be smaller than the stride or the dilation")
    if output_shape is None:
        in_hw = [_dim(x, 2), _dim(x, 3)]
        kernel_hw = [_dim(filters, 2), _dim(filters, 3)]
        output_shape = [_transposed_size(op, a, in_hw[a], kernel_hw[a]) + extra[a] for a in (0, 1)]
    elif len(output_shape) != 2:
        raise ValueError(f"output_shape gives the two spatial sizes, got {output_shape!r}")
    channels = _dim(filters, 1) * groups
    entries = [_dim(x, 0), channels, *output_shape]
    if all(isinstance(e, int | np.integer) for e in entries):
        full_shape: Any = constant(np.array(entries, dtype="int64"))
    else:
        full_shape = stack(entries)
    return op(filters, x, full_shape)


def _dim(x: Variable, axis: int) -> Any:
    """The size of ``x`` along ``axis``: an int when static, else a symbolic scalar."""
    static = x.type.shape[axis]
    return static if static is not None else shape(x)[axis]


def _transposed_size(op: ConvParams, axis: int, size: Any, kernel: Any) -> Any:
    extent = op.dilation[axis] * (kernel - 1) + 1
    if op.padding == "same":
        return size * op.stride[axis]
    if op.padding == "valid":
        pads = 0
    elif op.padding == "full":
        pads = 2 * (extent - 1)
    else:
        assert not isinstance(op.padding, str), f"unknown padding {op.padding!r}"
        pads = sum(op.padding[axis])
    return (size - 1) * op.stride[axis] - pads + extent
