"""Shared-variable updates computed into the variable's own buffer (graph-opt's memory plan, Gemm accumulating
into its bias), and the cases where that must not happen: the old value is still needed, or is aliased."""

from __future__ import annotations

import numpy as np
import pytest

import arignote_core as ac
from arignote_core import function, tensor

RATE = 0.01


def _problem(dtype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    return (rng.standard_normal((20, 30)).astype(dtype), rng.standard_normal((7, 20)).astype(dtype),
            rng.standard_normal((7, 30)).astype(dtype))


def _gemm_steps(f) -> list:
    return [s for s in f.executable.info.steps if type(s.node.op).__name__ == "Gemm"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sgd_update_accumulates_into_the_shared_buffer(fast_mode, dtype) -> None:
    w0, x, g = _problem(dtype)
    w = ac.shared(w0.copy(), name="w")
    xs, gs = tensor(dtype, (None, 20), "x"), tensor(dtype, (None, 30), "g")
    f = function([xs, gs], [], updates=[(w, w - RATE * (xs.T @ gs))], mode=fast_mode)
    assert len(_gemm_steps(f)) == 1
    buffer = w.get_value(borrow=True)
    expected = w0.copy()
    for _ in range(3):
        f(x, g)
        expected = expected - np.asarray(RATE, dtype) * (x.T @ g)
    assert w.get_value(borrow=True) is buffer, "the update did not reuse the shared buffer"
    np.testing.assert_allclose(buffer, expected, rtol=1e-5 if dtype == "float32" else 1e-12)


def test_outputs_read_the_old_value(fast_mode) -> None:
    """An output that reads w sees the value from before the update, wherever the update runs."""
    w0, x, g = _problem("float64")
    w = ac.shared(w0.copy(), name="w")
    xs, gs = tensor("float64", (None, 20), "x"), tensor("float64", (None, 30), "g")
    f = function([xs, gs], (xs @ w).sum(), updates=[(w, w - RATE * (xs.T @ gs))], mode=fast_mode)
    got = f(x, g)
    np.testing.assert_allclose(got, (x @ w0).sum(), rtol=1e-12)
    np.testing.assert_allclose(w.get_value(), w0 - RATE * (x.T @ g), rtol=1e-12)


def test_update_also_returned_is_not_aliased(fast_mode) -> None:
    """A caller who receives the new value as an output keeps it unchanged by later calls."""
    w0, x, g = _problem("float64")
    w = ac.shared(w0.copy(), name="w")
    xs, gs = tensor("float64", (None, 20), "x"), tensor("float64", (None, 30), "g")
    new = w - RATE * (xs.T @ gs)
    f = function([xs, gs], new, updates=[(w, new)], mode=fast_mode)
    first = f(x, g)
    kept = first.copy()
    f(x, g)
    np.testing.assert_array_equal(first, kept)
    np.testing.assert_allclose(w.get_value(), w0 - 2 * RATE * (x.T @ g), rtol=1e-12)


def test_shared_value_passed_as_an_input_too(fast_mode) -> None:
    """An explicit input that is the shared variable's own buffer sees the old value for the whole call."""
    w0, x, _ = _problem("float64")
    w = ac.shared(w0.copy(), name="w")
    ws, xs = tensor("float64", (None, 30), "v"), tensor("float64", (None, 20), "x")
    f = function([ws, xs], (xs @ ws).sum(), updates=[(w, w - RATE * (xs.T @ (xs @ w)))], mode=fast_mode)
    buffer = w.get_value(borrow=True)
    got = f(buffer, x)
    np.testing.assert_allclose(got, (x @ w0).sum(), rtol=1e-12)
    np.testing.assert_allclose(w.get_value(), w0 - RATE * (x.T @ (x @ w0)), rtol=1e-12)


def test_a_product_never_accumulates_into_its_own_factor(fast_mode) -> None:
    """h + dot(h, W) and W - 0.5 * dot(W, dot(W.T, W)): GEMM's bias is also one of its factors."""
    rng = np.random.default_rng(4)
    xv, wv = rng.random((64, 64)), rng.random((64, 64))
    x, ws = tensor("float64", (None, None), "x"), tensor("float64", (None, None), "w")
    h = ac.tanh(x)
    f = function([x, ws], h + ac.dot(h, ws), mode=fast_mode)
    np.testing.assert_allclose(f(xv, wv), np.tanh(xv) + np.tanh(xv) @ wv, rtol=1e-12)
    w = ac.shared(wv * 0.1, name="w")
    step = function([], [], updates=[(w, w - 0.5 * ac.dot(w, ac.dot(w.T, w)))], mode=fast_mode)
    step()
    old = wv * 0.1
    np.testing.assert_allclose(w.get_value(), old - 0.5 * old @ (old.T @ old), rtol=1e-12)


@pytest.mark.parametrize("returned", ["w", "w.T", "w[0]", "new.T"])
def test_outputs_returning_the_shared_buffer_see_the_value_of_their_call(fast_mode, returned) -> None:
    """Outputs are the values before the updates; an output viewing the new value is not changed by later
    calls."""
    w0, x, g = _problem("float64")
    w = ac.shared(w0.copy(), name="w")
    xs, gs = tensor("float64", (None, 20), "x"), tensor("float64", (None, 30), "g")
    new = w - RATE * (xs.T @ gs)
    output = {"w": w, "w.T": w.T, "w[0]": w[0], "new.T": new.T}[returned]
    f = function([xs, gs], output, updates=[(w, new)], mode=fast_mode)
    first = f(x, g)
    kept = first.copy()
    expected = {"w": w0, "w.T": w0.T, "w[0]": w0[0], "new.T": (w0 - RATE * (x.T @ g)).T}[returned]
    np.testing.assert_allclose(first, expected, rtol=1e-12)
    f(x, g)
    np.testing.assert_array_equal(first, kept)
    np.testing.assert_allclose(w.get_value(), w0 - 2 * RATE * (x.T @ g), rtol=1e-12)


def test_calls_are_atomic_around_an_update_computed_in_the_shared_buffer(fast_mode) -> None:
    """The update accumulates into w's own buffer with the GIL released: a reader reading the whole array
    meanwhile never sees it half done, and no update from two writing threads is lost."""
    import threading

    n = 400
    w = ac.shared(np.zeros((n, n)), name="w")
    a = tensor("float64", (None, None), "a")
    step = function([a], [], updates=[(w, w + ac.dot(a, a))], mode=fast_mode)
    assert len(_gemm_steps(step)) == 1
    torn = function([], w.sum() - w[0, 0] * (n * n), mode=fast_mode)  # 0 unless read mid-update
    ones = np.full((n, n), 1.0 / n)
    seen: list[float] = []
    writing = threading.Event()

    def write() -> None:
        writing.wait()
        for _ in range(15):
            step(ones)

    def read() -> None:
        writing.set()
        while any(worker.is_alive() for worker in writers):
            seen.append(float(torn()))

    writers = [threading.Thread(target=write) for _ in range(2)]
    reader = threading.Thread(target=read)
    for worker in (*writers, reader):
        worker.start()
    for worker in (*writers, reader):
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in (*writers, reader))
    assert len(seen) > 5 and max(abs(v) for v in seen) < 1e-6
    np.testing.assert_allclose(w.get_value(), 30 / n, rtol=1e-9)
