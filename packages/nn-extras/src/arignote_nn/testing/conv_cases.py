"""Conformance cases of the convolution ops: ``conv2d``, its two gradients and ``conv2d_transpose``, over
strides, the padding modes, dilation, groups, static and run-time shapes, float64 and float32."""

from __future__ import annotations

from typing import Any

import numpy as np

from arignote_core.testing import Case, Sample, sample

from ..conv import Conv2dGradInput, Conv2dGradWeights, conv2d, conv2d_transpose
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


def _samples(make: Any) -> Any:
    """Samples from ``make(rng, x_shape, w_shape, dtype) -> arrays`` over every layout, with float32 and
    run-time shapes on a few, and errors (channels that do not match, a kernel larger than the input)."""

    def samples(rng: np.random.Generator) -> list[Sample]:
        out = []
        for label, xs, ws, kwargs in LAYOUTS:
            out.append(sample(*make(rng, xs, ws, "float64", kwargs), label=label, **kwargs))
        for label, xs, ws, kwargs in LAYOUTS[2:5]:
            values = make(rng, xs, ws, "float32", kwargs)
            out.append(sample(*values, label=f"{label}, float32", **kwargs))
            out.append(sample(*values, static=["none"] * len(values), label=f"{label}, run-time shapes", **kwargs))
        out.append(sample(*make(rng, (1, 3, 5, 5), (2, 2, 3, 3), "float64", {}), tags=["error"],
                          label="channels do not match"))
        out.append(sample(*make(rng, (1, 1, 2, 5), (1, 1, 3, 3), "float64", {}), tags=["error"],
                          label="kernel larger than the input"))
        return out

    return samples


def _forward_inputs(rng: np.random.Generator, xs: Any, ws: Any, dtype: str, kwargs: Any) -> list[np.ndarray]:
    return [rng.normal(size=xs).astype(dtype), rng.normal(size=ws).astype(dtype)]


def _output_shape(xs: Any, ws: Any, kwargs: Any) -> tuple[int, ...]:
    try:
        return ref.conv2d(np.zeros(xs), np.zeros(ws), **kwargs).shape
    except ValueError:
        return (xs[0], ws[0], 1, 1)


def _grad_input_inputs(rng: np.random.Generator, xs: Any, ws: Any, dtype: str, kwargs: Any) -> list[np.ndarray]:
    return [rng.normal(size=ws).astype(dtype), rng.normal(size=_output_shape(xs, ws, kwargs)).astype(dtype),
            np.array(xs, dtype="int64")]


def _grad_weights_inputs(rng: np.random.Generator, xs: Any, ws: Any, dtype: str, kwargs: Any) -> list[np.ndarray]:
    return [rng.normal(size=xs).astype(dtype), rng.normal(size=_output_shape(xs, ws, kwargs)).astype(dtype),
            np.array(ws, dtype="int64")]


def _grad_input(w: Any, gy: Any, input_shape: Any, **kwargs: Any) -> Any:
    return Conv2dGradInput(**kwargs)(w, gy, input_shape)


def _grad_weights(x: Any, gy: Any, filter_shape: Any, **kwargs: Any) -> Any:
    return Conv2dGradWeights(**kwargs)(x, gy, filter_shape)


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
    Case(name="conv2d", function="conv2d", build=conv2d, oracle=ref.conv2d,
         samples=_samples(_forward_inputs), tolerances={"float32": (1e-4, 1e-5)}),
    Case(name="conv2d_grad_input", function="Conv2dGradInput", build=_grad_input, oracle=ref.conv2d_grad_input,
         samples=_samples(_grad_input_inputs), grad_wrt=(0, 1), tolerances={"float32": (1e-4, 1e-5)}),
    Case(name="conv2d_grad_weights", function="Conv2dGradWeights", build=_grad_weights,
         oracle=ref.conv2d_grad_weights, samples=_samples(_grad_weights_inputs), grad_wrt=(0, 1),
         tolerances={"float32": (1e-4, 1e-5)}),
    Case(name="conv2d_transpose", function="conv2d_transpose", build=conv2d_transpose, oracle=ref.conv2d_transpose,
         samples=_transpose_samples, tolerances={"float32": (1e-4, 1e-5)}),
]
