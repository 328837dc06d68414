"""One set of threads per process: large products are split over the runtime's pool with the BLAS's own threads
kept at one while Arignote calls it (and given back afterwards, in a forked child too), and user kernels get the
pool, the program's thread count and that GEMM through the services capsule, within the thread option's cap."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import arignote_core as ac
from arignote_c import CBackend, CKernel
from arignote_c.runtime import cython_blas_capi, services_header
from arignote_core import Apply, Op, TensorType, as_tensor, function, tensor
from arignote_core.mode import Mode
from arignote_opt import standard_rewriter


def threaded_mode(cache_dir: Any, threads: int, rewrites: bool = False) -> Mode:
    options = {"cache_dir": str(cache_dir), "threads": threads}
    return Mode(backend=CBackend(), options=options, rewriter=standard_rewriter(strict=True) if rewrites else None)


def _layout(value: np.ndarray, layout: str) -> np.ndarray:
    if layout == "F":
        return np.asfortranarray(value)
    if layout == "strided":  # every other row of a twice taller array: no unit stride between rows
        tall = np.zeros((2 * value.shape[0], value.shape[1]), value.dtype)
        tall[::2] = value
        return tall[::2]
    return value


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("m", "k", "n"), [(301, 157, 203), (9, 520, 1001), (1003, 600, 1), (1, 700, 1999)])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_products_split_over_the_pool_equal_numpy(dtype, m, k, n, layout, cache_dir) -> None:
    """Rows split (m >= n) or columns (n > m), cuts not on multiples of 8, matrix-vector products, every operand
    layout BLAS takes or a copy makes; three threads on two cores, so that parts wait for a core too."""
    rng = np.random.default_rng(3)
    a = _layout(rng.standard_normal((m, k)).astype(dtype), layout)
    b = _layout(rng.standard_normal((k, n)).astype(dtype), layout)
    x, y = tensor(dtype, (None, None), "x"), tensor(dtype, (None, None), "y")
    got = function([x, y], ac.matmul(x, y), mode=threaded_mode(cache_dir, 3))(a, b)
    want = np.matmul(a.astype("float64"), b.astype("float64"))
    rtol = 1e-4 if dtype == "float32" else 1e-11
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.sqrt(k))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_split_gemm_accumulates_into_its_bias(dtype, cache_dir) -> None:
    """beta * c + alpha * a b (graph-opt's Gemm) on the pool: every part adds its rows of c once."""
    rng = np.random.default_rng(4)
    a, b, c = (rng.standard_normal(s).astype(dtype) for s in [(700, 300), (300, 500), (700, 500)])
    x, y, z = (tensor(dtype, (None, None), name) for name in "xyz")
    out = 0.5 * z + 2.0 * ac.dot(x, y)
    f = function([x, y, z], out, mode=threaded_mode(cache_dir, 2, rewrites=True))
    assert [type(node.op).__name__ for node in f.fgraph.toposort()] == ["Gemm"]
    want = function([x, y, z], out)(a, b, c)
    rtol = 1e-4 if dtype == "float32" else 1e-11
    np.testing.assert_allclose(f(a, b, c), want, rtol=rtol, atol=rtol * 20)


def _blas_threads_functions() -> tuple[Any, Any]:
    """get / set of the thread count of SciPy's BLAS (OpenBLAS, prefixed as SciPy's wheels build it or not)."""
    capsule = cython_blas_capi()["dgemm"]
    ctypes.pythonapi.PyCapsule_GetPointer.restype = ctypes.c_void_p
    ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    ctypes.pythonapi.PyCapsule_GetName.restype = ctypes.c_char_p
    ctypes.pythonapi.PyCapsule_GetName.argtypes = [ctypes.py_object]
    address = ctypes.pythonapi.PyCapsule_GetPointer(capsule, ctypes.pythonapi.PyCapsule_GetName(capsule))
    info = _DlInfo()
    assert ctypes.CDLL(None).dladdr(ctypes.c_void_p(address), ctypes.byref(info))
    library = ctypes.CDLL(info.dli_fname.decode())
    for prefix in ("scipy_openblas", "openblas"):
        get, set_ = (getattr(library, f"{prefix}_{verb}_num_threads", None) for verb in ("get", "set"))
        if get is not None and set_ is not None:
            return get, set_
    raise AssertionError(f"no OpenBLAS thread functions in {info.dli_fname!r}: SciPy's wheels bundle OpenBLAS")


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p), ("dli_sname", ctypes.c_char_p),
                ("dli_saddr", ctypes.c_void_p)]


