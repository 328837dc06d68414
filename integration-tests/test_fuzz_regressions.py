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
