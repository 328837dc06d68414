"""W8: a tanh RNN over T steps, ``h_t = tanh(x_t @ W + h_{t-1} @ U + b)``, float64, written as a loop (scan).

Two rows per shape: the forward pass returning ``h_T``, and the gradient of ``sum(h_T)`` in ``W``, ``U`` and
``b``. The baseline is a NumPy Python loop: the forward loop, and for the gradient a hand-written
backpropagation through time (the forward loop keeping every state, the loop backwards for the pre-activation
gradients, then one product per weight over all steps). The input has as many features as the state.
Arignote's cold compile of the gradient function is measured in fresh processes, as W6 measures W4's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import peers
from suite import Workload

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Variant:
    """What is computed (``"forward"`` or ``"gradient"``) over ``steps`` steps of a ``batch`` x ``hidden`` state."""

    what: str
    steps: int
    batch: int
    hidden: int

    def __str__(self) -> str:
        return f"{self.what} T={self.steps} batch={self.batch} hidden={self.hidden}"


SHAPES = ((1000, 1, 32), (100, 64, 256))
VARIANTS = tuple(Variant(what, *shape) for shape in SHAPES for what in ("forward", "gradient"))
#: the variant whose time over T is reported per step, and the one whose function the cold compile builds
SMALL, COLD = VARIANTS[0], VARIANTS[1]


def _data(v: Variant) -> dict[str, np.ndarray]:
    """Inputs and parameters; ``U`` is scaled so that the recurrence contracts and the gradients stay finite."""
    rng = np.random.default_rng(8)
    n = v.hidden
    return {"x": rng.standard_normal((v.steps, v.batch, n)), "W": rng.standard_normal((n, n)) / np.sqrt(n),
            "U": rng.standard_normal((n, n)) * (0.5 / np.sqrt(n)), "b": rng.standard_normal(n) * 0.1,
            "h0": np.zeros((v.batch, n))}


def _value(v: Variant, out: Any) -> np.ndarray:
    """What is compared with NumPy: ``h_T``, or the three gradients flattened into one vector."""
    if v.what == "forward":
        return np.asarray(out)
    return np.concatenate([np.asarray(g).ravel() for g in out])


def _bind(v: Variant, run: Any) -> tuple[Any, Any]:
    return run, lambda: _value(v, run())


def numpy_(v: Variant) -> Any:
    d = _data(v)
    x, W, U, b, h0 = d["x"], d["W"], d["U"], d["b"], d["h0"]

    def forward() -> np.ndarray:
        h = h0
        for x_t in x:
            h = np.tanh(x_t @ W + h @ U + b)
        return h

    def gradient() -> tuple[np.ndarray, ...]:
        hs = np.empty((v.steps + 1, *h0.shape))
        hs[0] = h0
        for t in range(v.steps):
            hs[t + 1] = np.tanh(x[t] @ W + hs[t] @ U + b)
        da = np.empty((v.steps, *h0.shape))
        dh = np.ones_like(h0)
        for t in range(v.steps - 1, -1, -1):
            da[t] = dh * (1 - hs[t + 1] ** 2)
            dh = da[t] @ U.T
        flat = da.reshape(-1, v.hidden)
        return x.reshape(-1, v.hidden).T @ flat, hs[:-1].reshape(-1, v.hidden).T @ flat, flat.sum(axis=0)

    return _bind(v, forward if v.what == "forward" else gradient)


def arignote_graph(ar: Any, what: str) -> tuple[list[Any], Any]:
    """Inputs ``[x, W, U, b, h0]`` and outputs of W8 as an Arignote graph: ``h_T``, or its gradients."""
    x = ar.tensor("float64", (None, None, None), name="x")
    W, U, b, h0 = ar.dmatrix("W"), ar.dmatrix("U"), ar.dvector("b"), ar.dmatrix("h0")
    hs, _ = ar.scan(lambda x_t, h, W, U, b: ar.tanh(x_t @ W + h @ U + b), sequences=x, outputs_info=h0,
                    non_sequences=[W, U, b])
    h_last = hs[-1]
    return [x, W, U, b, h0], h_last if what == "forward" else ar.grad(h_last.sum(), [W, U, b])


def arignote_(mode: str | None, **options: Any) -> Any:
    """Arignote in the named mode with ``options`` added; None: the default mode (``ar.function`` without
    ``mode``)."""

    def build(v: Variant) -> Any:
        ar = peers.arignote()
        d = _data(v)
        inputs, outputs = arignote_graph(ar, v.what)
        chosen = ar.get_mode(mode).with_options(**options) if options else mode
        f = ar.function(inputs, outputs) if chosen is None else ar.function(inputs, outputs, mode=chosen)
        return _bind(v, lambda: f(d["x"], d["W"], d["U"], d["b"], d["h0"]))

    return build


def pytensor_(v: Variant) -> Any:
    peers.pytensor()
    import pytensor
    import pytensor.tensor as pt

    d = _data(v)
    x = pt.tensor3("x", dtype="float64")
    W, U, b, h0 = pt.dmatrix("W"), pt.dmatrix("U"), pt.dvector("b"), pt.dmatrix("h0")
    hs = pytensor.scan(lambda x_t, h, W, U, b: pt.tanh(x_t @ W + h @ U + b), sequences=x, outputs_info=h0,
                       non_sequences=[W, U, b], return_updates=False)
    h_last = hs[-1]
    outputs = h_last if v.what == "forward" else pytensor.grad(h_last.sum(), [W, U, b])
    f = pytensor.function([x, W, U, b, h0], outputs, mode=peers.PYTENSOR_C_MODE)
    return _bind(v, lambda: f(d["x"], d["W"], d["U"], d["b"], d["h0"]))


def jax_(v: Variant) -> Any:
    jax = peers.jax()
    jnp = jax.numpy
    d = {k: jnp.asarray(a) for k, a in _data(v).items()}

    def last_state(W: Any, U: Any, b: Any, x: Any, h0: Any) -> Any:
        h, _ = jax.lax.scan(lambda h, x_t: (jnp.tanh(x_t @ W + h @ U + b), None), h0, x)
        return h

    fn = jax.jit(last_state if v.what == "forward" else
                 jax.grad(lambda *args: last_state(*args).sum(), argnums=(0, 1, 2)))
    return _bind(v, lambda: jax.block_until_ready(fn(d["W"], d["U"], d["b"], d["x"], d["h0"])))


def torch_(v: Variant) -> Any:
    """PyTorch eager: a Python loop of tensor operations; the gradient by autograd through it."""
    torch = peers.torch()
    d = {k: torch.from_numpy(a) for k, a in _data(v).items()}
    params = [d[k].clone().requires_grad_(v.what == "gradient") for k in ("W", "U", "b")]

    def last_state() -> Any:
        W, U, b = params
        h = d["h0"]
        for x_t in d["x"]:
            h = torch.tanh(x_t @ W + h @ U + b)
        return h

    if v.what == "forward":
        return _bind(v, last_state)
    return _bind(v, lambda: torch.autograd.grad(last_state().sum(), params))


WORKLOAD = Workload(
    name="W8",
    title="tanh RNN over T steps (scan), float64: `h_T`, and the gradient of `sum(h_T)` in W, U, b",
    variants=VARIANTS,
    quick_variants=VARIANTS[:2],
    peers={
        "numpy": numpy_,
        "arignote C": arignote_("c"),
        "arignote default": arignote_(None),
        "arignote C, FTZ": arignote_("c", flush_denormals=True),
        "pytensor C": pytensor_,
        "jax (jit)": jax_,
        "torch": torch_,
    },
    rtol=lambda v: 1e-8,
    notes=("numpy: a Python loop; for the gradient, hand-written backpropagation through time.",
           "arignote C is mode \"c\", arignote default is `ar.function` without a mode; pytensor C is `scan` "
           "in PyTensor's C mode, jax is `lax.scan` under `jit`, torch is an eager loop (autograd for the "
           "gradient).",
           "jax flushes subnormal numbers to zero (XLA's CPU default, FTZ/DAZ); the others keep them, as NumPy "
           "does. The gradient rows meet them: U contracts, so the gradients of the earliest steps decay below "
           "`finfo.tiny` (1198 of the 32000 pre-activation gradients of the small row are subnormal), and "
           "arithmetic on subnormals is slow on x86 (arignote's own float64 products scale them into the normal "
           "range, exactly: codegen-c's README). arignote C, FTZ is mode \"c\" with the option "
           "`flush_denormals=True`: JAX's policy.",
           "numexpr is not a peer here: it has no matrix product."),
)


# -- what the table does not show --------------------------------------------------------------------------------

#: fresh processes for the cold compile (the median is reported)
RUNS = 5

_COLD_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {bench!r}); sys.path.insert(0, {here!r})
import peers
ar = peers.arignote()
import w8_scan_rnn as w8
d = w8._data(w8.COLD)
t1 = time.perf_counter()
inputs, outputs = w8.arignote_graph(ar, w8.COLD.what)
f = ar.function(inputs, outputs, mode="c")
t2 = time.perf_counter()
f(d["x"], d["W"], d["U"], d["b"], d["h0"])
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "compile": t2 - t1, "first_call": t3 - t2}}))
"""


def cold_compile(runs: int = RUNS) -> dict[str, float]:
    """Median seconds, over ``runs`` fresh processes each with a new empty ``ARIGNOTE_CACHE_DIR``, to import
    Arignote, to build and compile the function of ``COLD`` (mode "c"), and for its first call."""
    code = _COLD_SCRIPT.format(bench=str(HERE.parent), here=str(HERE))
    samples = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="w8-") as cache:
            done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "ARIGNOTE_CACHE_DIR": cache},
                                  capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            raise RuntimeError((done.stderr.strip().splitlines() or ["?"])[-1])
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def per_step(rows: Sequence[Any]) -> dict[str, float]:
    """Seconds per step of each timed peer in the small forward variant: its median over T."""
    return {r.peer: r.median / SMALL.steps for r in rows if r.median is not None}
