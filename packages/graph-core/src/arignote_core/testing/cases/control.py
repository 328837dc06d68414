"""Conformance cases of control flow: ``ifelse`` (both branches, every kind of condition, broadcasting inside the
branches, and laziness: a branch that would fail is not run), ``OpFromGraph`` (several outputs, broadcasting,
run-time shapes) and ``scan`` (a recurrence, taps, outputs not fed back, a while loop, a nested loop, zero steps,
a backwards loop, ``map``/``reduce``/``foldr``), each against a NumPy loop."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...control import OpFromGraph, foldr, ifelse, reduce, scan, until
from ...control import map as scan_map
from ...linalg import cholesky
from ...tensors import math as tm
from ...tensors.basic import tensor
from ...tensors.creation import ones_like, zeros_like
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


def _rnn(x: Any, w: Any, u: Any, h0: Any) -> Any:
    h, _ = scan(lambda x_t, h_tm1: tm.tanh(x_t @ w + h_tm1 @ u), sequences=x, outputs_info=h0)
    return h


def _rnn_oracle(x: np.ndarray, w: np.ndarray, u: np.ndarray, h0: np.ndarray) -> np.ndarray:
    states, h = [], h0
    for x_t in x:
        h = np.tanh(x_t @ w + h @ u)
        states.append(h)
    return np.array(states).reshape((len(x), *np.shape(h0 @ u)))


def _rnn_samples(rng: np.random.Generator) -> list[Sample]:
    out = []
    for steps, batch in ((5, ()), (3, (2,)), (0, ()), (1, (1,))):
        values = [random_array(rng, "float64", (steps, *batch, 3)), random_array(rng, "float64", (3, 4)) * 0.5,
                  random_array(rng, "float64", (4, 4)) * 0.5, random_array(rng, "float64", (*batch, 4))]
        tags = ["empty"] if steps == 0 else []
        out.append(sample(*values, tags=tags, label=f"{steps} steps, batch {batch}"))
        out.append(sample(*values, static=["none"] * 4, tags=tags, label=f"{steps} steps, run-time shapes"))
    x = random_array(rng, "float32", (4, 3))
    out.append(sample(x, *(random_array(rng, "float32", s) for s in ((3, 4), (4, 4), (4,))), label="float32"))
    view = random_array(rng, "float64", (6, 6))[::2, ::2]
    out.append(sample(view, random_array(rng, "float64", (3, 4)), random_array(rng, "float64", (4, 4)),
                      random_array(rng, "float64", (4,)), tags=["view"], label="a strided sequence"))
    out.append(sample(random_array(rng, "float64", (4, 3)), random_array(rng, "float64", (3, 4)),
                      random_array(rng, "float64", (4, 4)), random_array(rng, "float64", (5,)),
                      tags=["error"], label="a state of the wrong length"))
    return out


def _taps(x: Any, h0: Any) -> Any:
    def step(x_tm2: Any, x_t: Any, x_tp1: Any, h_tm1: Any, h_tm3: Any) -> Any:
        return x_tm2 + 2 * x_t + 3 * x_tp1 + 0.5 * h_tm1 - 0.25 * h_tm3

    h, _ = scan(step, sequences=dict(input=x, taps=[-2, 0, 1]), outputs_info=dict(initial=h0, taps=[-1, -3]))
    return h


def _taps_oracle(x: np.ndarray, h0: np.ndarray) -> np.ndarray:
    values = list(h0)
    for i in range(2, len(x) - 1):
        values.append(x[i - 2] + 2 * x[i] + 3 * x[i + 1] + 0.5 * values[-1] - 0.25 * values[-3])
    return np.array(values[3:], dtype=np.result_type(x, h0)).reshape((max(len(x) - 3, 0), *np.shape(h0)[1:]))


def _taps_samples(rng: np.random.Generator) -> list[Sample]:
    out = [sample(random_array(rng, "float64", (9,)), random_array(rng, "float64", (3,)), label="vectors"),
           sample(random_array(rng, "float64", (6, 2)), random_array(rng, "float64", (3, 2)), label="rows"),
           sample(random_array(rng, "float64", (3,)), random_array(rng, "float64", (3,)), tags=["empty"],
                  label="no step"),
           sample(random_array(rng, "float64", (7,)), random_array(rng, "float64", (3,)), static=["none", "none"],
                  label="run-time shapes")]
    return out


def _outputs(x: Any) -> Any:
    def step(x_t: Any, s_tm1: Any, p_tm1: Any) -> Any:
        return x_t * 2, s_tm1 + x_t, p_tm1 * x_t, x_t ** 2

    zero, one = zeros_like(x[0]), ones_like(x[0])
    outputs, _ = scan(step, sequences=x, outputs_info=[None, zero, one, None])
    return outputs


def _outputs_oracle(x: np.ndarray) -> list[np.ndarray]:
    return [x * 2, np.cumsum(x, axis=0), np.cumprod(x, axis=0), x ** 2]


def _outputs_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(random_array(rng, "float64", (5,)), label="a vector"),
            sample(random_array(rng, "float64", (4, 3)), label="rows"),
            sample(random_array(rng, "int64", (4, 2)), label="integer rows"),
            sample(random_array(rng, "float32", (6,)), label="float32")]


def _doubling(x0: Any, limit: Any) -> Any:
    def step(x: Any) -> Any:
        new = x * 2
        return new, until(new > limit)

    values, _ = scan(step, outputs_info=x0, n_steps=40)
    return values


def _doubling_oracle(x0: np.ndarray, limit: np.ndarray) -> np.ndarray:
    values, x = [], x0
    for _ in range(40):
        x = x * 2
        values.append(x)
        if x > limit:
            break
    return np.array(values, dtype=x0.dtype)


def _doubling_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(np.float64(1.0), np.float64(20.0), label="ends after 5 steps",
                   not_differentiable="the number of steps depends on the limit"),
            sample(np.float64(0.7), np.float64(1e300), label="runs the maximum number of steps",
                   not_differentiable="the number of steps depends on the limit"),
            sample(np.float64(-1.0), np.float64(0.0), label="ends after its first step",
                   not_differentiable="the number of steps depends on the limit")]


def _nested(x: Any) -> Any:
    def row_sum(row: Any, acc: Any) -> Any:
        inner, _ = scan(lambda v, s: s + v * v, sequences=row, outputs_info=zeros_like(row[0]))
        return acc + inner[-1]

    totals, _ = scan(row_sum, sequences=x, outputs_info=zeros_like(x[0, 0]))
    return totals


def _nested_oracle(x: np.ndarray) -> np.ndarray:
    return np.cumsum((x * x).sum(axis=1))


def _nested_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(random_array(rng, "float64", (4, 3)), label="4 rows"),
            sample(random_array(rng, "float64", (1, 5)), static=["none"], label="one row, run-time shape")]


def _backwards(x: Any) -> Any:
    acc, _ = scan(lambda x_t, s: s * 0.5 + x_t, sequences=x, outputs_info=zeros_like(x[0]), go_backwards=True)
    diffs, _ = scan(lambda a, b: a - b, sequences=dict(input=x, taps=[0, 2]), go_backwards=True)
    return [acc, diffs]


def _backwards_oracle(x: np.ndarray) -> list[np.ndarray]:
    acc, s = [], np.zeros_like(x[0])
    for value in x[::-1]:
        s = s * 0.5 + value
        acc.append(s)
    return [np.array(acc), (x[:-2] - x[2:])[::-1]]


def _backwards_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(random_array(rng, "float64", (6,)), label="a vector"),
            sample(random_array(rng, "float64", (5, 2)), static=["none"], label="rows, run-time shape")]


def _functional(x: Any, w: Any) -> Any:
    mapped, _ = scan_map(lambda row: tm.tanh(row @ w), sequences=x)
    total, _ = reduce(lambda row, acc: acc + row.sum(), sequences=x, outputs_info=zeros_like(w[0, 0]))
    folded, _ = foldr(lambda row, acc: acc * 0.5 + row, sequences=x, outputs_info=zeros_like(x[0]))
    return [mapped, total, folded]


def _functional_oracle(x: np.ndarray, w: np.ndarray) -> list[np.ndarray]:
    folded = np.zeros_like(x[0])
    for row in x[::-1]:
        folded = folded * 0.5 + row
    return [np.tanh(x @ w), x.sum(), folded]


def _functional_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(random_array(rng, "float64", (4, 3)), random_array(rng, "float64", (3, 2)), label="rows"),
            sample(random_array(rng, "float64", (1, 2)), random_array(rng, "float64", (2, 2)),
                   static=["none", "none"], label="one row, run-time shapes")]


CASES = [
    Case(name="ifelse", function="ifelse", build=_branches, oracle=_branches_oracle,
         samples=_branch_samples, grad_wrt=(1, 2)),
    Case(name="ifelse.lazy_cholesky", function="ifelse", build=_cholesky_branch, oracle=_cholesky_oracle,
         samples=_lazy_samples, grad_wrt=(1,)),
    Case(name="ifelse.lazy_index", function="ifelse", build=_index_branch, oracle=_index_oracle,
         samples=_index_samples, grad_wrt=(1,)),
    Case(name="OpFromGraph", function="OpFromGraph", build=_graph_op, oracle=_graph_op_oracle,
         samples=_graph_op_samples),
    Case(name="scan.recurrence", function="scan", build=_rnn, oracle=_rnn_oracle, samples=_rnn_samples,
         tolerances={"float32": (1e-4, 1e-5)}),
    Case(name="scan.taps", function="scan", build=_taps, oracle=_taps_oracle, samples=_taps_samples),
    Case(name="scan.outputs_not_fed_back", function="scan", build=_outputs, oracle=_outputs_oracle,
         samples=_outputs_samples),
    Case(name="scan.until", function="scan", build=_doubling, oracle=_doubling_oracle, samples=_doubling_samples,
         dynamic_shape=True),
    Case(name="scan.nested", function="scan", build=_nested, oracle=_nested_oracle, samples=_nested_samples),
    Case(name="scan.go_backwards", function="scan", build=_backwards, oracle=_backwards_oracle,
         samples=_backwards_samples),
    Case(name="scan.map_reduce_foldr", function="scan", build=_functional, oracle=_functional_oracle,
         samples=_functional_samples),
]
