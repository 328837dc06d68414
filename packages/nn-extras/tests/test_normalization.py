"""Batch normalization's running averages (shared-variable updates across calls), inference with them, and
layer normalization's invariances. (Values of one call against NumPy are in the conformance cases.)"""

import numpy as np
import pytest

import arignote_core as ac
import arignote_nn as nn


def test_running_averages_follow_the_batches():
    rng = np.random.default_rng(0)
    x = ac.tensor("float32", (None, 3, 4, 4), "x")
    gamma, beta = ac.shared(np.ones(3, "float32")), ac.shared(np.zeros(3, "float32"))
    mean, var = ac.shared(np.zeros(3, "float32"), "mean"), ac.shared(np.ones(3, "float32"), "var")
    out, updates = nn.batch_norm(x, gamma, beta, mean, var, training=True, axes="spatial", momentum=0.2)
    assert set(updates) == {mean, var}
    train = ac.function([x], out, updates=updates)
    expected_mean, expected_var = np.zeros(3), np.ones(3)
    for _ in range(4):
        batch = (rng.normal(size=(5, 3, 4, 4)) * np.array([1.0, 2.0, 3.0])[None, :, None, None] + 5).astype("float32")
        normalized = train(batch)
        np.testing.assert_allclose(normalized.mean(axis=(0, 2, 3)), 0, atol=1e-5)
        np.testing.assert_allclose(normalized.var(axis=(0, 2, 3)), 1, rtol=1e-3)
        expected_mean = 0.8 * expected_mean + 0.2 * batch.mean(axis=(0, 2, 3))
        expected_var = 0.8 * expected_var + 0.2 * batch.var(axis=(0, 2, 3), ddof=1)
    assert mean.get_value().dtype == np.float32
    np.testing.assert_allclose(mean.get_value(), expected_mean, rtol=1e-5)
    np.testing.assert_allclose(var.get_value(), expected_var, rtol=1e-5)

    out, updates = nn.batch_norm(x, gamma, beta, mean, var, training=False, axes="spatial")
    assert updates == {}
    batch = rng.normal(size=(2, 3, 4, 4)).astype("float32")
    got = ac.function([x], out)(batch)
    r = lambda v: v.reshape(1, 3, 1, 1)  # noqa: E731
    np.testing.assert_allclose(got, (batch - r(expected_mean)) / np.sqrt(r(expected_var) + 1e-5), rtol=1e-4,
                               atol=1e-5)


def test_training_without_running_statistics_or_affine_parameters():
    x = ac.dmatrix("x")
    out, updates = nn.batch_norm_train(x)
    assert updates == {}
    value = np.arange(12.0).reshape(4, 3) ** 2
    got = ac.function([x], out)(value)
    np.testing.assert_allclose(got, (value - value.mean(0)) / np.sqrt(value.var(0) + 1e-5))


def test_broadcastable_running_statistics_keep_their_shape():
    x = ac.dtensor4("x")
    mean = ac.shared(np.zeros((1, 2, 1, 1)), shape=(1, 2, 1, 1))
    _, updates = nn.batch_norm_train(x, axes="spatial", running_mean=mean)
    assert updates[mean].type.shape == (1, 2, 1, 1)


def test_mismatched_parameters_are_refused():
    with pytest.raises(ValueError):
        nn.batch_norm_train(ac.dtensor4(), ac.dmatrix(), None, axes="spatial")


def test_layer_norm_ignores_shifts_and_scales_of_each_example():
    rng = np.random.default_rng(1)
    x = ac.dmatrix("x")
    f = ac.function([x], nn.layer_norm(x, epsilon=1e-12))
    value = rng.normal(size=(3, 8))
    moved = value * np.array([[2.0], [0.5], [10.0]]) + np.array([[1.0], [-3.0], [7.0]])
    np.testing.assert_allclose(f(value), f(moved), atol=1e-9)
    np.testing.assert_allclose(f(value).mean(axis=1), 0, atol=1e-12)
