"""End to end: logistic regression, an MLP and a convnet trained on the generated shapes data set, on the
reference evaluator and on the C backend, reach a stated accuracy with equal results for the same seed."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from models import MODELS, training_functions  # noqa: E402
from shapes import split  # noqa: E402

DATA = split(seed=3, train=512, test=256)
STEPS, BATCH = 48, 32
REQUIRED = {"logistic regression": 0.3, "MLP 144-128-6": 0.3, "convnet (2 conv+pool, 2 dense)": 0.6}


def _train(name: str, mode: str) -> tuple[list[np.ndarray], list[float], float]:
    train_x, train_y, test_x, test_y = DATA
    train, predict, params = training_functions(MODELS[name], mode=mode, seed=0)
    order = np.random.default_rng(1).permutation(len(train_y))
    losses = []
    for k in range(STEPS):
        batch = order[(k * BATCH) % len(order):][:BATCH]
        losses.append(float(train(train_x[batch], train_y[batch])))
    accuracy = float((predict(test_x) == test_y).mean())
    return [p.get_value() for p in params], losses, accuracy


@pytest.mark.parametrize("name", list(MODELS))
def test_backends_train_alike_and_learn(name):
    params_ref, losses_ref, acc_ref = _train(name, "reference")
    params_c, losses_c, acc_c = _train(name, "fast_run")
    np.testing.assert_allclose(losses_c, losses_ref, rtol=2e-3, atol=2e-4)
    for a, b in zip(params_c, params_ref, strict=True):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=5e-3, atol=5e-4)
    assert np.mean(losses_c[-8:]) < 0.8 * np.mean(losses_c[:8])
    assert acc_c >= REQUIRED[name] and abs(acc_c - acc_ref) <= 0.02
