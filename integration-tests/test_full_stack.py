"""Through the meta-package, end to end: every package imports; graphs built with `arignote` match NumPy."""

import importlib

import numpy as np
import pytest

import arignote as ar

PACKAGES = [
    "arignote",
    "arignote_core",
    "arignote_opt",
    "arignote_grad",
    "arignote_c",
    "arignote_cuda",
    "arignote_nn",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_package_imports(name: str) -> None:
    module = importlib.import_module(name)
    assert isinstance(module.__version__, str)


def test_elementwise_expression_matches_numpy() -> None:
    rng = np.random.default_rng(0)
    x_val, y_val = rng.standard_normal(100), rng.standard_normal(100)
    x, y = ar.dvector("x"), ar.dvector("y")
    f = ar.function([x, y], ar.exp(-(x**2)) * ar.sin(y) + x * y)
    np.testing.assert_allclose(
        f(x_val, y_val), np.exp(-(x_val**2)) * np.sin(y_val) + x_val * y_val, rtol=1e-12
    )


def test_shared_weights_and_reduction_match_numpy() -> None:
    rng = np.random.default_rng(1)
    w_val, x_val = rng.standard_normal((5, 3)), rng.standard_normal((4, 5))
    x = ar.dmatrix("x")
    w = ar.shared(w_val, name="W")
    f = ar.function([x], ar.mean(ar.tanh(ar.dot(x, w)), axis=1))
    np.testing.assert_allclose(f(x_val), np.tanh(x_val @ w_val).mean(axis=1), rtol=1e-12)
