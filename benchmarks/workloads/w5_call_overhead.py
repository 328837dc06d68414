"""W5: call overhead of ``f(x) = x + 1`` on 10 float64 elements, with input checks and trusted."""

from __future__ import annotations

from typing import Any

import numpy as np

import peers
from suite import Workload

X = np.arange(10.0)


def _bind(fn: Any) -> Any:
    step = lambda: fn(X)  # noqa: E731
    return step, step


def numpy_(n: int) -> Any:
    return _bind(lambda x: x + 1)


def jax_(n: int) -> Any:
    jax = peers.jax()
    f = jax.jit(lambda x: x + 1)
    x = jax.device_put(X)
    step = lambda: f(x).block_until_ready()  # noqa: E731
    return step, lambda: np.asarray(step())


def numexpr_(n: int) -> Any:
    ne = peers.numexpr()
    return _bind(lambda x: ne.evaluate("x + 1", local_dict={"x": x}))


def torch_(compiled: bool) -> Any:
    def build(n: int) -> Any:
        torch = peers.torch()
        add_one = lambda x: x + 1  # noqa: E731
        fn = torch.compile(add_one) if compiled else add_one
        x = torch.from_numpy(X)
        step = lambda: fn(x)  # noqa: E731
        return step, lambda: step().numpy()

    return build


def pytensor_(trusted: bool, mode: str = peers.PYTENSOR_C_MODE) -> Any:
    def build(n: int) -> Any:
        peers.pytensor()
        import pytensor
        import pytensor.tensor as pt

        x = pt.dvector("x")
        f = pytensor.function([x], x + 1, mode=mode)
        f.trust_input = trusted
        return _bind(f)

    return build


def arignote_(trusted: bool) -> Any:
    def build(n: int) -> Any:
        ar = peers.arignote()
        x = ar.dvector("x")
        return _bind(ar.function([x], x + 1, mode="fast_run", trust_input=trusted))

    return build


WORKLOAD = Workload(
    name="W5",
    title="call overhead of `f(x) = x + 1`, 10 float64 elements",
    variants=(10,),
    peers={
        "numpy": numpy_,
        "arignote C, checked": arignote_(False),
        "arignote C, trusted": arignote_(True),
        "numexpr": numexpr_,
        "jax (jit)": jax_,
        "pytensor C, checked": pytensor_(False),
        "pytensor C, trusted": pytensor_(True),
        "pytensor numba, trusted": pytensor_(True, peers.PYTENSOR_NUMBA_MODE),
        "torch": torch_(False),
        "torch.compile": torch_(True),
    },
    rtol=lambda n: 0.0,
)
