"""W2: row softmax of a 1000x1000 float64 matrix."""

from __future__ import annotations

from typing import Any

import numpy as np

import peers
from suite import Workload


def _input(n: int) -> np.ndarray:
    return np.random.default_rng(1).standard_normal((n, n)) * 10


def _bind(fn: Any, n: int) -> Any:
    x = _input(n)
    step = lambda: fn(x)  # noqa: E731
    return step, step


def numpy_(n: int) -> Any:
    def softmax(x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    return _bind(softmax, n)


def jax_(n: int) -> Any:
    jax = peers.jax()
    f = jax.jit(lambda x: jax.nn.softmax(x, axis=1))
    x = jax.device_put(_input(n))
    step = lambda: f(x).block_until_ready()  # noqa: E731
    return step, lambda: np.asarray(step())


def pytensor_(mode: str) -> Any:
    def build(n: int) -> Any:
        peers.pytensor()
        import pytensor
        import pytensor.tensor as pt
        from pytensor.tensor.special import softmax

        x = pt.dmatrix("x")
        return _bind(pytensor.function([x], softmax(x, axis=1), mode=mode), n)

    return build


def torch_(compiled: bool) -> Any:
    def build(n: int) -> Any:
        torch = peers.torch()
        softmax = lambda x: torch.softmax(x, dim=1)  # noqa: E731
        fn = torch.compile(softmax) if compiled else softmax
        x = torch.from_numpy(_input(n))
        step = lambda: fn(x)  # noqa: E731
        return step, lambda: step().numpy()

    return build


def arignote_(mode: str) -> Any:
    def build(n: int) -> Any:
        ar = peers.arignote()
        x = ar.dmatrix("x")
        return _bind(ar.function([x], ar.softmax(x, axis=1), mode=mode), n)

    return build


WORKLOAD = Workload(
    name="W2",
    title="row softmax of an n x n float64 matrix",
    variants=(1000,),
    peers={
        "numpy": numpy_,
        "arignote C": arignote_("fast_run"),
        "jax (jit)": jax_,
        "pytensor C": pytensor_(peers.PYTENSOR_C_MODE),
        "pytensor numba": pytensor_(peers.PYTENSOR_NUMBA_MODE),
        "torch": torch_(False),
        "torch.compile": torch_(True),
    },
    rtol=lambda n: 1e-10,
    notes=("numexpr is not a peer here: its reductions must be the outermost operation of an expression, so a "
           "row softmax would be NumPy calls around numexpr pieces.",),
)
