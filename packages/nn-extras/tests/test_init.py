"""Initializers: fans, the variance each scheme promises, orthogonality, seeds and dtypes."""

import math

import numpy as np
import pytest

from arignote_nn import init


def test_fans():
    assert init.fans((300, 200)) == (300, 200)
    assert init.fans((16, 3, 5, 5)) == (75, 400)
    assert init.fans((8, 4, 3)) == (12, 24)
    with pytest.raises(ValueError):
        init.fans((7,))


@pytest.mark.parametrize(("make", "std"), [
    (lambda rng: init.glorot_uniform((400, 600), rng=rng), math.sqrt(2 / 1000)),
    (lambda rng: init.glorot_normal((400, 600), rng=rng), math.sqrt(2 / 1000)),
    (lambda rng: init.glorot_uniform((400, 600), gain=2.0, rng=rng), 2 * math.sqrt(2 / 1000)),
    (lambda rng: init.he_uniform((64, 32, 3, 3), rng=rng), math.sqrt(2 / (32 * 9))),
    (lambda rng: init.he_normal((64, 32, 3, 3), rng=rng), math.sqrt(2 / (32 * 9))),
    (lambda rng: init.he_normal((64, 32, 3, 3), mode="fan_out", rng=rng), math.sqrt(2 / (64 * 9))),
    (lambda rng: init.he_uniform((500, 300), gain=1.0, rng=rng), math.sqrt(1 / 500)),
])
def test_standard_deviation(make, std):
    w = make(np.random.default_rng(0))
    assert abs(w.mean()) < 0.05 * std
    assert w.std() == pytest.approx(std, rel=0.03)


def test_uniform_limits():
    w = init.glorot_uniform((50, 70), rng=1)
    limit = math.sqrt(6 / 120)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    w = init.he_uniform((50, 70), rng=1)
    assert np.abs(w).max() <= math.sqrt(2) * math.sqrt(3 / 50)


@pytest.mark.parametrize(("shape", "gain"), [((5, 8), 1.0), ((8, 5), 2.0), ((6, 2, 2, 2), 1.0), ((7, 7), 0.5)])
def test_orthogonal(shape, gain):
    w = init.orthogonal(shape, gain=gain, rng=3)
    assert w.shape == shape
    m = w.reshape(shape[0], -1)
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(gram.shape[0]), atol=1e-12)


def test_seeds_and_dtypes():
    a = init.he_normal((4, 5), rng=7, dtype="float32")
    assert a.dtype == np.float32 and np.array_equal(a, init.he_normal((4, 5), rng=7, dtype="float32"))
    rng = np.random.default_rng(7)
    first, second = init.glorot_normal((4, 5), rng=rng), init.glorot_normal((4, 5), rng=rng)
    assert not np.array_equal(first, second)
    assert init.orthogonal((3, 3), rng=2, dtype="float32").dtype == np.float32


def test_bad_arguments():
    with pytest.raises(ValueError, match="mode"):
        init.he_normal((3, 4), mode="fan_avg")
    with pytest.raises(ValueError):
        init.orthogonal((5,))
