"""2-d convolution as ops: ``Conv2d`` and its two adjoints ``Conv2dGradInput`` (also the transposed
convolution) and ``Conv2dGradWeights``, each with a reference ``perform``, shape inference and derivative rules.

The three ops are the partial gradients of one bilinear form ``B(x, w, y) = <conv2d(x, w), y>``, so each one's
pullback is made of the other two (gradients of any order stay in this family).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from arignote_core import (
    Apply,
    Constant,
    Op,
    TensorType,
    TensorVariable,
    Variable,
    as_tensor,
    cast,
    constant,
    expand_dims,
    shape,
    squeeze,
    stack,
)
from arignote_core.dtypes import is_integer, result_dtype

from .conv_kernels import conv2d_forward, conv2d_grad_input, conv2d_grad_weights
from .windows import (
    PaddingSpec,
    Pair,
    as_ints,
    as_pair,
    conv_output_size,
    normalize_padding,
    static_conv_output_size,
)

#: the layouts of the images and filters of each number of spatial axes, for messages
_LAYOUTS = {2: "NCHW images, FCHW filters", 3: "NCDHW images, FCDHW filters"}


def _float_operands(what: str, ndim: int, *values: Any) -> list[Variable]:
    """``values`` as tensors of their common floating-point dtype, each with ``ndim`` spatial axes."""
    tensors = [as_tensor(v) for v in values]
    dtype = result_dtype(*(t.dtype for t in tensors))
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"{what} takes floating-point tensors, got {', '.join(str(t.type) for t in tensors)}")
    for t in tensors:
        if t.ndim != ndim + 2:
            raise TypeError(f"{what} takes {ndim + 2}-d tensors ({_LAYOUTS[ndim]}), got {t} of type {t.type}")
    return [cast(t, dtype) for t in tensors]


def _shape_vector(value: Any, size: int, what: str) -> tuple[Variable, tuple[int | None, ...]]:
    """A ``size``-entry int64 shape vector and what is statically known of it."""
    vec = as_tensor(value)
    if vec.ndim != 1 or vec.type.shape[0] not in (size, None) or not is_integer(vec.dtype):
        raise TypeError(f"{what} must be an integer vector of {size} entries, got {vec} of type {vec.type}")
    vec = cast(vec, "int64")
    if isinstance(vec, Constant):
        return vec, tuple(int(s) for s in vec.data)
    return vec, (None,) * size


@dataclass(frozen=True)
class ConvParams:
    """Stride, padding (``"valid" | "same" | "full" | "half"`` or explicit pads), dilation and groups of a
    convolution over ``ndim`` spatial axes (2 here; :class:`arignote_nn.conv3d.Conv3dParams` has 3). ``"half"``
    pads from the kernel's size at run time, so the kernel may be of unknown size."""

    #: the number of spatial axes
    ndim: ClassVar[int] = 2

    stride: Pair = (1, 1)
    padding: PaddingSpec = "valid"
    dilation: Pair = (1, 1)
    groups: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "stride", as_ints(self.stride, self.ndim, "stride"))
        object.__setattr__(self, "dilation", as_ints(self.dilation, self.ndim, "dilation"))
        object.__setattr__(self, "padding", normalize_padding(self.padding, self.ndim))
        if not isinstance(self.groups, int) or self.groups < 1:
            raise ValueError(f"groups must be a positive int, got {self.groups!r}")

    @property
    def conv_name(self) -> str:
        """The user function's name (``conv2d``, ``conv3d``), for messages."""
        return f"conv{self.ndim}d"

    def params(self) -> dict[str, Any]:
        """The parameters as keyword arguments (to build another op of the family)."""
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation, "groups": self.groups}

    def check_channels(self, what: str, channels: int | None, filters: int | None,
                       filter_channels: int | None) -> None:
        """ValueError when the static channel counts contradict ``groups``."""
        if channels is not None and filter_channels is not None and channels != filter_channels * self.groups:
            raise ValueError(f"{what}: input has {channels} channels, filters have {filter_channels} with "
                             f"groups={self.groups} (need channels == filter channels * groups)")
        if filters is not None and filters % self.groups:
            raise ValueError(f"{what}: {filters} filters cannot be split into groups={self.groups}")

    def output_sizes(self, sizes: Sequence[Any], kernel: Sequence[Any]) -> tuple[Any, ...]:
        """The output's spatial sizes (ints or symbolic scalars)."""
        return tuple(conv_output_size(sizes[a], kernel[a], self.stride[a], self.dilation[a], self.padding, a)
                     for a in range(self.ndim))

    def static_output_sizes(self, sizes: Sequence[int | None], kernel: Sequence[int | None],
                            what: str) -> tuple[int | None, ...]:
        """The output's static spatial sizes (None where unknown); refuses a kernel that does not fit."""
        return tuple(static_conv_output_size(sizes[a], kernel[a], self.stride[a], self.dilation[a], self.padding,
                                             a, what) for a in range(self.ndim))

    def describe(self) -> str:
        """The parameters, for ``str``."""
        return f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, groups={self.groups}"

    def __str__(self) -> str:
        return f"{type(self).__name__}{{{self.describe()}}}"


