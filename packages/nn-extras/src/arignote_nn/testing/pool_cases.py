"""Conformance cases of the pooling ops: every mode, window, stride, padding and border rule, on 4-d and other
ranks, with static and run-time shapes, and the three gradient ops."""

from __future__ import annotations

from typing import Any

import numpy as np

from arignote_core.testing import Case, Sample, sample

from ..pool import AveragePool2dGrad, MaxPool2dGrad, MaxPool2dGradGrad, Pool2d, avg_pool2d, max_pool2d
from ..pool_nd import global_pool, pool_1d, pool_3d
from ..unpool import max_unpool_2d, unpool_2d
from . import references as ref

#: (label, input shape, ws, stride, pad, ignore_border)
LAYOUTS: list[tuple[str, tuple[int, ...], Any, Any, Any, bool]] = [
    ("2x2", (2, 3, 6, 6), 2, 2, 0, True),
    ("2x2, odd size, border dropped", (2, 2, 7, 5), 2, 2, 0, True),
    ("2x2, odd size, border kept", (2, 2, 7, 5), 2, 2, 0, False),
    ("3x3 stride 2, overlapping", (1, 2, 7, 8), 3, 2, 0, True),
    ("3x2 stride (2, 1), padding (1, 1)", (2, 1, 6, 5), (3, 2), (2, 1), 1, True),
    ("padding, border kept", (1, 2, 6, 7), 3, 2, 1, False),
    ("stride above window, border kept", (1, 1, 8, 7), 2, 3, 0, False),
    ("3-d input", (3, 5, 6), 2, 1, 0, True),
    ("2-d input", (5, 4), (2, 3), (1, 2), 0, False),
]

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def _layout_samples(rng: np.random.Generator, mode: str,
                    layouts: list[tuple[str, tuple[int, ...], Any, Any, Any, bool]]) -> list[Sample]:
    """One float64 sample of pooling in ``mode`` per layout."""
    return [sample(rng.normal(size=shape), label=f"{mode} {label}", ws=ws, stride=stride, pad=pad, ignore_border=ib,
                   mode=mode) for label, shape, ws, stride, pad, ib in layouts]


def _pool_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for mode in MODES:
        out += _layout_samples(rng, mode, LAYOUTS)
        kwargs: dict[str, Any] = {"ws": 2, "stride": 1, "pad": 1, "ignore_border": True, "mode": mode}
        x = rng.normal(size=(2, 2, 5, 4)).astype("float32")
        out.append(sample(x, static=["none"], label=f"{mode} float32, run-time shape", **kwargs))
        out.append(sample(x[:, :, :1, :1], tags=["error"], label=f"{mode} window larger than the input",
                          **{**kwargs, "pad": 0}))
    return out


def _pool(x: Any, ws: Any, stride: Any, pad: Any, ignore_border: bool, mode: str) -> Any:
    return Pool2d(ws, stride, pad, ignore_border, mode)(x)


def _function_samples(rng: np.random.Generator) -> list[Sample]:
    x = rng.normal(size=(2, 3, 7, 6))
    return [sample(x, kernel_size=2, label="2x2"),
            sample(x, kernel_size=3, stride=2, padding=1, ignore_border=False, label="3x3, padded, border kept"),
            sample(x.astype("float32"), static=["none"], kernel_size=(2, 3), stride=1, label="float32, run-time")]


def _max_pool_oracle(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, ignore_border: bool = True) -> Any:
    return ref.pool2d(x, kernel_size, stride, padding, ignore_border, "max")


def _avg_pool_oracle(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                     ignore_border: bool = True, count_include_pad: bool = True) -> Any:
    mode = "average_inc_pad" if count_include_pad else "average_exc_pad"
    return ref.pool2d(x, kernel_size, stride, padding, ignore_border, mode)


def _avg_function_samples(rng: np.random.Generator) -> list[Sample]:
    x = rng.normal(size=(2, 3, 7, 6))
    return [*_function_samples(rng),
            sample(x, kernel_size=3, stride=2, padding=1, count_include_pad=False, label="padding excluded")]


