"""Conformance cases of reductions: sum, prod, max, min, all, any, mean, argmax, argmin."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...tensors import math as tm
from ..case import Case, sample
from ..generators import reductions

INTEGER_OUTPUT = "integer output (an index)"
BOOLEAN_OUTPUT = "boolean output"


def _reduction(name: str, reference: Any = None, reason: str = "", **options: Any) -> Case:
    fn = getattr(tm, name)
    ref = reference if reference is not None else getattr(np, name)
    return Case(name=name, function=name, build=lambda x, **kw: fn(x, **kw), oracle=lambda x, **kw: ref(x, **kw),
                samples=reductions(**options), differentiable=not reason, why_not_differentiable=reason)


def _dtype_samples(rng: np.random.Generator) -> list[Any]:
    x8 = rng.integers(-100, 100, (3, 4)).astype("int8")
    return [sample(x8, axis=0, dtype="int8", label="int8 accumulating in int8 (wraps)"),
            sample(x8, axis=None, dtype="float32", label="int8 into float32"),
            sample(rng.normal(size=(3, 4)).astype("float16"), axis=1, dtype="float64", label="float16 into float64"),
            sample(rng.integers(0, 2, (5,)).astype(bool), axis=0, dtype="int16", label="bool into int16")]


def _initial_samples(rng: np.random.Generator) -> list[Any]:
    x = rng.normal(size=(3, 4))
    return [sample(x, initial=0.5, label="all axes"), sample(x, axis=1, initial=-3.0, label="axis 1"),
            sample(np.zeros((0, 3)), axis=0, initial=2.0, tags=["empty"], label="empty with initial"),
            sample(rng.integers(-5, 5, (2, 3)).astype("int8"), axis=(0, 1), keepdims=True, initial=7,
                   label="int8 keepdims")]


CASES: list[Case] = [
    _reduction("sum"), _reduction("prod", domain=(0.5, 1.5), int_domain=(-2, 2)),
    _reduction("max"), _reduction("min"),
    _reduction("all", reason=BOOLEAN_OUTPUT), _reduction("any", reason=BOOLEAN_OUTPUT),
    _reduction("mean"),
    _reduction("argmax", reason=INTEGER_OUTPUT, multi_axis=False),
    _reduction("argmin", reason=INTEGER_OUTPUT, multi_axis=False),
    Case(name="sum/dtype", function="sum", build=lambda x, **kw: tm.sum(x, **kw),
         oracle=lambda x, **kw: np.sum(x, **kw), samples=_dtype_samples),
    Case(name="prod/dtype", function="prod", build=lambda x, **kw: tm.prod(x, **kw),
         oracle=lambda x, **kw: np.prod(x, **kw), samples=_dtype_samples),
    *(Case(name=f"{name}/initial", function=name, build=getattr(tm, name), oracle=getattr(np, name),
           samples=_initial_samples) for name in ("sum", "prod", "max", "min")),
    Case(name="mean/dtype", function="mean", build=lambda x, **kw: tm.mean(x, **kw),
         oracle=lambda x, **kw: np.mean(x, **kw), samples=_dtype_samples),
]
