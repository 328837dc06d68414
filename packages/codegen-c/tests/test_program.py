"""The compiled program as a whole: fallbacks and the report, profiling, errors, buffer reuse and borrowing,
shared variables and updates, input conversion, the direct call path, garbage collection, and reentrant calls."""

from __future__ import annotations

import gc
import pickle
import threading
import weakref

import numpy as np
import pytest
from conftest import compare

import arignote_core as ac
from arignote_c import CBackend
from arignote_core import In, function, shared, tensor
from arignote_core.mode import Mode


def test_fallback_nodes_run_and_are_reported(c_mode) -> None:
    x = tensor("float64", (None, None), "x")
    outputs = [ac.sort(ac.exp(x), axis=1), ac.erfinv(ac.tanh(x) * 0.5), x.sum()]
    f = compare([x], outputs, [np.random.default_rng(0).standard_normal((4, 5))], c_mode)
    report = f.executable.report()
    assert "run their Python perform" in report
    assert "Sort" in report and "erfinv" in report and "test_program.py" in report
    fallbacks = f.executable.info.fallbacks
    assert {type(s.node.op).__name__ for s in fallbacks} == {"Sort", "Elemwise"}


def test_profile_times_every_node(cache_dir) -> None:
    mode = Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 1, "profile": True})
    x = tensor("float64", (None,), "x")
    f = function([x], [ac.exp(x).sum(), ac.sort(x)], mode=mode)
    for _ in range(3):
        f(np.arange(1000.0))
    stats, peak = f.executable.stats()
    assert [calls for _, calls in stats] == [3] * len(stats)
    assert all(seconds > 0 for seconds, _ in stats)
    assert peak >= 8000  # exp(x) is an 8 kB intermediate
    report = f.executable.report()
    for heading in ("By node:", "By op class:", "By kernel:", "Profile: 3 call(s)"):
        assert heading in report
    f.executable.reset_stats()
    assert f.executable.stats()[0][0] == (0.0, 0)


def test_kernel_errors_name_the_node_and_line(c_mode) -> None:
    x, y = tensor("int64", (None,), "x"), tensor("int64", (None,), "y")
    f = function([x, y], (x + 1) ** y, mode=c_mode)
    with pytest.raises(ValueError) as info:
        f(np.arange(3), np.array([1, -2, 1]))
    assert "negative integer powers" in str(info.value)
    assert "Elemwise{power}" in str(info.value) and "test_program.py" in str(info.value)


def test_outputs_kept_by_the_caller_are_never_overwritten(c_mode) -> None:
    x = tensor("float64", (None,), "x")
    f = function([x], [ac.exp(x), x * 2], mode=c_mode)
    first = f(np.zeros(4))
    second = f(np.ones(4))
    np.testing.assert_array_equal(first[0], np.ones(4))
    np.testing.assert_allclose(second[0], np.exp(np.ones(4)), rtol=1e-15)
    assert not np.shares_memory(first[0], second[0])
    single = function([x], ac.exp(x), mode=c_mode)  # called through the program's entry
    kept = single(np.zeros(4))
    np.testing.assert_allclose(single(np.ones(4)), np.exp(np.ones(4)), rtol=1e-15)
    np.testing.assert_array_equal(kept, np.ones(4))


def test_buffers_are_reused_when_released(c_mode) -> None:
    x = tensor("float64", (None,), "x")
    f = function([x], ac.exp(x) + 1, mode=c_mode)
    address = f(np.zeros(100)).__array_interface__["data"][0]  # the result is dropped at once
    again = f(np.zeros(100))
    assert again.__array_interface__["data"][0] == address
    assert f(np.zeros(7)).shape == (7,)  # a new shape gets a new buffer


def test_outputs_that_are_inputs_or_constants(c_mode) -> None:
    x = tensor("float64", (None,), "x")
    f = function([x], [x, ac.constant(np.arange(3.0)), x * 0 + 1], mode=c_mode)
    value = np.arange(3.0)
    out = f(value)
    np.testing.assert_array_equal(out[0], value)
    assert out[0] is not value
    out[1][0] = 42  # a copy, not the constant itself
    np.testing.assert_array_equal(f(value)[1], np.arange(3.0))


def test_shared_variables_and_updates(c_mode) -> None:
    w = shared(np.ones(3), name="w")
    count = shared(np.int64(0), name="count")
    x = tensor("float64", (None,), "x")
    f = function([x], (w * x).sum(), updates={w: w - 0.5 * x, count: count + 1}, mode=c_mode)
    assert f(np.array([1.0, 2.0, 3.0])) == 6.0
    np.testing.assert_array_equal(w.get_value(), [0.5, 0.0, -0.5])
    f(np.array([1.0, 0.0, 0.0]))
    np.testing.assert_array_equal(w.get_value(), [0.0, 0.0, -0.5])
    assert count.get_value() == 2