def _grad_samples(second: str) -> Any:
    """Samples ``(x, second)`` where ``second`` is ``"gy"`` (pooled shape) or ``"ggx"`` (input shape)."""

    def samples(rng: np.random.Generator) -> list[Sample]:
        out = []
        for label, shape, ws, stride, pad, ib in LAYOUTS:
            x = rng.normal(size=shape)
            pooled = ref.pool2d(x, ws, stride, pad, ib, "max").shape
            other = rng.normal(size=pooled if second == "gy" else shape)
            out.append(sample(x, other, label=label, ws=ws, stride=stride, pad=pad, ignore_border=ib))
        # the first maximum of each window: many equal maxima, NaN (the largest), windows of -inf (padding first)
        ties = rng.integers(0, 3, size=(2, 2, 6, 6)).astype("float64")
        ties[0, 0, 0, 1] = ties[0, 1, 2, 2] = np.nan
        ties[1, 0, :2, :2] = -np.inf
        for label, ws, stride, pad in (("2x2", 2, 2, 0), ("3x3 stride 2, padding 1", 3, 2, 1)):
            pooled = ref.pool2d(ties, ws, stride, pad, True, "max").shape
            other = rng.normal(size=pooled if second == "gy" else ties.shape)
            out.append(sample(ties, other, label=f"ties, NaN and -inf, {label}", ws=ws, stride=stride, pad=pad,
                              ignore_border=True))
        x = rng.normal(size=(1, 2, 6, 5)).astype("float32")
        other = rng.normal(size=(1, 2, 3, 2) if second == "gy" else x.shape).astype("float32")
        out.append(sample(x, other, static=["none", "none"], label="float32, run-time shapes", ws=2, stride=2,
                          pad=0, ignore_border=True))
        return out

    return samples


def _average_grad_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for mode in MODES[1:]:
        for label, shape, ws, stride, pad, ib in LAYOUTS:
            pooled = ref.pool2d(np.zeros(shape), ws, stride, pad, ib, mode).shape
            out.append(sample(rng.normal(size=pooled), np.array(shape, dtype="int64"), label=f"{mode} {label}",
                              ws=ws, stride=stride, pad=pad, ignore_border=ib, mode=mode))
    return out


CASES: list[Case] = [
    Case(name="pool2d", function="Pool2d", build=_pool, oracle=ref.pool2d, samples=_pool_samples),
    Case(name="max_pool2d", function="max_pool2d", build=max_pool2d, oracle=_max_pool_oracle,
         samples=_function_samples),
    Case(name="avg_pool2d", function="avg_pool2d", build=avg_pool2d, oracle=_avg_pool_oracle,
         samples=_avg_function_samples),
    Case(name="max_pool2d_grad", function="MaxPool2dGrad", grad_wrt=(1,),
         build=lambda x, gy, **kw: MaxPool2dGrad(**kw)(x, gy), oracle=ref.max_pool2d_grad,
         samples=_grad_samples("gy")),
    Case(name="max_pool2d_grad_grad", function="MaxPool2dGradGrad", grad_wrt=(1,),
         build=lambda x, ggx, **kw: MaxPool2dGradGrad(**kw)(x, ggx), oracle=ref.max_pool2d_grad_grad,
         samples=_grad_samples("ggx")),
    Case(name="average_pool2d_grad", function="AveragePool2dGrad", grad_wrt=(0,),
         build=lambda gy, shape, **kw: AveragePool2dGrad(**kw)(gy, shape), oracle=ref.average_pool2d_grad,
         samples=_average_grad_samples),
]


# -----------------------------------------------------------------------------------------------------------
# 1-d and 3-d pooling, global pooling, unpooling

#: (label, input shape, ws, stride, pad, ignore_border) of pool_1d
LAYOUTS_1D: list[tuple[str, tuple[int, ...], Any, Any, Any, bool]] = [
    ("2", (2, 3, 8), 2, None, 0, True),
    ("3 stride 2, odd size, border kept", (2, 9), 3, 2, 0, False),
    ("3 stride 2, padding 1, border dropped", (3, 2, 7), 3, 2, 1, True),
    ("2 stride 3, padding 1, border kept", (1, 10), 2, 3, 1, False),
    ("1-d input", (6,), 4, 1, 0, True),
]

