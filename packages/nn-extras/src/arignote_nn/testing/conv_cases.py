"""Conformance cases of the convolution ops: ``conv2d``, its two gradients and ``conv2d_transpose``, ``conv3d``
and its two gradients, ``conv1d``, ``separable_conv2d`` and the ``"half"`` padding, over strides, the padding
modes, dilation, groups, static and run-time shapes, float64 and float32."""

from __future__ import annotations

from typing import Any

import numpy as np

from arignote_core.testing import Case, Sample, sample

from ..conv import Conv2dGradInput, Conv2dGradWeights, conv1d, conv2d, conv2d_transpose
from ..conv3d import Conv3dGradInput, Conv3dGradWeights, conv3d
from ..separable import separable_conv2d
from . import references as ref

#: (label, x shape, w shape, keyword arguments)
LAYOUTS: list[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ("valid", (2, 3, 7, 6), (4, 3, 3, 2), {}),
    ("1x1 kernel", (2, 3, 4, 5), (2, 3, 1, 1), {}),
    ("stride 2", (2, 2, 9, 8), (3, 2, 3, 3), {"stride": 2}),
    ("same", (1, 2, 6, 7), (3, 2, 3, 4), {"padding": "same"}),
    ("same, stride 2, dilation 2", (1, 2, 9, 8), (2, 2, 3, 3), {"padding": "same", "stride": 2, "dilation": 2}),
    ("full", (2, 1, 4, 5), (2, 1, 3, 2), {"padding": "full"}),
    ("numbers, uneven", (1, 2, 7, 6), (3, 2, 2, 3),
     {"padding": ((1, 2), (0, 1)), "stride": (2, 1), "dilation": (1, 2)}),
    ("int padding", (2, 2, 5, 5), (2, 2, 3, 3), {"padding": 1}),
    ("groups 2", (2, 4, 6, 6), (6, 2, 3, 3), {"groups": 2, "padding": (1, 0)}),
    ("depthwise", (1, 3, 5, 6), (6, 1, 2, 2), {"groups": 3, "stride": (1, 2)}),
]


#: (x shape, w shape, label) of the 2-d layouts that must be refused
ERRORS: list[tuple[tuple[int, ...], tuple[int, ...], str]] = [
    ((1, 3, 5, 5), (2, 2, 3, 3), "channels do not match"),
    ((1, 1, 2, 5), (1, 1, 3, 3), "kernel larger than the input"),
]


def _samples(make: Any, layouts: Any = LAYOUTS, errors: Any = ERRORS, mixed: slice = slice(2, 5)) -> Any:
    """Samples from ``make(rng, x_shape, w_shape, dtype, kwargs) -> arrays`` over every layout, with float32 and
    run-time shapes on the ``mixed`` ones, and the ``errors`` (channels that do not match, a kernel larger than
    the input)."""

    def samples(rng: np.random.Generator) -> list[Sample]:
        out = []
        for label, xs, ws, kwargs in layouts:
            out.append(sample(*make(rng, xs, ws, "float64", kwargs), label=label, **kwargs))
        for label, xs, ws, kwargs in layouts[mixed]:
            values = make(rng, xs, ws, "float32", kwargs)
            out.append(sample(*values, label=f"{label}, float32", **kwargs))
            out.append(sample(*values, static=["none"] * len(values), label=f"{label}, run-time shapes", **kwargs))
        for xs, ws, label in errors:
            out.append(sample(*make(rng, xs, ws, "float64", {}), tags=["error"], label=label))
        return out

    return samples


def _forward_inputs(rng: np.random.Generator, xs: Any, ws: Any, dtype: str, kwargs: Any) -> list[np.ndarray]:
    return [rng.normal(size=xs).astype(dtype), rng.normal(size=ws).astype(dtype)]


def _output_shape(xs: Any, ws: Any, kwargs: Any) -> tuple[int, ...]:
    try:
        return ref.convnd(np.zeros(xs), np.zeros(ws), **kwargs).shape
    except ValueError:
        return (xs[0], ws[0], *(1,) * (len(xs) - 2))


def _grad_input_inputs(rng: np.random.Generator, xs: Any, ws: Any, dtype: str, kwargs: Any) -> list[np.ndarray]:
    return [rng.normal(size=ws).astype(dtype), rng.normal(size=_output_shape(xs, ws, kwargs)).astype(dtype),
            np.array(xs, dtype="int64")]


def _grad_weights_inputs(rng: np.random.Generator, xs: Any, ws: Any, dtype: str, kwargs: Any) -> list[np.ndarray]:
    return [rng.normal(size=xs).astype(dtype), rng.normal(size=_output_shape(xs, ws, kwargs)).astype(dtype),
            np.array(ws, dtype="int64")]


