"""The runtime's thread pool: every parallel path (elementwise by rows and by columns, reductions into distinct
rows, across columns and along one long run, row kernels) gives the serial result; errors in any part are
reported; a forked child runs parallel loops after its parent did; the thread option (default
``$ARIGNOTE_THREADS``) caps the helpers; and
several Python threads running loops at once share the pool without waiting on one another."""

from __future__ import annotations

import multiprocessing
import os
import threading

import numpy as np
import pytest
from conftest import compare

import arignote_core as ac
from arignote_c import CBackend
from arignote_c.options import COptions
from arignote_c.runtime import loaded_runtime
from arignote_core import function, tensor
from arignote_core.mode import Mode, get_mode
from arignote_core.tensors.special import log_softmax, softmax


def parallel_mode(cache_dir, threads: int = 3) -> Mode:
    """Threads for every loop of 64 elements or more (the pool is used even on small test arrays)."""
    return Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": threads,
                                              "parallel_threshold": 64, "gil_threshold": 64})


@pytest.mark.parametrize("shape", [(3, 5000), (5000, 3), (1, 100_000), (97, 101)])
def test_parallel_loops_and_reductions_equal_the_serial_ones(shape, cache_dir, c_mode) -> None:
    rng = np.random.default_rng(5)
    x, y = tensor("float64", (None, None), "x"), tensor("float64", (None, None), "y")
    outputs = [ac.exp(-x * x) * ac.sin(y) + x * y, ac.sum(x * y, axis=0), ac.sum(x * y, axis=1), ac.sum(x * y),
               ac.max(x, axis=1), softmax(x, axis=1), log_softmax(x, axis=0)]
    values = [rng.standard_normal(shape), rng.standard_normal(shape)[:, ::-1]]
    parallel = compare([x, y], outputs, values, parallel_mode(cache_dir))
    serial = function([x, y], outputs, mode=c_mode)
    for got, want in zip(parallel(*values), serial(*values), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)  # parts combine in a fixed order: deterministic


def test_an_error_in_any_part_is_reported(cache_dir) -> None:
    x = tensor("int64", (None,), "x")
    f = function([x], x ** (x - 5), mode=parallel_mode(cache_dir))
    values = np.full(10_000, 7)
    values[9_000] = 2  # 2 ** -3: only one part fails
    with pytest.raises(ValueError, match="Integers to negative integer powers are not allowed"):
        f(values)
    values[9_000] = 7
    assert (f(values) == 49).all()


def _sum_in_child(f, value, queue) -> None:
    queue.put(float(f(value)))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_runs_parallel_loops_after_its_parent(cache_dir) -> None:
    """With OpenMP a fork after a parallel loop hung the child on its first one (libgomp's pool is not
    fork-safe); the pool is per process, so the child makes its own."""
    x = tensor("float64", (None,), "x")
    f = function([x], ac.sum(ac.exp(x)), mode=parallel_mode(cache_dir))
    value = np.ones(1 << 18)
    expected = f(value)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    children = [context.Process(target=_sum_in_child, args=(f, value, queue)) for _ in range(2)]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=60)
    assert all(child.exitcode == 0 for child in children), [child.exitcode for child in children]
    assert [queue.get(timeout=5) for _ in children] == [expected, expected]
    with context.Pool(2) as pool:  # a pool of forked workers, as data loaders make
        assert pool.map_async(float, [f(value)] * 2).get(timeout=60) == [expected, expected]
    assert f(value) == expected


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through /proc")
def test_the_thread_option_caps_the_helpers(cache_dir) -> None:
    x = tensor("float64", (None,), "x")
    value = np.ones(100_000)
    function([x], ac.exp(x), mode=parallel_mode(cache_dir, threads=2))(value)
    before = _threads()
    function([x], ac.exp(x), mode=parallel_mode(cache_dir, threads=2))(value)
    assert _threads() == before  # the pool's helpers are made once and kept
    function([x], ac.exp(x), mode=parallel_mode(cache_dir, threads=4))(value)
    assert _threads() <= before + 2  # at most threads - 1 helpers in all


def test_the_named_mode_c_takes_its_threads_from_arignote_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARIGNOTE_THREADS", "3")
    assert COptions.from_mapping(get_mode("c").options).threads == 3
    assert COptions.from_mapping({"threads": 5}).threads == 5  # an explicit option wins
    monkeypatch.setenv("ARIGNOTE_THREADS", "zero")
    with pytest.raises(ValueError, match="ARIGNOTE_THREADS must be a positive integer, got 'zero'"):
        COptions.from_mapping({})


def test_loops_from_several_python_threads_at_once(cache_dir) -> None:
    """One loop uses the pool at a time; the others run on their own threads, and all are right."""
    x = tensor("float64", (None,), "x")
    f = function([x], ac.sum(ac.sqrt(x)), mode=parallel_mode(cache_dir))
    value = np.arange(200_000, dtype=float)
    expected = f(value)
    results: list[float] = []

    def run() -> None:
        results.extend(float(f(value)) for _ in range(50))

    workers = [threading.Thread(target=run) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers)
    assert results == [expected] * 200


@pytest.mark.parametrize("shape", [(72, 900, 16), (301, 257, 33), (16, 1200, 131)])
def test_a_function_gives_the_same_result_whether_or_not_the_pool_backs_off(shape, cache_dir) -> None:
    """A product split over the pool rounds as its parts do: when the pool runs a loop on the calling thread
    alone (helpers found descheduled on a busy machine), the same parts run there, so the result is bitwise the
    same as on a quiet machine. (They used to become one unsplit product, off in the last bits.)"""
    m, k, n = shape
    rng = np.random.default_rng(9)
    a, b = tensor("float64", (None, None), "a"), tensor("float64", (None, None), "b")
    f = function([a, b], [ac.dot(a, b), ac.dot(a, b) * 2 + 1], mode=parallel_mode(cache_dir))
    values = [rng.standard_normal((m, k)), rng.standard_normal((k, n))]
    quiet = f(*values)
    runtime = loaded_runtime()
    runtime.run_next_loops_alone(1000)
    busy = f(*values)
    runtime.run_next_loops_alone(0)
    for q, b_ in zip(quiet, busy, strict=True):
        np.testing.assert_array_equal(q, b_)