def test_the_blas_threads_are_given_back_after_a_call(cache_dir) -> None:
    """Arignote keeps the BLAS at one thread while it calls it (its own pool splits the product), and SciPy's
    calls outside Arignote get the BLAS threads they had."""
    get, set_ = _blas_threads_functions()
    before = get()
    set_(3)
    try:
        x = tensor("float64", (None, None), "x")
        f = function([x], ac.dot(x, x) + ac.dot(x[:10], x[:10].T).sum(), mode=threaded_mode(cache_dir, 2))
        value = np.random.default_rng(5).standard_normal((400, 400))
        np.testing.assert_allclose(f(value), value @ value + (value[:10] @ value[:10].T).sum(), rtol=1e-10)
        assert get() == 3
    finally:
        set_(before)


def _product_in_child(f: Any, value: np.ndarray, queue: Any) -> None:
    queue.put(f(value).tobytes())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_runs_split_products_after_its_parent(cache_dir) -> None:
    x = tensor("float64", (None, None), "x")
    f = function([x], ac.dot(x, x.T), mode=threaded_mode(cache_dir, 2))
    value = np.random.default_rng(6).standard_normal((300, 200))
    expected = f(value).tobytes()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_product_in_child, args=(f, value, queue))
    child.start()
    assert queue.get(timeout=60) == expected  # before join: the child exits once its result left the pipe
    child.join(timeout=60)
    assert child.exitcode == 0


#: parts of the loop the Workers kernel runs, each spinning long enough for helpers to join
PARTS = 64


@dataclass(frozen=True)
class Workers(Op):
    """Its C kernel asks the runtime's services for the program's thread count (out[0]) and runs a loop of PARTS
    parts on the pool, recording the worker of each part (out[1:]); a probe, C only."""

    def make_node(self, x: Any) -> Apply:
        return Apply(self, [as_tensor(x)], [TensorType("int64", (PARTS + 1,))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        raise NotImplementedError("Workers runs in the C backend only: it reports the runtime's threads")

    def c_code(self, node: Apply) -> CKernel:
        support = services_header() + """
static int record_worker(void *ctx, int64_t part, int worker) {
    volatile double spin = 0;
    for (int i = 0; i < 20000; ++i) spin += i;
    ((int64_t *)ctx)[part] = worker;
    return 0;
}"""
        return CKernel(support=support, output_shapes=lambda shapes: [(PARTS + 1,)], body="""
    static const ag_services *services = NULL;
    if (!services) {
        PyObject *runtime = PyImport_ImportModule("arignote_c.runtime");
        PyObject *capsule = runtime ? PyObject_CallMethod(runtime, "kernel_services", NULL) : NULL;
        Py_XDECREF(runtime);
        if (!capsule) return -1;
        services = (const ag_services *)PyCapsule_GetPointer(capsule, AG_SERVICES_CAPSULE);
        Py_DECREF(capsule);
        if (!services) return -1;
    }
    int64_t *y = (int64_t *)out[0].data;
    y[0] = services->version == AG_SERVICES_VERSION ? services->threads() : -1;
    for (int64_t i = 1; i <= out[0].shape[0] - 1; ++i) y[i] = -1;
    PyThreadState *save = PyEval_SaveThread();
    int rc = services->parallel(out[0].shape[0] - 1, (int)y[0], record_worker, y + 1);
    PyEval_RestoreThread(save);
    return rc;""")


def test_user_kernels_get_the_programs_threads_and_pool_within_its_cap(cache_dir) -> None:
    """A program of 4 threads leaves 3 helpers in the pool; a later one of 2 uses at most one of them."""
    x = tensor("float64", (None,), "x")
    for threads in (4, 2, 1):
        got = function([x], Workers()(x), mode=threaded_mode(cache_dir, threads))(np.zeros(3))
        assert got[0] == threads
        workers = got[1:]
        assert workers.min() >= 0, "a part did not run"
        assert set(workers.tolist()) <= set(range(threads)), f"{threads} threads: workers {sorted(set(workers))}"

