"""Graphs rewritten by graph-opt's standard pipeline: fused elementwise kernels, fused reductions (FusedReduce)
and GEMM/GEMV compile to C and match the reference evaluator on the unrewritten graph."""

from __future__ import annotations

import numpy as np
from conftest import assert_same

import arignote_core as ac
from arignote_core import function, tensor


def check(inputs, outputs, values, mode) -> object:
    f = function(inputs, outputs, mode=mode)
    for got, want in zip(f(*values), function(inputs, outputs)(*values), strict=True):
        assert_same(got, want)
    return f


def test_softmax_logsumexp_and_w1(fast_mode) -> None:
    rng = np.random.default_rng(0)
    x, y = tensor("float64", (None, None), "x"), tensor("float64", (None, None), "y")
    e = ac.exp(x - x.max(axis=1, keepdims=True))
    softmax = e / e.sum(axis=1, keepdims=True)
    logsumexp = ac.log(ac.exp(x).sum(axis=0))
    w1 = ac.exp(-(x**2)) * ac.sin(y) + x * y
    f = check([x, y], [softmax, logsumexp, w1, (x * y).sum(axis=1)],
              [rng.standard_normal((50, 70)), rng.standard_normal((50, 70))], fast_mode)
    info = f.executable.info
    ops = {type(s.node.op).__name__ for s in info.steps}
    assert "FusedReduce" in ops and not info.fallbacks


def test_mlp_layer_with_gemm(fast_mode) -> None:
    rng = np.random.default_rng(1)
    x, w = tensor("float32", (None, None), "x"), tensor("float32", (None, None), "w")
    b, v = tensor("float32", (None,), "b"), tensor("float32", (None,), "v")
    outputs = [ac.tanh(ac.dot(x, w) + b), ac.dot(x, w) * 2 - 1, ac.dot(w.T, v) + 3, ac.dot(x.T, x)]
    f = check([x, w, b, v], outputs, [rng.standard_normal((16, 9)).astype("float32"),
                                      rng.standard_normal((9, 5)).astype("float32"),
                                      rng.standard_normal(5).astype("float32"),
                                      rng.standard_normal(9).astype("float32")], fast_mode)
    assert not f.executable.info.fallbacks
    assert {"Gemm", "Gemv"} & {type(s.node.op).__name__ for s in f.executable.info.steps}


def test_empty_max_with_initial(fast_mode) -> None:
    x = tensor("float64", (None, None), "x")
    e = ac.exp(x - x.max(axis=1, keepdims=True))
    f = function([x], e / e.sum(axis=1, keepdims=True), mode=fast_mode)
    assert f(np.zeros((0, 4))).shape == (0, 4)
