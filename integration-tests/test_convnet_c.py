"""A LeNet-style convnet (two conv + max-pool layers, two dense layers; examples/models.py) trained on the
C backend, its convolution and pooling in nn-extras' C kernels: after 10 epochs of Adam on 1536 generated 12x12
shape images (examples/shapes.py) it classifies at least 97% of 512 held-out ones (chance: 17%)."""

import sys
import time
from pathlib import Path

import numpy as np

import arignote as ar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from models import MODELS, training_functions  # noqa: E402
from shapes import split  # noqa: E402

EPOCHS, BATCH, REQUIRED = 10, 32, 0.97
KERNEL_OPS = (ar.nn.Conv2d, ar.nn.Conv2dGradInput, ar.nn.Conv2dGradWeights, ar.nn.Pool2d, ar.nn.MaxPool2dGrad)


def test_lenet_trains_on_the_c_backend():
    train_x, train_y, test_x, test_y = split(seed=0)
    train, predict, params = training_functions(MODELS["convnet (2 conv+pool, 2 dense)"], mode="fast_run", seed=0)
    steps = train.executable.info.steps
    assert {type(s.node.op) for s in steps if s.label == "user"} == set(KERNEL_OPS)
    assert not [s for s in steps if s.label == "python" and isinstance(s.node.op, KERNEL_OPS)]

    rng = np.random.default_rng(1)
    start = time.perf_counter()
    losses = []
    for _ in range(EPOCHS):
        order = rng.permutation(len(train_y))
        for i in range(0, len(order), BATCH):
            batch = order[i:i + BATCH]
            losses.append(float(train(train_x[batch], train_y[batch])))
    elapsed = time.perf_counter() - start
    accuracy = float((predict(test_x) == test_y).mean())
    assert accuracy >= REQUIRED, f"test accuracy {accuracy:.3f} after {EPOCHS} epochs ({elapsed:.1f} s)"
    assert np.mean(losses[-20:]) < 0.25 * np.mean(losses[:20])
    assert all(p.get_value().dtype == np.float32 for p in params)


def test_lenet_steps_in_debug_mode_agree_with_fast_run():
    """Mode "debug": every node of the compiled LeNet step (nn-extras' C kernels, GEMM, fused kernels, the memory
    plan's in-place updates) is checked against its perform as it runs, and the step against its graph before
    rewriting; the losses and parameters follow fast_run's."""
    train_x, train_y, _, _ = split(seed=0)
    runs = []
    for mode in ("debug", "fast_run"):
        train, _, params = training_functions(MODELS["convnet (2 conv+pool, 2 dense)"], mode=mode, seed=0)
        losses = [float(train(train_x[i:i + BATCH], train_y[i:i + BATCH])) for i in range(0, 3 * BATCH, BATCH)]
        runs.append((train, losses, [p.get_value() for p in params]))
    (debug, debug_losses, debug_params), (_, losses, fast_params) = runs
    assert debug.mode.options["check"] and "Checked: every node" in debug.report()
    np.testing.assert_allclose(debug_losses, losses, rtol=1e-5)
    for got, want in zip(debug_params, fast_params, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
