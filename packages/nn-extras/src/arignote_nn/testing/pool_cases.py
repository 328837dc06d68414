"""Conformance cases of the pooling ops: every mode, window, stride, padding and border rule, on 4-d and other
ranks, with static and run-time shapes, and the three gradient ops."""

from __future__ import annotations

from typing import Any

import numpy as np

from arignote_core.testing import Case, Sample, sample

from ..pool import AveragePool2dGrad, MaxPool2dGrad, MaxPool2dGradGrad, Pool2d, avg_pool2d, max_pool2d
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


def _pool_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for mode in MODES:
        for label, shape, ws, stride, pad, ib in LAYOUTS:
            kwargs = {"ws": ws, "stride": stride, "pad": pad, "ignore_border": ib, "mode": mode}
            out.append(sample(rng.normal(size=shape), label=f"{mode} {label}", **kwargs))
        kwargs = {"ws": 2, "stride": 1, "pad": 1, "ignore_border": True, "mode": mode}
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