#: (label, input shape, ws, stride, pad, ignore_border) of pool_3d
LAYOUTS_3D: list[tuple[str, tuple[int, ...], Any, Any, Any, bool]] = [
    ("2x2x2", (2, 2, 4, 4, 4), 2, None, 0, True),
    ("(2, 3, 2) stride (1, 2, 2), border kept", (1, 2, 5, 6, 5), (2, 3, 2), (1, 2, 2), 0, False),
    ("3x3x3 stride 2, padding (1, 0, 1)", (1, 1, 5, 4, 6), 3, 2, (1, 0, 1), True),
    ("padding 1, border kept", (2, 3, 5, 4), (2, 2, 3), (2, 2, 2), 1, False),
    ("3-d input", (3, 4, 5), (3, 2, 2), (2, 2, 1), 0, True),
]


def _nd_samples(layouts: list[tuple[str, tuple[int, ...], Any, Any, Any, bool]]) -> Any:
    def samples(rng: np.random.Generator) -> list[Sample]:
        out = []
        for mode in MODES:
            out += _layout_samples(rng, mode, layouts)
            label, shape, ws, stride, pad, ib = layouts[1]
            x = rng.normal(size=shape).astype("float32")
            out.append(sample(x, static=["none"], label=f"{mode} float32, run-time shape", ws=ws, stride=stride,
                              pad=pad, ignore_border=ib, mode=mode))
            out.append(sample(np.zeros(shape[:-1] + (1,)), tags=["error"], label=f"{mode} window larger than the "
                              "input", ws=ws, stride=stride, pad=0, ignore_border=True, mode=mode))
        # non-contiguous view
        x = rng.normal(size=(2, *layouts[0][1][1:-1], 2 * layouts[0][1][-1]))[..., ::2]
        out.append(sample(x, label="max, strided view", ws=layouts[0][2], stride=None, pad=0, ignore_border=True,
                          mode="max"))
        return out

    return samples


def _global_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for mode in ("max", "average"):
        out += [sample(rng.normal(size=(2, 3, 4, 5)), mode=mode, label=f"{mode}, 4-d"),
                sample(rng.normal(size=(2, 3, 4)), mode=mode, ndim=1, label=f"{mode}, over one axis"),
                sample(rng.normal(size=(2, 2, 3, 3, 2)), mode=mode, ndim=3, label=f"{mode}, over three axes"),
                sample(rng.normal(size=(3, 4, 5)).astype("float32"), static=["none"], mode=mode,
                       label=f"{mode}, float32, run-time shape")]
    return out


def _unpool_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(rng.normal(size=(2, 3, 3, 4)), ws=2, label="2x2"),
            sample(rng.normal(size=(3, 2)), ws=(1, 3), label="(1, 3), 2-d"),
            sample(rng.normal(size=(2, 2, 3)).astype("float32"), static=["none"], ws=(3, 2),
                   label="float32, run-time shape")]


def _max_unpool_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for label, shape, ws, stride, pad, ib in LAYOUTS[:7]:
        x = rng.normal(size=shape)
        pooled = ref.pool2d(x, ws, stride, pad, ib, "max")
        out.append(sample(rng.normal(size=pooled.shape), x, label=label, ws=ws, stride=stride, pad=pad,
                          ignore_border=ib))
    x = rng.normal(size=(2, 2, 6, 5)).astype("float32")
    out.append(sample(rng.normal(size=(2, 2, 3, 3)).astype("float32"), x, static=["none", "none"], ws=2,
                      label="float32, run-time shapes"))
    return out


CASES += [
    Case(name="pool_1d", function="pool_1d", build=pool_1d, oracle=ref.pool1d, samples=_nd_samples(LAYOUTS_1D)),
    Case(name="pool_3d", function="pool_3d", build=pool_3d, oracle=ref.pool3d, samples=_nd_samples(LAYOUTS_3D)),
    Case(name="global_pool", function="global_pool", build=global_pool, oracle=ref.global_pool,
         samples=_global_samples),
    Case(name="unpool_2d", function="unpool_2d", build=unpool_2d, oracle=ref.unpool_2d, samples=_unpool_samples),
    Case(name="max_unpool_2d", function="max_unpool_2d", grad_wrt=(0,), build=max_unpool_2d,
         oracle=ref.max_unpool_2d, samples=_max_unpool_samples),
]
