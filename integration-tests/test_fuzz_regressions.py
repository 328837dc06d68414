"""Findings of the fuzzer that need the whole stack (gradients, rewrites, the C backend), as regression tests."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import arignote as ar


@pytest.mark.parametrize("mode", ["fast_compile", "fast_run"])
def test_a_replacement_that_knows_fewer_sizes_is_stated_to_have_them(mode):
    """A rule may replace a value of static shape (1, ?, ?) by one of (?, ?, ?) (a broadcast computed another
    way); users built on the size 1 (the gradient's dimshuffle dropping that axis) stay valid for later rules."""
    y = ar.dmatrix("y")
    out = (ar.squeeze(y, 1) * y).dimshuffle(("x", 1, 0))
    value = np.array([[0.5], [2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = ar.function([y], ar.grad(ar.sum(ar.sin(out)), [y]), mode=mode)
    want = ar.function([y], ar.grad(ar.sum(ar.sin(out)), [y]), mode="reference")(value)
    np.testing.assert_allclose(grad(value)[0], want[0])


@pytest.mark.parametrize("mode", ["reference", "fast_compile", "fast_run"])
def test_outputs_are_not_aliases_of_each_other(mode):
    """Two outputs of one buffer (the same variable twice, a view of another output, one CSE merged) are two
    arrays in every mode: writing into one changes no other."""
    x = ar.dmatrix("x")
    y = x ** 2
    f = ar.function([x], [y, x ** 2, y.T, ar.reshape(y, (1, -1)), y[0], ar.max(y, axis=None)[()]], mode=mode)
    outputs = f(np.arange(4.0).reshape(2, 2))
    for i, a in enumerate(outputs):
        for b in outputs[i + 1:]:
            assert not np.shares_memory(a, b)
