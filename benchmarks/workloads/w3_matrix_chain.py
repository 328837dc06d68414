"""W3: ``dot(dot(A, B), C)`` with A 1000x10, B 10x1000, C 1000x1000: wins by reassociation.

Graph-building peers get the inputs' static shapes (JAX traces with them anyway): a compiler can only choose
the cheaper order ``A @ (B @ C)`` when it knows the sizes. Arignote does (graph-opt's matrix-chain rule), and
with sizes unknown at build time it chooses the order on each call (the "shapes unknown" row).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import peers
from suite import Workload


def _inputs(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    return rng.standard_normal((n, 10)), rng.standard_normal((10, n)), rng.standard_normal((n, n))


def _bind(fn: Any, n: int) -> Any:
    a, b, c = _inputs(n)
    step = lambda: fn(a, b, c)  # noqa: E731
    return step, step


def numpy_(n: int) -> Any:
    return _bind(lambda a, b, c: np.dot(np.dot(a, b), c), n)


def numpy_multi_dot(n: int) -> Any:
    return _bind(lambda a, b, c: np.linalg.multi_dot([a, b, c]), n)


def jax_(n: int) -> Any:
    jax = peers.jax()
    f = jax.jit(lambda a, b, c: (a @ b) @ c)
    args = [jax.device_put(v) for v in _inputs(n)]
    step = lambda: f(*args).block_until_ready()  # noqa: E731
    return step, lambda: np.asarray(step())


def pytensor_(mode: str) -> Any:
    def build(n: int) -> Any:
        peers.pytensor()
        import pytensor
        import pytensor.tensor as pt

        a, b, c = (pt.tensor(name, dtype="float64", shape=v.shape) for name, v in zip("abc", _inputs(n), strict=True))
        return _bind(pytensor.function([a, b, c], pt.dot(pt.dot(a, b), c), mode=mode), n)

    return build


def torch_(compiled: bool) -> Any:
    def build(n: int) -> Any:
        torch = peers.torch()
        chain = lambda a, b, c: (a @ b) @ c  # noqa: E731
        fn = torch.compile(chain) if compiled else chain
        a, b, c = (torch.from_numpy(v) for v in _inputs(n))
        step = lambda: fn(a, b, c)  # noqa: E731
        return step, lambda: step().numpy()

    return build


def arignote_(n: int) -> Any:
    ar = peers.arignote()
    a, b, c = (ar.tensor("float64", v.shape, name) for name, v in zip("abc", _inputs(n), strict=True))
    return _bind(ar.function([a, b, c], ar.dot(ar.dot(a, b), c), mode="fast_run"), n)


def arignote_unknown_shapes(n: int) -> Any:
    """Plain matrices, sizes unknown when the graph is built: the order is chosen on each call."""
    ar = peers.arignote()
    a, b, c = ar.dmatrix("a"), ar.dmatrix("b"), ar.dmatrix("c")
    return _bind(ar.function([a, b, c], ar.dot(ar.dot(a, b), c), mode="fast_run"), n)


WORKLOAD = Workload(
    name="W3",
    title="`dot(dot(A, B), C)`, A n x 10, B 10 x n, C n x n, float64",
    variants=(1000,),
    peers={
        "numpy": numpy_,
        "numpy multi_dot": numpy_multi_dot,
        "arignote C": arignote_,
        "arignote C (shapes unknown)": arignote_unknown_shapes,
        "jax (jit)": jax_,
        "pytensor C": pytensor_(peers.PYTENSOR_C_MODE),
        "pytensor numba": pytensor_(peers.PYTENSOR_NUMBA_MODE),
        "torch": torch_(False),
        "torch.compile": torch_(True),
    },
    rtol=lambda n: 1e-9,
    notes=("numexpr is not a peer here: it evaluates elementwise expressions and has no matrix product.",),
)