def _gradient_op(op_class: Any) -> Any:
    """A build function applying the gradient op ``op_class`` of the keyword settings to its three inputs."""

    def build(operand: Any, gy: Any, wanted_shape: Any, **kwargs: Any) -> Any:
        return op_class(**kwargs)(operand, gy, wanted_shape)

    return build


def _family_cases(name: str, build: Any, grad_input: Any, grad_weights: Any, samples: Any) -> list[Case]:
    """The cases of a convolution family, against the references over any number of spatial axes: the user
    function ``build`` and the two gradient ops, with ``samples(make)`` of their inputs."""
    return [
        Case(name=name, function=name, build=build, oracle=ref.convnd, samples=samples(_forward_inputs),
             tolerances={"float32": (1e-4, 1e-5)}),
        Case(name=f"{name}_grad_input", function=grad_input.__name__, build=_gradient_op(grad_input),
             oracle=ref.convnd_grad_input, samples=samples(_grad_input_inputs), grad_wrt=(0, 1),
             tolerances={"float32": (1e-4, 1e-5)}),
        Case(name=f"{name}_grad_weights", function=grad_weights.__name__, build=_gradient_op(grad_weights),
             oracle=ref.convnd_grad_weights, samples=samples(_grad_weights_inputs), grad_wrt=(0, 1),
             tolerances={"float32": (1e-4, 1e-5)}),
    ]


TRANSPOSE_LAYOUTS: list[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ("stride 1", (2, 3, 4, 5), (3, 2, 3, 3), {}),
    ("stride 2, padding 1", (1, 2, 4, 4), (2, 3, 3, 3), {"stride": 2, "padding": 1}),
    ("output padding", (1, 2, 3, 4), (2, 2, 3, 2), {"stride": 2, "output_padding": 1}),
    ("groups, dilation", (2, 4, 3, 3), (4, 1, 2, 2), {"groups": 2, "dilation": 2, "stride": (1, 2)}),
]


def _transpose_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for label, xs, ws, kwargs in TRANSPOSE_LAYOUTS:
        x, w = rng.normal(size=xs), rng.normal(size=ws)
        out.append(sample(x, w, label=label, **kwargs))
        out.append(sample(x.astype("float32"), w.astype("float32"), static=["none", "none"],
                          label=f"{label}, float32, run-time shapes", **kwargs))
    return out


CASES: list[Case] = [
    *_family_cases("conv2d", conv2d, Conv2dGradInput, Conv2dGradWeights, _samples),
    Case(name="conv2d_transpose", function="conv2d_transpose", build=conv2d_transpose, oracle=ref.conv2d_transpose,
         samples=_transpose_samples, tolerances={"float32": (1e-4, 1e-5)}),
]


# -----------------------------------------------------------------------------------------------------------
# conv3d, conv1d, separable_conv2d and "half" padding, against the references over any number of spatial axes

#: (label, x shape, w shape, keyword arguments)
LAYOUTS_3D: list[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ("valid", (2, 2, 3, 4, 3), (3, 2, 2, 2, 2), {}),
    ("1x1x1 kernel", (1, 3, 2, 3, 2), (2, 3, 1, 1, 1), {}),
    ("stride, same", (1, 2, 4, 3, 5), (2, 2, 2, 3, 2), {"stride": (2, 1, 2), "padding": "same"}),
    ("half, dilation", (1, 1, 4, 5, 3), (2, 1, 3, 2, 1), {"padding": "half", "dilation": (1, 2, 1)}),
    ("full", (1, 1, 2, 3, 2), (1, 1, 2, 2, 2), {"padding": "full"}),
    ("numbers, uneven", (1, 2, 3, 3, 4), (2, 2, 2, 2, 2), {"padding": ((1, 0), (0, 2), (1, 1)), "stride": (1, 2, 1)}),
    ("groups 2", (1, 4, 3, 3, 3), (4, 2, 2, 1, 2), {"groups": 2, "padding": 1}),
]


#: (x shape, w shape, label) of the 3-d layouts that must be refused
ERRORS_3D: list[tuple[tuple[int, ...], tuple[int, ...], str]] = [
    ((1, 3, 3, 3, 3), (2, 2, 2, 2, 2), "channels do not match"),
    ((1, 1, 2, 3, 3), (1, 1, 3, 2, 2), "kernel larger than the input"),
]


def _samples_3d(make: Any) -> Any:
    """:func:`_samples` over the 3-d layouts (float32 and run-time shapes on two)."""
    return _samples(make, LAYOUTS_3D, ERRORS_3D, slice(2, 4))


