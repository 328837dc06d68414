"""Conformance cases of the stable softmax family: softmax, log_softmax, logsumexp (SciPy's semantics, promoting
integers like ``np.exp``), including logits far beyond exp's range."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.special

import arignote_core as ac

from ...dtypes import upcast_float
from ..case import Case, Sample, sample
from ..generators import concat, reductions

DTYPES = ("float16", "float32", "float64", "int8", "int64", "uint16")
LOOSE_HALF = {"float16": (2e-2, 1e-2)}


def _oracle(fn: Callable[..., Any], default_axis: int | None) -> Callable[..., Any]:
    """SciPy's function in float64, cast to the dtype ``np.exp`` gives; softmax and log_softmax default to the
    last axis (as in Theano, JAX and PyTorch; SciPy's default is all axes)."""

    def oracle(x: np.ndarray, **kwargs: Any) -> np.ndarray:
        kwargs = {"axis": default_axis, **kwargs}
        if kwargs["axis"] is not None and x.ndim == 0:
            raise ValueError("axis out of bounds for a 0-d array")  # as np.max(x, axis=-1); SciPy special-cases it
        dtype = upcast_float(x.dtype.name)
        if x.size == 0 and fn is not scipy.special.logsumexp:
            return np.empty(x.shape, dtype)  # an empty softmax is empty (as in JAX and PyTorch; SciPy raises)
        return np.asarray(fn(x.astype("float64"), **kwargs)).astype(dtype)

    return oracle


def _huge_logits(rng: np.random.Generator) -> list[Sample]:
    x = rng.normal(size=(3, 4)) * 1000
    return [sample(x, axis=1, label="logits of +-1000"), sample(x.astype("float32"), axis=0, label="float32 +-1000")]


def _case(name: str, keepdims: bool, default_axis: int | None) -> Case:
    fn, ref = getattr(ac, name), getattr(scipy.special, name)
    return Case(name=name, function=name, build=lambda x, **kw: fn(x, **kw), oracle=_oracle(ref, default_axis),
                samples=concat(reductions(dtypes=DTYPES, primary=("float64", "float32"), keepdims=keepdims,
                                          edges=False), _huge_logits),
                tolerances=LOOSE_HALF)


CASES = [_case("softmax", keepdims=False, default_axis=-1), _case("log_softmax", keepdims=False, default_axis=-1),
         _case("logsumexp", keepdims=True, default_axis=None)]