#: a NumPy kernel of the family: the two operands (or an operand and the output gradient), then, for the
#: adjoints, the wanted shape, and stride, padding, dilation and groups
Kernel = Callable[..., np.ndarray]


class ConvForward(ConvParams):
    """The forward convolution of any number of spatial axes; a subclass names its NumPy ``kernel``."""

    kernel: ClassVar[Kernel]

    def make_node(self, x: Any, w: Any) -> Apply:
        x, w = _float_operands(self.conv_name, self.ndim, x, w)
        (n, c, *sizes), (f, cg, *kernel) = x.type.shape, w.type.shape
        self.check_channels(self.conv_name, c, f, cg)
        out = self.static_output_sizes(sizes, kernel, self.conv_name)
        return Apply(self, [x, w], [TensorType(x.dtype, (n, f, *out))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x, w = inputs
        return [type(self).kernel(x, w, self.stride, self.padding, self.dilation, self.groups)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        xs, ws = input_shapes
        return [(xs[0], ws[0], *self.output_sizes(xs[2:], ws[2:]))]


class ConvGradient(ConvParams):
    """An adjoint of the convolution, ``(operand, gy, shape) -> gradient``, whose output shape is its third
    input; a subclass names its NumPy ``kernel``."""

    kernel: ClassVar[Kernel]

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        operand, gy, wanted_shape = inputs
        return [type(self).kernel(operand, gy, wanted_shape, self.stride, self.padding, self.dilation, self.groups)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        vec = as_tensor(node.inputs[2])
        return [tuple(vec[i] for i in range(self.ndim + 2))]


class ConvGradInput(ConvGradient):
    """``(w, gy, input_shape) -> gx``: the gradient of the convolution in its input, i.e. the transposed
    convolution. ``input_shape`` says which input size the forward convolution had: with strides, several sizes
    give the same output size."""

    def make_node(self, w: Any, gy: Any, input_shape: Any) -> Apply:
        what = f"{self.conv_name}_grad_input"
        w, gy = _float_operands(what, self.ndim, w, gy)
        vec, static = _shape_vector(input_shape, self.ndim + 2, f"{what}'s input_shape")
        f, cg = w.type.shape[:2]
        n = static[0] if static[0] is not None else gy.type.shape[0]
        c = static[1] if static[1] is not None else (None if cg is None else cg * self.groups)
        self.check_channels(what, c, f, cg)
        if None not in static:
            expected = self.static_output_sizes(static[2:], w.type.shape[2:], what)
            for got, want in zip(gy.type.shape[2:], expected, strict=True):
                if got is not None and want is not None and got != want:
                    raise ValueError(f"{what}: gradient of spatial shape {gy.type.shape[2:]} does not "
                                     f"match the output {expected} of a convolution of input {static}")
        return Apply(self, [w, gy, vec], [TensorType(w.dtype, (n, c, *static[2:]))])


class ConvGradWeights(ConvGradient):
    """``(x, gy, filter_shape) -> gw``: the gradient of the convolution in its filters."""

    def make_node(self, x: Any, gy: Any, filter_shape: Any) -> Apply:
        what = f"{self.conv_name}_grad_weights"
        x, gy = _float_operands(what, self.ndim, x, gy)
        vec, static = _shape_vector(filter_shape, self.ndim + 2, f"{what}'s filter_shape")
        f = static[0] if static[0] is not None else gy.type.shape[1]
        cg = static[1]
        if cg is None and x.type.shape[1] is not None:
            cg = x.type.shape[1] // self.groups
        self.check_channels(what, x.type.shape[1], f, cg)
        return Apply(self, [x, gy, vec], [TensorType(x.dtype, (f, cg, *static[2:]))])


@dataclass(frozen=True)
class Conv2d(ConvForward, Op):
    """Cross-correlation of NCHW images with FCHW filters (``torch.nn.functional.conv2d``)."""

    kernel = staticmethod(conv2d_forward)


@dataclass(frozen=True)
class Conv2dGradInput(ConvGradInput, Op):
    """``(w, gy, input_shape) -> gx``: the gradient of ``conv2d`` in its input, i.e. the transposed convolution.

    ``input_shape`` (4 ints) says which input size the forward convolution had: with strides, several sizes
    give the same output size.
    """

    kernel = staticmethod(conv2d_grad_input)


@dataclass(frozen=True)
class Conv2dGradWeights(ConvGradWeights, Op):
    """``(x, gy, filter_shape) -> gw``: the gradient of ``conv2d`` in its filters."""

    kernel = staticmethod(conv2d_grad_weights)


# -----------------------------------------------------------------------------------------------------------
# user functions


def conv2d(x: Any, filters: Any, stride: Any = 1, padding: Any = "valid", dilation: Any = 1,
           groups: int = 1) -> Variable:
    """Cross-correlate NCHW images ``x`` with filters of shape (F, C / groups, KH, KW), as PyTorch does.

    ``padding``: ``"valid"``, ``"same"`` (``ceil(size / stride)`` outputs), ``"full"``, ``"half"`` (Theano's:
    ``(dilation * (k - 1) + 1) // 2`` on each side, from the kernel's size when the graph runs), an int,
    ``(ph, pw)`` or ``((top, bottom), (left, right))``.
    """
    return Conv2d(stride, padding, dilation, groups)(x, filters)


def conv1d(x: Any, filters: Any, stride: Any = 1, padding: Any = "valid", dilation: Any = 1,
           groups: int = 1) -> TensorVariable:
    """Cross-correlate (N, C, W) signals ``x`` with filters of shape (F, C / groups, K), as PyTorch's
    ``conv1d`` does: (N, F, OW).

    It is :func:`conv2d` on a height of one (a ``Conv2d`` node between two reshapes), so the C kernel and the
    derivative rules of ``conv2d`` serve it. ``padding``: ``"valid" | "same" | "full" | "half"``, an int or
    ``(left, right)``.
    """
    x, filters = as_tensor(x), as_tensor(filters)
    for value, what in ((x, "input"), (filters, "filters")):
        if value.ndim != 3:
            raise TypeError(f"conv1d takes 3-d tensors (NCW signals, FCW filters), got {what} {value} of type "
                            f"{value.type}")
    op = Conv2d((1, _single(stride, "stride")), _padding_1d(padding), (1, _single(dilation, "dilation")), groups)
    return squeeze(op(expand_dims(x, 2), expand_dims(filters, 2)), axis=2)


def _single(value: Any, what: str) -> int:
    """An int, or a sequence of one int."""
    if isinstance(value, int | np.integer):
        return int(value)
    items = tuple(value)
    if len(items) != 1 or not isinstance(items[0], int | np.integer):
        raise ValueError(f"conv1d: {what} must be an int or one int in a sequence, got {value!r}")
    return int(items[0])


def _padding_1d(padding: Any) -> PaddingSpec:
    """conv1d's padding as conv2d's on a height of one (a mode pads nothing along a kernel of height one)."""
    if isinstance(padding, str):
        return padding
    if isinstance(padding, int | np.integer):
        return ((0, 0), (int(padding), int(padding)))
    items = tuple(padding)
    if len(items) == 1:
        items = (items[0], items[0])
    if len(items) != 2:
        raise ValueError(f"conv1d: padding must be a mode, an int or (left, right), got {padding!r}")
    return ((0, 0), as_pair(items, "padding", 0))


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
    elif op.padding == "half":
        pads = 2 * (extent // 2)
    else:
        assert not isinstance(op.padding, str), f"unknown padding {op.padding!r}"
        pads = sum(op.padding[axis])
    return (size - 1) * op.stride[axis] - pads + extent
