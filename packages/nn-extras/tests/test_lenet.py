"""A LeNet-style convnet (two conv + pool layers, two dense layers) trained on generated 1x12x12 images of six
shapes at random places, on the reference evaluator: after 6 epochs of Adam on 768 images it must classify at
least 93% of 384 held-out images (chance: 17%), in a few seconds (about 1.2 s here)."""

import time

import numpy as np

import arignote_core as ac
import arignote_nn as nn
from arignote_grad import grad

SIZE, CLASSES = 12, 6


def make_images(rng, n):
    """Noisy images of one of six shapes (horizontal, vertical, diagonal and anti-diagonal strokes, a ring and
    a plus sign) of random size, place and brightness."""
    labels = rng.integers(0, CLASSES, n)
    images = rng.normal(0.0, 0.3, (n, 1, SIZE, SIZE))
    for image, label in zip(images[:, 0], labels, strict=True):
        length = rng.integers(5, 8)
        r, c = rng.integers(0, SIZE - length, 2)
        steps = np.arange(length)
        brightness = rng.uniform(1.0, 1.5)
        if label == 0:
            image[r, c + steps] += brightness
        elif label == 1:
            image[r + steps, c] += brightness
        elif label == 2:
            image[r + steps, c + steps] += brightness
        elif label == 3:
            image[r + steps, c + length - 1 - steps] += brightness
        elif label == 4:
            image[r:r + 4, c:c + 4] += brightness
            image[r + 1:r + 3, c + 1:c + 3] -= brightness
        else:
            half = length // 2
            image[r + half, c:c + length] += brightness
            image[r:r + length, c + half] += brightness
    return images.astype("float32"), labels


def build_lenet(rng):
    def param(value, name):
        return ac.shared(value.astype("float32"), name=name, shape=value.shape)

    w1, b1 = param(nn.he_normal((8, 1, 3, 3), rng=rng), "w1"), param(np.zeros(8), "b1")
    w2, b2 = param(nn.he_normal((16, 8, 3, 3), rng=rng), "w2"), param(np.zeros(16), "b2")
    w3, b3 = param(nn.he_normal((64, 32), rng=rng), "w3"), param(np.zeros(32), "b3")
    w4, b4 = param(nn.glorot_uniform((32, CLASSES), rng=rng), "w4"), param(np.zeros(CLASSES), "b4")
    x = ac.tensor("float32", (None, 1, SIZE, SIZE), "x")
    h = nn.max_pool2d(nn.relu(nn.conv2d(x, w1, padding="same") + b1.dimshuffle("x", 0, "x", "x")), 2)  # 6x6
    h = nn.max_pool2d(nn.relu(nn.conv2d(h, w2) + b2.dimshuffle("x", 0, "x", "x")), 2)  # 4x4 -> 2x2
    h = nn.relu(h.reshape((h.shape[0], 64)) @ w3 + b3)
    logits = h @ w4 + b4
    return x, logits, [w1, b1, w2, b2, w3, b3, w4, b4]


def test_lenet_learns_the_shapes():
    rng = np.random.default_rng(0)
    train_x, train_y = make_images(rng, 768)
    test_x, test_y = make_images(rng, 384)
    x, logits, params = build_lenet(rng)
    y = ac.lvector("y")
    loss = nn.categorical_crossentropy(logits, y, from_logits=True).mean()
    updates = nn.adam(grad(loss, params), params, learning_rate=0.01)
    train = ac.function([x, y], loss, updates=updates)
    predict = ac.function([x], ac.argmax(logits, axis=1))
    assert (predict(test_x) == test_y).mean() < 0.4

    start = time.perf_counter()
    losses = []
    for _ in range(6):
        order = rng.permutation(len(train_y))
        for i in range(0, len(order), 32):
            batch = order[i:i + 32]
            losses.append(float(train(train_x[batch], train_y[batch])))
    elapsed = time.perf_counter() - start
    accuracy = (predict(test_x) == test_y).mean()
    assert accuracy >= 0.93, f"test accuracy {accuracy:.3f}"
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
    assert elapsed < 20, f"training took {elapsed:.1f} s"
    assert all(p.get_value().dtype == np.float32 for p in params)


def test_a_checked_training_step_agrees_with_the_plain_one():
    """The mode option ``check`` on the reference evaluator: every node of a LeNet step (convolutions, pooling,
    their gradients, Adam) against its perform with inputs untouched and views declared, and the whole step
    against its graph before rewriting; its loss and updates equal the unchecked step's."""
    images, labels = make_images(np.random.default_rng(1), 32)
    results = []
    for mode in (ac.Mode(options={"check": True}), None):
        x, logits, params = build_lenet(np.random.default_rng(0))
        y = ac.lvector("y")
        loss = nn.categorical_crossentropy(logits, y, from_logits=True).mean()
        updates = nn.adam(grad(loss, params), params, learning_rate=0.01)
        train = ac.function([x, y], loss, updates=updates, mode=mode)
        assert ("Checked: every node" in train.report()) == (mode is not None)
        results.append([train(images, labels), *(p.get_value() for p in params)])
    for checked, plain in zip(*results, strict=True):
        np.testing.assert_array_equal(checked, plain)
