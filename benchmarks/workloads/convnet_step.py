"""The convnet workloads: a conv2d forward+backward, and a LeNet training step; the baseline is PyTorch (CPU).

Variants: ``("conv", N, C, H, F, K)`` is one 'same'-padded convolution, forward and both gradients (input and
filters) of the sum of its output times a fixed cotangent; ``("lenet", N)`` is one SGD step of conv(1->6, 5x5),
relu, 2x2 max pool, conv(6->16, 5x5), relu, pool, dense 256->120, relu, dense 120->10, softmax cross-entropy on
28x28 float32 images.

The conv variant asks for the two gradients only: Arignote computes those two convolutions and drops the forward
one, whose value they do not need (XLA may too); PyTorch's autograd runs the forward convolution as well.
Arignote's convolutions and pooling run nn-extras' C kernels (registered with the C backend by an entry point).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from torch_sgd import sgd_step

import peers
from suite import Workload

LR = 0.05


def _conv_data(n: int, c: int, h: int, f: int, k: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    return {"x": rng.standard_normal((n, c, h, h)).astype("float32"),
            "w": (rng.standard_normal((f, c, k, k)) * 0.1).astype("float32"),
            "g": rng.standard_normal((n, f, h, h)).astype("float32")}


def _lenet_data(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(6)
    shapes = {"c1": (6, 1, 5, 5), "c2": (16, 6, 5, 5), "d1": (256, 120), "d2": (120, 10)}
    data = {k: (rng.standard_normal(s) * np.sqrt(2.0 / np.prod(s[1:] if k[0] == "c" else s[:1]))).astype("float32")
            for k, s in shapes.items()}
    data["x"] = rng.standard_normal((n, 1, 28, 28)).astype("float32")
    data["y"] = rng.integers(0, 10, n).astype("int64")
    return data


PARAMS = ("c1", "c2", "d1", "d2")


def torch_(compiled: bool) -> Any:
    """PyTorch eager, or with the forward pass under ``torch.compile`` (AOTAutograd compiles its backward)."""

    def build(variant: tuple[Any, ...]) -> Any:
        torch = peers.torch()
        F = torch.nn.functional
        maybe_compile = torch.compile if compiled else (lambda fn: fn)
        if variant[0] == "conv":
            d = {k: torch.from_numpy(v) for k, v in _conv_data(*variant[1:]).items()}
            x, w = d["x"].clone().requires_grad_(), d["w"].clone().requires_grad_()
            forward = maybe_compile(lambda x, w: F.conv2d(x, w, padding="same"))

            def conv_step() -> Any:
                gx, gw = torch.autograd.grad(forward(x, w), [x, w], d["g"])
                return gw

            return conv_step, lambda: conv_step().numpy()
        data = _lenet_data(variant[1])
        params = {k: torch.tensor(data[k], requires_grad=True) for k in PARAMS}
        x, y = torch.from_numpy(data["x"]), torch.from_numpy(data["y"])

        def loss_of(p: dict[str, Any], x: Any, y: Any) -> Any:
            h = F.max_pool2d(F.relu(F.conv2d(x, p["c1"])), 2)
            h = F.max_pool2d(F.relu(F.conv2d(h, p["c2"])), 2)
            h = F.relu(h.reshape(h.shape[0], -1) @ p["d1"])
            return F.cross_entropy(h @ p["d2"], y)

        loss_fn = maybe_compile(loss_of)

        return sgd_step(torch, loss_fn, params, (x, y), LR, data, "c1")

    return build


def jax_(variant: tuple[Any, ...]) -> Any:
    jax = peers.jax()
    jnp, lax = jax.numpy, jax.lax

    def conv(x: Any, w: Any, padding: str) -> Any:
        return lax.conv_general_dilated(x, w, (1, 1), padding, dimension_numbers=("NCHW", "OIHW", "NCHW"))

    if variant[0] == "conv":
        d = {k: jnp.asarray(v) for k, v in _conv_data(*variant[1:]).items()}
        grad_fn = jax.jit(jax.grad(lambda x, w: jnp.sum(conv(x, w, "SAME") * d["g"]), argnums=(0, 1)))

        def conv_step() -> Any:
            gx, gw = grad_fn(d["x"], d["w"])
            return gw.block_until_ready()

        return conv_step, lambda: np.asarray(conv_step())

    data = _lenet_data(variant[1])

    def pool(h: Any) -> Any:
        return lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def loss(params: dict[str, Any], x: Any, y: Any) -> Any:
        h = pool(jax.nn.relu(conv(x, params["c1"], "VALID")))
        h = pool(jax.nn.relu(conv(h, params["c2"], "VALID")))
        h = jax.nn.relu(h.reshape(h.shape[0], -1) @ params["d1"])
        return -jnp.mean(jax.nn.log_softmax(h @ params["d2"])[jnp.arange(x.shape[0]), y])

    @jax.jit
    def update(params: dict[str, Any], x: Any, y: Any) -> dict[str, Any]:
        grads = jax.grad(loss)(params, x, y)
        return {k: params[k] - LR * grads[k] for k in params}

    state = {"p": {k: jnp.asarray(data[k]) for k in PARAMS}}
    x, y = jnp.asarray(data["x"]), jnp.asarray(data["y"])

    def step() -> None:
        state["p"] = update(state["p"], x, y)
        state["p"]["c1"].block_until_ready()

    def result() -> np.ndarray:
        state["p"] = {k: jnp.asarray(data[k]) for k in PARAMS}
        step()
        return np.asarray(state["p"]["c1"])

    return step, result


def arignote_(variant: tuple[Any, ...]) -> Any:
    ar = peers.arignote()
    nn = ar.nn
    if variant[0] == "conv":
        d = _conv_data(*variant[1:])
        x, w = ar.tensor("float32", (None,) * 4, name="x"), ar.tensor("float32", (None,) * 4, name="w")
        g = ar.constant(d["g"])
        out = nn.conv2d(x, w, padding="same")
        gx, gw = ar.grad((out * g).sum(), [x, w])
        f = ar.function([x, w], [gx, gw], mode="fast_run")
        step = lambda: f(d["x"], d["w"])[1]  # noqa: E731
        return step, step
    data = _lenet_data(variant[1])
    params = {k: ar.shared(data[k].copy(), name=k) for k in PARAMS}
    x, y = ar.tensor("float32", (None, 1, 28, 28), name="x"), ar.lvector("y")
    h = nn.max_pool2d(nn.relu(nn.conv2d(x, params["c1"])), 2)
    h = nn.max_pool2d(nn.relu(nn.conv2d(h, params["c2"])), 2)
    h = nn.relu(h.reshape((h.shape[0], -1)) @ params["d1"])
    loss = nn.categorical_crossentropy(h @ params["d2"], y, from_logits=True).mean()
    grads = ar.grad(loss, list(params.values()))
    f = ar.function([x, y], [], updates=[(p, p - LR * g) for p, g in zip(params.values(), grads, strict=True)],
                    mode="fast_run")

    def step() -> None:
        f(data["x"], data["y"])

    def result() -> np.ndarray:
        for k, p in params.items():
            p.set_value(data[k].copy())
        step()
        return params["c1"].get_value()

    return step, result


WORKLOAD = Workload(
    name="CONV",
    title="conv2d forward+backward and a LeNet training step, float32 (baseline: PyTorch CPU)",
    variants=(("conv", 32, 16, 28, 32, 3), ("lenet", 64)),
    peers={"torch": torch_(False), "arignote C": arignote_, "jax (jit)": jax_, "torch.compile": torch_(True)},
    rtol=lambda variant: 2e-3,
    baseline="torch",
    notes=("NumPy and numexpr have no convolution; PyTensor is left out: its C convolution (CorrMM) links "
           "against the BLAS in `blas__ldflags`, which PyTensor leaves empty on this machine.",),
)