def test_inputs_are_converted_like_the_reference(c_mode) -> None:
    x = tensor("float32", (None, 2), "x")
    f = function([In(x, name="x")], x * 2, mode=c_mode)
    np.testing.assert_array_equal(f([[1, 2], [3, 4]]), np.array([[2, 4], [6, 8]], "float32"))
    with pytest.raises(TypeError, match="dimension 1 has size 3"):
        f(np.zeros((2, 3), "float32"))
    with pytest.raises(TypeError, match="bad input 'x' \\(argument 0\\) to function: .*could lose precision"):
        f(np.zeros((2, 2), "float64"))
    down = function([x], x * 2, mode=c_mode, allow_input_downcast=True)
    np.testing.assert_array_equal(down(np.ones((1, 2))), np.array([[2.0, 2.0]], "float32"))
    np.testing.assert_array_equal(f(np.ones((4, 2), "float32")[::2]), np.full((2, 2), 2.0, "float32"))
    # the executable checks its inputs too: a wrong value is converted (or refused), never misread
    np.testing.assert_array_equal(f.executable([[[1.0, 2.0]]])[0], np.array([[2.0, 4.0]], "float32"))
    with pytest.raises(TypeError):
        f.executable([np.zeros((1, 3), "float32")])


def test_trusted_function_with_exact_inputs(c_mode) -> None:
    x = tensor("float64", (None,), "x")
    f = function([x], x + 1, mode=c_mode, trust_input=True)
    np.testing.assert_array_equal(f(np.arange(10.0)), np.arange(1.0, 11.0))


def test_direct_entry_calls_the_program_and_defers_other_calls(c_mode) -> None:
    """A pure function's __call__ is the program's C entry; defaults, keywords and wrong counts still work."""
    x, y = tensor("float64", (None,), "x"), tensor("float64", (None,), "y")
    f = function([x, In(y, value=np.ones(2))], x - y, mode=c_mode)
    assert type(f.__call__).__name__ == "Entry" and isinstance(f, ac.Function)
    np.testing.assert_array_equal(f(np.zeros(2), np.full(2, 3.0)), [-3.0, -3.0])
    np.testing.assert_array_equal(f(np.zeros(2)), [-1.0, -1.0])
    np.testing.assert_array_equal(f(y=np.zeros(2), x=np.ones(2)), [1.0, 1.0])
    with pytest.raises(TypeError, match="takes 2 inputs, got 3"):
        f(np.zeros(2), np.zeros(2), np.zeros(2))
    with pytest.raises(TypeError, match="bad input 'x' \\(argument 0\\)"):
        f("text", np.zeros(2))
    pair = function([x], [x + 1, x * 2], mode=c_mode)
    np.testing.assert_array_equal(np.array(pair(np.ones(2))), [[2.0, 2.0], [2.0, 2.0]])
    loaded = pickle.loads(pickle.dumps(f))  # rebuilt as a plain Function, then given its own entry
    np.testing.assert_array_equal(loaded(np.zeros(2)), [-1.0, -1.0])
    assert type(loaded) is not type(f)


def test_compiled_functions_are_garbage_collected(c_mode) -> None:
    """The program refers back to its function (the input filter): the cycle must be collectable."""
    x = tensor("float64", (None,), "x")
    for outputs in (x + 1, [x + 1, x * 2]):
        f = function([x], outputs, mode=c_mode)
        f(np.zeros(3))
        ref = weakref.ref(f)
        del f
        gc.collect()
        assert ref() is None


def test_concurrent_calls_from_threads(cache_dir) -> None:
    """Large loops release the GIL; a second caller meanwhile gets its own buffers."""
    mode = Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 1, "gil_threshold": 1000})
    x = tensor("float64", (None,), "x")
    f = function([x], ac.sqrt(ac.exp(x) + x * x), mode=mode)
    values = [np.random.default_rng(i).standard_normal(200_000) for i in range(4)]
    results: dict[int, np.ndarray] = {}

    def run(i: int) -> None:
        for _ in range(5):
            results[i] = f(values[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, v in enumerate(values):
        np.testing.assert_allclose(results[i], np.sqrt(np.exp(v) + v * v), rtol=1e-13)


def test_unknown_options_are_left_to_other_components(cache_dir) -> None:
    mode = Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 1, "optimizer": "fast"})
    x = tensor("float64", (None,), "x")
    assert function([x], x * 3, mode=mode)(np.ones(2)).tolist() == [3.0, 3.0]


def test_function_profile_flag_and_report(cache_dir) -> None:
    mode = Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 1})
    x = tensor("float64", (None,), "x")
    f = function([x], ac.exp(x).sum(), mode=mode, profile=True)
    f(np.arange(10.0))
    assert "Profile: 1 call(s)" in f.report()
    plain = function([x], ac.exp(x).sum(), mode=mode)
    plain(np.arange(10.0))
    assert "Profile:" not in plain.report() and "kernel" in plain.report()
