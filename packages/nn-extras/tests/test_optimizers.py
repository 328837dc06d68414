"""Optimizers given gradients: several steps against NumPy implementations of PyTorch's update rules; state,
dtypes, symbolic hyperparameters; gradient clipping by global norm."""

import numpy as np
import pytest

import arignote_core as ac
import arignote_nn as nn

TARGET = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
START = np.array([[0.5, 0.5, 0.5], [-1.0, 2.0, 1.0]])


def _gradient(p):
    """The gradient of sum((p - TARGET) ** 4) / 4, written out, so that these tests need no autograd."""
    return (p - TARGET) ** 3


def _numpy_steps(name, steps, **hyper):
    """The parameter after ``steps`` updates, as PyTorch's optimizers compute them."""
    p = START.copy()
    state = {"v": np.zeros_like(p), "s": np.zeros_like(p), "m": np.zeros_like(p)}
    lr = hyper.get("learning_rate")
    for t in range(1, steps + 1):
        g = _gradient(p)
        if name == "sgd":
            p = p - lr * g
        elif name in ("momentum", "nesterov"):
            mu = hyper["momentum"]
            state["v"] = mu * state["v"] - lr * g
            p = p + (state["v"] if name == "momentum" else mu * state["v"] - lr * g)
        elif name == "adagrad":
            state["s"] += g * g
            p = p - lr * g / (np.sqrt(state["s"]) + hyper["epsilon"])
        elif name == "rmsprop":
            state["s"] = hyper["rho"] * state["s"] + (1 - hyper["rho"]) * g * g
            p = p - lr * g / (np.sqrt(state["s"]) + hyper["epsilon"])
        else:
            b1, b2, eps, wd = hyper["beta1"], hyper["beta2"], hyper["epsilon"], hyper.get("weight_decay", 0.0)
            p = p * (1 - lr * wd)
            state["m"] = b1 * state["m"] + (1 - b1) * g
            state["s"] = b2 * state["s"] + (1 - b2) * g * g
            m_hat, v_hat = state["m"] / (1 - b1 ** t), state["s"] / (1 - b2 ** t)
            p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


CONFIGS = [
    ("sgd", {"learning_rate": 0.05}),
    ("momentum", {"learning_rate": 0.02, "momentum": 0.9}),
    ("nesterov", {"learning_rate": 0.02, "momentum": 0.8}),
    ("adagrad", {"learning_rate": 0.3, "epsilon": 1e-10}),
    ("rmsprop", {"learning_rate": 0.05, "rho": 0.9, "epsilon": 1e-8}),
    ("adam", {"learning_rate": 0.1, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}),
    ("adamw", {"learning_rate": 0.1, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-8, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(("name", "hyper"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_steps_match_numpy(name, hyper):
    p = ac.shared(START.copy(), name="p")
    updates = getattr(nn, name)([_gradient(p)], [p], **hyper)
    step = ac.function([], [], updates=updates)
    for _ in range(5):
        step()
    np.testing.assert_allclose(p.get_value(), _numpy_steps(name, 5, **hyper), rtol=1e-10, atol=1e-14)
    assert np.abs(p.get_value() - TARGET).sum() < np.abs(START - TARGET).sum()


@pytest.mark.parametrize(("name", "hyper"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_float32_parameters_stay_float32(name, hyper):
    p = ac.shared(START.astype("float32"), name="p")
    updates = getattr(nn, name)([_gradient(p)], [p], **hyper)
    assert all(v.dtype == k.type.dtype for k, v in updates.items())
    ac.function([], [], updates=updates)()
    assert p.get_value().dtype == np.float32
    np.testing.assert_allclose(p.get_value(), _numpy_steps(name, 1, **hyper), rtol=1e-5)


def test_symbolic_learning_rate():
    p = ac.shared(START.copy())
    lr = ac.dscalar("lr")
    step = ac.function([lr], [], updates=nn.momentum([_gradient(p)], [p], learning_rate=lr, momentum=0.5))
    step(0.02)
    step(0.0)  # no new gradient step, but the velocity still moves p
    v1 = -0.02 * _gradient(START)
    expected = START + v1 + 0.5 * v1
    np.testing.assert_allclose(p.get_value(), expected)


def test_state_lives_in_new_shared_variables():
    p, q = ac.shared(START.copy(), name="w"), ac.shared(np.ones(3), name="b")
    updates = nn.adam([_gradient(p), q * 2], [p, q])
    names = sorted(v.name for v in updates)
    assert names == sorted(["w", "b", "adam_step", "w_first_moment", "w_second_moment", "b_first_moment",
                            "b_second_moment"])


def test_bad_arguments():
    p = ac.shared(START.copy())
    with pytest.raises(ValueError, match="2 gradients for 1"):
        nn.sgd([p, p], [p])
    with pytest.raises(TypeError, match="shared"):
        nn.sgd([p], [ac.dmatrix()])


def test_clip_by_global_norm():
    a, b = ac.dvector("a"), ac.dmatrix("b")
    clipped = nn.clip_by_global_norm([a, b], 1.0)
    norm = nn.global_norm([a, b])
    f = ac.function([a, b], [*clipped, norm])
    big_a, big_b = np.array([3.0, 4.0]), np.full((2, 2), 6.0)  # global norm sqrt(9 + 16 + 144) = 13
    ca, cb, n = f(big_a, big_b)
    assert n == pytest.approx(13.0)
    assert np.sqrt(np.sum(ca ** 2) + np.sum(cb ** 2)) == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(ca / big_a, np.full(2, cb[0, 0] / 6.0))
    small = f(big_a / 100, big_b / 100)
    np.testing.assert_allclose(small[0], big_a / 100)
    np.testing.assert_allclose(small[1], big_b / 100)


def test_clip_keeps_dtypes():
    g = ac.fvector("g")
    (clipped,) = nn.clip_by_global_norm([g], 0.5)
    assert clipped.dtype == "float32"
    out = ac.function([g], clipped)(np.array([3.0, 4.0], "float32"))
    np.testing.assert_allclose(out, [0.3, 0.4], rtol=1e-5)


def test_a_loss_is_differentiated():
    p = ac.shared(START.copy(), name="p")
    loss = ac.sum((p - TARGET) ** 4) / 4
    step = ac.function([], loss, updates=nn.sgd(loss, [p], learning_rate=0.05))
    first = step()
    for _ in range(4):
        last = step()
    np.testing.assert_allclose(p.get_value(), _numpy_steps("sgd", 5, learning_rate=0.05), rtol=1e-12)
    assert last < first
