"""Conformance cases of control flow: ``ifelse`` (both branches, every kind of condition, broadcasting inside the
branches, and laziness: a branch that would fail is not run) and ``OpFromGraph`` (several outputs, broadcasting,
run-time shapes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...control import OpFromGraph, ifelse
from ...linalg import cholesky
from ...tensors import math as tm
from ...tensors.basic import tensor
from ..case import Case, Sample, sample
from ..generators import random_array

BRANCH_DTYPES = ("float64", "float32", "int64", "int8", "uint16", "complex128")
CONDITIONS = (np.array(True), np.array(False), np.array(3, "int32"), np.array(0, "uint8"), np.array(-0.5),
              np.array(0.0, "float32"))


def _branches(c: Any, x: Any, y: Any) -> Any:
    return ifelse(c, [x * y, x], [x - y * 2, y])


def _branches_oracle(c: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    if c.ndim != 0:
        raise TypeError("the condition must be 0-d")
    return [x * y, x] if c else [x - y * 2, y]


def _branch_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for k, c in enumerate(CONDITIONS):
        x, y = random_array(rng, "float64", (3, 4)), random_array(rng, "float64", (3, 4))
        out.append(sample(c, x, y, label=f"condition {c.dtype} {c.item()}"))
        if k < 2:
            out.append(sample(c, x, y, static=["full", "none", "none"], label=f"{c.item()}, run-time shapes"))
    for dtype in BRANCH_DTYPES[1:]:
        for c in CONDITIONS[:2]:
            x, y = random_array(rng, dtype, (2, 3)), random_array(rng, dtype, (2, 3))
            out.append(sample(c, x, y, label=f"{dtype}, {c.item()}"))
    for c in CONDITIONS[:2]:
        out.append(sample(c, random_array(rng, "float64", (3, 1)), random_array(rng, "float64", (3, 1)),
                          label=f"column, {c.item()}"))
        out.append(sample(c, random_array(rng, "float64", ()), random_array(rng, "float64", ()),
                          label=f"0-d, {c.item()}"))
        out.append(sample(c, np.zeros((0, 3)), np.zeros((0, 3)), tags=["empty"], label=f"empty, {c.item()}"))
    out.append(sample(np.ones(2, bool), np.ones(2), np.ones(2), tags=["error", "build-error"],
                      label="a condition that is not 0-d"))
    return out


def _cholesky_branch(c: Any, a: Any) -> Any:
    return ifelse(c, cholesky(a).sum(), tm.sum(a))


def _cholesky_oracle(c: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.linalg.cholesky(a).sum() if c else a.sum()


def _lazy_samples(rng: np.random.Generator) -> list[Sample]:
    spd = rng.normal(size=(3, 3))
    spd = spd @ spd.T + 3 * np.eye(3)
    indefinite = np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, -1.0]])
    return [sample(np.array(True), spd, label="positive definite, factored"),
            sample(np.array(False), indefinite, label="indefinite, not factored"),
            sample(np.array(0), indefinite, static=["full", "none"], label="indefinite, run-time shape")]


def _index_branch(c: Any, x: Any) -> Any:
    return ifelse(c, x[5], x[0])


def _index_oracle(c: np.ndarray, x: np.ndarray) -> np.ndarray:
    return x[5] if c else x[0]


def _index_samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (3,))
    return [sample(np.array(False), x, static=["full", "none"], label="out of range, not taken"),
            sample(np.array(True), random_array(rng, "float64", (7,)), static=["full", "none"], label="in range"),
            sample(np.array(True), x, static=["full", "none"], tags=["error"], label="out of range, taken")]


def _graph_op(x: Any, y: Any) -> Any:
    a, b = tensor(x.dtype, (None,) * x.ndim, name="a"), tensor(y.dtype, (None,) * y.ndim, name="b")
    op = OpFromGraph([a, b], [a * b + tm.sin(a), a - b], name="f")
    return op(x, y)


def _graph_op_oracle(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    return [x * y + np.sin(x), x - y]


def _graph_op_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for shapes in (((3, 4), (3, 4)), ((3, 1), (1, 4)), ((), ()), ((2, 3), ()), ((0, 3), (1, 3))):
        values = [random_array(rng, "float64", s) for s in shapes]
        tags = ["empty"] if any(0 in s for s in shapes) else []
        out.append(sample(*values, tags=tags, label=f"{shapes}"))
        out.append(sample(*values, static=["none", "none"], tags=tags, label=f"{shapes}, run-time shapes"))
    for dtype in ("float32", "int64", "complex128"):
        out.append(sample(random_array(rng, dtype, (2, 3)), random_array(rng, dtype, (2, 3)), label=dtype))
    return out


CASES = [
    Case(name="ifelse", function="ifelse", build=_branches, oracle=_branches_oracle,
         samples=_branch_samples, grad_wrt=(1, 2)),
    Case(name="ifelse.lazy_cholesky", function="ifelse", build=_cholesky_branch, oracle=_cholesky_oracle,
         samples=_lazy_samples, grad_wrt=(1,)),
    Case(name="ifelse.lazy_index", function="ifelse", build=_index_branch, oracle=_index_oracle,
         samples=_index_samples, grad_wrt=(1,)),
    Case(name="OpFromGraph", function="OpFromGraph", build=_graph_op, oracle=_graph_op_oracle,
         samples=_graph_op_samples),
]