#: (label, x shape, w shape, keyword arguments) of conv1d
LAYOUTS_1D: list[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ("valid", (2, 3, 9), (4, 3, 3), {}),
    ("stride 2, same", (1, 2, 8), (3, 2, 4), {"stride": 2, "padding": "same"}),
    ("half, dilation 2", (2, 2, 7), (2, 2, 3), {"padding": "half", "dilation": 2}),
    ("full", (1, 1, 4), (2, 1, 3), {"padding": "full"}),
    ("uneven pads", (1, 2, 6), (2, 2, 2), {"padding": (2, 1), "stride": 2}),
    ("groups 2", (2, 4, 6), (6, 2, 3), {"groups": 2, "padding": 1}),
]


def _conv1d_reference(x: np.ndarray, w: np.ndarray, stride: Any = 1, padding: Any = "valid", dilation: Any = 1,
                      groups: int = 1) -> np.ndarray:
    """conv1d's padding ``(left, right)`` is one axis' pair."""
    pads = [tuple(padding)] if isinstance(padding, tuple) else padding
    return ref.convnd(x, w, stride, pads, dilation, groups)


def _conv1d_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for label, xs, ws, kwargs in LAYOUTS_1D:
        x, w = rng.normal(size=xs), rng.normal(size=ws)
        out.append(sample(x, w, label=label, **kwargs))
        if label.startswith(("stride", "half")):
            out.append(sample(x.astype("float32"), w.astype("float32"), static=["none", "none"],
                              label=f"{label}, float32, run-time shapes", **kwargs))
    out.append(sample(rng.normal(size=(1, 3, 5)), rng.normal(size=(2, 2, 3)), tags=["error"],
                      label="channels do not match"))
    return out


#: conv2d's "half" padding with kernels of every parity, known when the graph is built or only when it runs
HALF_LAYOUTS: list[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ("3x5", (2, 2, 6, 7), (3, 2, 3, 5), {}),
    ("2x4, stride 2", (1, 2, 7, 6), (2, 2, 2, 4), {"stride": 2}),
    ("3x3, dilation 2, groups 2", (1, 4, 7, 7), (4, 2, 3, 3), {"dilation": 2, "groups": 2}),
]


def _half_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for label, xs, ws, kwargs in HALF_LAYOUTS:
        x, w = rng.normal(size=xs), rng.normal(size=ws)
        out.append(sample(x, w, label=label, padding="half", **kwargs))
        out.append(sample(x, w, static=[xs, "none"], label=f"{label}, run-time filter shape", padding="half",
                          **kwargs))
        out.append(sample(x.astype("float32"), w.astype("float32"), static=["none", "none"],
                          label=f"{label}, float32, run-time shapes", padding="half", **kwargs))
    return out


#: (label, x shape, depthwise shape, pointwise shape, keyword arguments) of separable_conv2d
SEPARABLE_LAYOUTS: list[tuple[str, tuple[int, ...], tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ("valid", (2, 3, 5, 6), (3, 1, 3, 2), (4, 3, 1, 1), {}),
    ("multiplier 2, half, stride 2", (1, 2, 6, 5), (4, 1, 3, 3), (3, 4, 1, 1), {"padding": "half", "stride": 2}),
    ("dilation, numbers", (1, 2, 6, 6), (2, 1, 2, 2), (2, 2, 1, 1), {"padding": 1, "dilation": 2}),
]


def _separable(x: Any, depthwise: Any, pointwise: Any, num_channels: int, stride: Any = 1, padding: Any = "valid",
               dilation: Any = 1) -> Any:
    """Theano's ``separable_conv2d`` with its filters unflipped, PyTorch's words for the settings."""
    return separable_conv2d(x, depthwise, pointwise, num_channels, border_mode=padding, subsample=stride,
                            filter_flip=False, filter_dilation=dilation)


def _separable_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for label, xs, ds, ps, kwargs in SEPARABLE_LAYOUTS:
        values = [rng.normal(size=s) for s in (xs, ds, ps)]
        out.append(sample(*values, label=label, num_channels=xs[1], **kwargs))
        out.append(sample(*(v.astype("float32") for v in values), static=["none", "none", "none"],
                          label=f"{label}, float32, run-time shapes", num_channels=xs[1], **kwargs))
    return out


CASES += [
    *_family_cases("conv3d", conv3d, Conv3dGradInput, Conv3dGradWeights, _samples_3d),
    Case(name="conv1d", function="conv1d", build=conv1d, oracle=_conv1d_reference, samples=_conv1d_samples,
         tolerances={"float32": (1e-4, 1e-5)}),
    Case(name="conv2d_half", function="conv2d", build=conv2d, oracle=ref.convnd, samples=_half_samples,
         tolerances={"float32": (1e-4, 1e-5)}),
    Case(name="separable_conv2d", function="separable_conv2d", build=_separable, oracle=ref.separable_conv2d,
         samples=_separable_samples, tolerances={"float32": (1e-4, 1e-5)}),
]
