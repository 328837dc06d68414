"""An MLP forward pass with a softmax cross-entropy loss matches NumPy to 1e-12 in float64."""

import numpy as np

import arignote_core as ac


def test_mlp_softmax_cross_entropy_matches_numpy():
    rng = np.random.default_rng(42)
    sizes = [784, 64, 32, 10]
    params = [(rng.normal(0, 0.1, (m, n)), rng.normal(0, 0.1, n)) for m, n in zip(sizes, sizes[1:], strict=False)]
    x, labels = ac.dmatrix("x"), ac.lvector("labels")
    h = x
    shared = [(ac.shared(w, name=f"W{k}"), ac.shared(b, name=f"b{k}")) for k, (w, b) in enumerate(params)]
    for k, (w, b) in enumerate(shared):
        z = ac.dot(h, w) + b
        h = ac.tanh(z) if k < len(shared) - 1 else z
    shifted = h - ac.max(h, axis=1, keepdims=True)
    probs = ac.exp(shifted) / ac.sum(ac.exp(shifted), axis=1, keepdims=True)
    loss = -ac.mean(ac.log(probs[ac.arange(labels.shape[0]), labels]))
    predictions = ac.argmax(probs, axis=1)
    f = ac.function([x, labels], [loss, predictions])

    xv, yv = rng.normal(size=(128, 784)), rng.integers(0, 10, 128)
    hv = xv
    for k, (w, b) in enumerate(params):
        hv = hv @ w + b
        hv = np.tanh(hv) if k < len(params) - 1 else hv
    sv = hv - hv.max(axis=1, keepdims=True)
    pv = np.exp(sv) / np.exp(sv).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(pv[np.arange(128), yv]))
    got_loss, got_pred = f(xv, yv)
    assert abs(got_loss - expected) <= 1e-12 * max(1.0, abs(expected))
    np.testing.assert_array_equal(got_pred, pv.argmax(axis=1))
