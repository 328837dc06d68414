"""W1: ``exp(-x**2) * sin(y) + x*y`` in float64."""

from __future__ import annotations

from typing import Any

import numpy as np

import peers
from suite import Workload


def _inputs(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal(n), rng.standard_normal(n)


def _bind(fn: Any, n: int) -> tuple[Any, Any]:
    x, y = _inputs(n)
    step = lambda: fn(x, y)  # noqa: E731
    return step, step


def numpy_(n: int) -> Any:
    return _bind(lambda x, y: np.exp(-(x**2)) * np.sin(y) + x * y, n)


def numexpr_(n: int) -> Any:
    ne = peers.numexpr()
    return _bind(lambda x, y: ne.evaluate("exp(-x**2) * sin(y) + x*y"), n)


def jax_(n: int) -> Any:
    jax = peers.jax()
    jnp = jax.numpy
    f = jax.jit(lambda x, y: jnp.exp(-(x**2)) * jnp.sin(y) + x * y)
    x, y = (jax.device_put(v) for v in _inputs(n))
    step = lambda: f(x, y).block_until_ready()  # noqa: E731
    return step, lambda: np.asarray(step())


def pytensor_(mode: str) -> Any:
    def build(n: int) -> Any:
        peers.pytensor()
        import pytensor
        import pytensor.tensor as pt

        x, y = pt.dvector("x"), pt.dvector("y")
        f = pytensor.function([x, y], pt.exp(-(x**2)) * pt.sin(y) + x * y, mode=mode)
        return _bind(f, n)

    return build


def torch_(compiled: bool) -> Any:
    def build(n: int) -> Any:
        torch = peers.torch()

        def w1(x: Any, y: Any) -> Any:
            return torch.exp(-(x**2)) * torch.sin(y) + x * y

        fn = torch.compile(w1) if compiled else w1
        x, y = (torch.from_numpy(v) for v in _inputs(n))
        step = lambda: fn(x, y)  # noqa: E731
        return step, lambda: step().numpy()

    return build


def arignote_(mode: str) -> Any:
    def build(n: int) -> Any:
        ar = peers.arignote()
        x, y = ar.dvector("x"), ar.dvector("y")
        return _bind(ar.function([x, y], ar.exp(-(x**2)) * ar.sin(y) + x * y, mode=mode), n)

    return build


WORKLOAD = Workload(
    name="W1",
    title="`exp(-x**2) * sin(y) + x*y`, float64",
    variants=(10**3, 10**7),
    quick_variants=(10**3, 10**6),
    peers={
        "numpy": numpy_,
        "arignote C": arignote_("fast_run"),
        "arignote reference": arignote_("reference"),
        "numexpr": numexpr_,
        "jax (jit)": jax_,
        "pytensor C": pytensor_(peers.PYTENSOR_C_MODE),
        "pytensor numba": pytensor_(peers.PYTENSOR_NUMBA_MODE),
        "torch": torch_(False),
        "torch.compile": torch_(True),
    },
    rtol=lambda n: 1e-12,
)
