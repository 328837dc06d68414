"""Shared fixtures: one private module cache per test session, and helpers comparing the C backend with the
reference evaluator (NumPy is the oracle)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from arignote_c import CBackend
from arignote_core import function
from arignote_core.mode import Mode
from arignote_opt import standard_rewriter

TOLERANCE = {"float16": (2e-3, 1e-3), "float32": (2e-6, 1e-6), "float64": (1e-13, 1e-14),
             "complex64": (2e-6, 1e-6), "complex128": (1e-13, 1e-14)}


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A fresh private module cache, or ``$ARIGNOTE_TEST_CACHE_DIR`` when set: the nox sessions share one, so a
    combination re-running these tests loads the kernels the first run built instead of running gcc again."""
    shared = os.environ.get("ARIGNOTE_TEST_CACHE_DIR")
    return Path(shared) if shared else tmp_path_factory.mktemp("arignote-c-cache")


@pytest.fixture(scope="session")
def c_mode(cache_dir: Any) -> Mode:
    return Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 1})


@pytest.fixture(scope="session")
def fast_mode(cache_dir: Any) -> Mode:
    """graph-opt's standard rewrites (strict: a failing rule is an error), then the C backend."""
    return Mode(backend=CBackend(), rewriter=standard_rewriter(strict=True),
                options={"cache_dir": str(cache_dir), "threads": 1})


def assert_same(got: Any, want: Any, what: str = "") -> None:
    """Equal dtype and shape; exact for integers and booleans, close (NaN where NaN) for floats."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    if want.dtype.kind in "fc":
        rtol, atol = TOLERANCE[want.dtype.name]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
        assert np.array_equal(np.isnan(got), np.isnan(want)), f"{what}: NaNs differ"
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


def compare(inputs: Sequence[Any], outputs: Sequence[Any], values: Sequence[Any], mode: Mode,
            labels: Sequence[str] | None = None) -> Any:
    """Compile ``outputs`` with the C backend and the reference evaluator, run both on ``values`` and compare;
    also checks the C function left its inputs untouched. Returns the C function."""
    c_fn = function(list(inputs), list(outputs), mode=mode)
    ref_fn = function(list(inputs), list(outputs))
    copies = [np.array(v, copy=True) for v in values]
    got = c_fn(*values)
    want = ref_fn(*copies)
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        assert_same(g, w, labels[k] if labels else f"output {k}")
    for v, c in zip(values, copies, strict=True):
        np.testing.assert_array_equal(v, c, err_msg="the C function modified an input")
    return c_fn
