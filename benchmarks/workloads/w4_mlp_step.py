"""W4: one SGD training step of a 784-500-10 tanh MLP with softmax cross-entropy, parameters updated in place.

Every peer starts from the same parameters and batch; its check value is the first-layer weights after one step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from torch_sgd import sgd_step

import peers
from suite import Workload

SIZES = (784, 500, 10)
LEARNING_RATE = 0.1


def _data(dtype: str, batch: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    n_in, n_hidden, n_out = SIZES
    return {
        "x": rng.standard_normal((batch, n_in)).astype(dtype),
        "y": rng.integers(0, n_out, batch).astype("int64"),
        "W1": (rng.standard_normal((n_in, n_hidden)) * 0.05).astype(dtype),
        "b1": np.zeros(n_hidden, dtype),
        "W2": (rng.standard_normal((n_hidden, n_out)) * 0.05).astype(dtype),
        "b2": np.zeros(n_out, dtype),
    }


def numpy_(variant: tuple[str, int]) -> Any:
    data = _data(*variant)
    params = {k: data[k].copy() for k in ("W1", "b1", "W2", "b2")}
    x, y = data["x"], data["y"]
    onehot = np.eye(SIZES[2], dtype=x.dtype)[y]

    def step() -> None:
        h = np.tanh(x @ params["W1"] + params["b1"])
        z = h @ params["W2"] + params["b2"]
        e = np.exp(z - z.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        dz = (p - onehot) / x.shape[0]
        dh = (dz @ params["W2"].T) * (1 - h * h)
        params["W2"] -= LEARNING_RATE * (h.T @ dz)
        params["b2"] -= LEARNING_RATE * dz.sum(axis=0)
        params["W1"] -= LEARNING_RATE * (x.T @ dh)
        params["b1"] -= LEARNING_RATE * dh.sum(axis=0)

    return step, _first_step(step, params, data)


def _first_step(step: Any, params: dict[str, Any], data: dict[str, np.ndarray], read: Any = None) -> Any:
    def result() -> np.ndarray:
        for key in params:
            _assign(params, key, data[key])
        step()
        return np.asarray(read() if read else params["W1"])

    return result


def _assign(params: dict[str, Any], key: str, value: np.ndarray) -> None:
    target = params[key]
    if hasattr(target, "set_value"):
        target.set_value(value.copy())
    elif isinstance(target, np.ndarray):
        target[...] = value
    else:
        params[key] = type(target)(value) if callable(type(target)) else value


def jax_(variant: tuple[str, int]) -> Any:
    jax = peers.jax()
    jnp = jax.numpy
    data = _data(*variant)

    def loss(params: dict[str, Any], x: Any, y: Any) -> Any:
        h = jnp.tanh(x @ params["W1"] + params["b1"])
        z = h @ params["W2"] + params["b2"]
        return -jnp.mean(jax.nn.log_softmax(z)[jnp.arange(x.shape[0]), y])

    @jax.jit
    def update(params: dict[str, Any], x: Any, y: Any) -> dict[str, Any]:
        grads = jax.grad(loss)(params, x, y)
        return {k: params[k] - LEARNING_RATE * grads[k] for k in params}

    state = {"params": {k: jnp.asarray(data[k]) for k in ("W1", "b1", "W2", "b2")}}
    x, y = jnp.asarray(data["x"]), jnp.asarray(data["y"])

    def step() -> None:
        state["params"] = update(state["params"], x, y)
        state["params"]["W1"].block_until_ready()

    def result() -> np.ndarray:
        state["params"] = {k: jnp.asarray(data[k]) for k in ("W1", "b1", "W2", "b2")}
        step()
        return np.asarray(state["params"]["W1"])

    return step, result


def torch_(compiled: bool) -> Any:
    """PyTorch eager, or with the loss under ``torch.compile`` (AOTAutograd compiles its backward too)."""

    def build(variant: tuple[str, int]) -> Any:
        torch = peers.torch()
        data = _data(*variant)
        params = {k: torch.tensor(data[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2")}
        x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])

        def loss_of(p: dict[str, Any], x: Any, y: Any) -> Any:
            h = torch.tanh(x @ p["W1"] + p["b1"])
            return torch.nn.functional.cross_entropy(h @ p["W2"] + p["b2"], y)

        loss_fn = torch.compile(loss_of) if compiled else loss_of

        return sgd_step(torch, loss_fn, params, (x, y), LEARNING_RATE, data, "W1")

    return build


def pytensor_(mode: str) -> Any:
    def build(variant: tuple[str, int]) -> Any:
        peers.pytensor()
        import pytensor
        import pytensor.tensor as pt
        from pytensor.tensor.special import log_softmax

        data = _data(*variant)
        params = {k: pytensor.shared(data[k].copy(), name=k) for k in ("W1", "b1", "W2", "b2")}
        x, y = pt.matrix("x", dtype=variant[0]), pt.lvector("y")
        h = pt.tanh(x @ params["W1"] + params["b1"])
        z = h @ params["W2"] + params["b2"]
        loss = -pt.mean(log_softmax(z, axis=1)[pt.arange(y.shape[0]), y])
        grads = pytensor.grad(loss, list(params.values()))
        rate = np.asarray(LEARNING_RATE, dtype=variant[0])  # a Python float would upcast float32 to floatX=float64
        updates = [(p, p - rate * g) for p, g in zip(params.values(), grads, strict=True)]
        f = pytensor.function([x, y], [], updates=updates, mode=mode)
        step = lambda: f(data["x"], data["y"])  # noqa: E731
        return step, _first_step(step, params, data, read=lambda: params["W1"].get_value())

    return build


def arignote_training_function(ar: Any, data: dict[str, np.ndarray], dtype: str, mode: str = "fast_run") -> Any:
    """The W4 step as an Arignote function; shared parameters in a dict (also used by W6)."""
    params = {k: ar.shared(data[k].copy(), name=k) for k in ("W1", "b1", "W2", "b2")}
    x, y = ar.tensor(dtype, (None, SIZES[0]), name="x"), ar.lvector("y")
    h = ar.tanh(x @ params["W1"] + params["b1"])
    z = h @ params["W2"] + params["b2"]
    loss = -ar.mean(ar.log_softmax(z, axis=1)[ar.arange(y.shape[0]), y])
    grads = ar.grad(loss, list(params.values()))
    f = ar.function([x, y], [], updates=[(p, p - LEARNING_RATE * g) for p, g in
                                         zip(params.values(), grads, strict=True)], mode=mode)
    return f, params


def arignote_(variant: tuple[str, int]) -> Any:
    ar = peers.arignote()
    data = _data(*variant)
    f, params = arignote_training_function(ar, data, variant[0])
    step = lambda: f(data["x"], data["y"])  # noqa: E731
    return step, _first_step(step, params, data, read=lambda: params["W1"].get_value())


WORKLOAD = Workload(
    name="W4",
    title="MLP 784-500-10 training step (tanh, softmax cross-entropy, SGD), variant = (dtype, batch)",
    variants=(("float32", 128), ("float64", 128), ("float32", 1024)),
    quick_variants=(("float32", 128),),
    peers={
        "numpy": numpy_,
        "arignote C": arignote_,
        "jax (jit)": jax_,
        "pytensor C": pytensor_(peers.PYTENSOR_C_MODE),
        "pytensor numba": pytensor_(peers.PYTENSOR_NUMBA_MODE),
        "torch": torch_(False),
        "torch.compile": torch_(True),
    },
    rtol=lambda variant: 2e-4 if variant[0] == "float32" else 1e-9,
    notes=("numexpr is not a peer here: it evaluates elementwise expressions and has no matrix product.",),
)
