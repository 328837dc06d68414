"""Demo: an MLP forward pass (784-32-10, tanh, softmax, cross-entropy) in Arignote, checked against NumPy.

Run it with ``nox -s demo`` (installs the stack) or ``python examples/demo.py`` where Arignote is installed.
"""

from __future__ import annotations

import numpy as np

import arignote_core as ac

BATCH, N_IN, N_HIDDEN, N_OUT = 64, 784, 32, 10
TOLERANCE = 1e-12


def init_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random float64 weights, scaled by fan-in, and small random biases."""
    return {
        "W1": rng.standard_normal((N_IN, N_HIDDEN)) / np.sqrt(N_IN),
        "b1": 0.1 * rng.standard_normal(N_HIDDEN),
        "W2": rng.standard_normal((N_HIDDEN, N_OUT)) / np.sqrt(N_HIDDEN),
        "b2": 0.1 * rng.standard_normal(N_OUT),
    }


def build_graph(params: dict[str, np.ndarray]) -> tuple[ac.Function, ac.Function]:
    """Compile the class probabilities (inputs x) and the mean cross-entropy (inputs x, integer labels y)."""
    x, y = ac.dmatrix("x"), ac.ivector("y")
    w1, b1, w2, b2 = (ac.shared(params[name], name=name) for name in ("W1", "b1", "W2", "b2"))
    h = ac.tanh(ac.dot(x, w1) + b1)
    z = ac.dot(h, w2) + b2
    e = ac.exp(z - ac.max(z, axis=1, keepdims=True))
    p = e / ac.sum(e, axis=1, keepdims=True)
    loss = -ac.mean(ac.log(p[ac.arange(y.shape[0]), y]))
    return ac.function([x], p), ac.function([x, y], loss)


def numpy_forward(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """The same probabilities and loss in plain NumPy."""
    h = np.tanh(x @ params["W1"] + params["b1"])
    z = h @ params["W2"] + params["b2"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return p, float(-np.mean(np.log(p[np.arange(len(y)), y])))


def main() -> None:
    rng = np.random.default_rng(0)
    params = init_params(rng)
    x = rng.standard_normal((BATCH, N_IN))
    y = rng.integers(0, N_OUT, size=BATCH, dtype=np.int32)

    probabilities, cross_entropy = build_graph(params)
    p_ar, loss_ar = np.asarray(probabilities(x)), float(cross_entropy(x, y))
    p_np, loss_np = numpy_forward(params, x, y)
    diff = max(float(np.max(np.abs(p_ar - p_np))), abs(loss_ar - loss_np))

    print(f"MLP {N_IN}-{N_HIDDEN}-{N_OUT} (tanh, softmax), batch of {BATCH}, float64")
    print(f"cross-entropy loss, Arignote: {loss_ar:.15f}")
    print(f"cross-entropy loss, NumPy:    {loss_np:.15f}")
    print(f"max abs difference (probabilities and loss): {diff:.3e} (must be < {TOLERANCE:g})")
    assert diff < TOLERANCE, f"Arignote and NumPy differ by {diff:.3e}"
    print(
        "What to read next: README.md (packages, nox sessions, layout), then packages/graph-core/README.md."
    )


if __name__ == "__main__":
    main()
