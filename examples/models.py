"""The demo's three models as Arignote graphs: logistic regression, an MLP and a small convnet.

Each builder returns the symbolic images ``x``, the logits and the trainable shared parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import arignote as ar
from shapes import CLASSES, SIZE

PIXELS = SIZE * SIZE


def _param(value: np.ndarray, name: str) -> Any:
    return ar.shared(value.astype("float32"), name=name, shape=value.shape)


def logistic_regression(rng: np.random.Generator) -> tuple[Any, Any, list[Any]]:
    w, b = _param(np.zeros((PIXELS, CLASSES)), "w"), _param(np.zeros(CLASSES), "b")
    x = ar.tensor("float32", (None, 1, SIZE, SIZE), "x")
    return x, x.reshape((x.shape[0], PIXELS)) @ w + b, [w, b]


def mlp(rng: np.random.Generator) -> tuple[Any, Any, list[Any]]:
    w1, b1 = _param(ar.nn.he_normal((PIXELS, 128), rng=rng), "w1"), _param(np.zeros(128), "b1")
    w2, b2 = _param(ar.nn.glorot_uniform((128, CLASSES), rng=rng), "w2"), _param(np.zeros(CLASSES), "b2")
    x = ar.tensor("float32", (None, 1, SIZE, SIZE), "x")
    h = ar.tanh(x.reshape((x.shape[0], PIXELS)) @ w1 + b1)
    return x, h @ w2 + b2, [w1, b1, w2, b2]


def convnet(rng: np.random.Generator) -> tuple[Any, Any, list[Any]]:
    nn = ar.nn
    w1, b1 = _param(nn.he_normal((8, 1, 3, 3), rng=rng), "w1"), _param(np.zeros(8), "b1")
    w2, b2 = _param(nn.he_normal((16, 8, 3, 3), rng=rng), "w2"), _param(np.zeros(16), "b2")
    w3, b3 = _param(nn.he_normal((64, 32), rng=rng), "w3"), _param(np.zeros(32), "b3")
    w4, b4 = _param(nn.glorot_uniform((32, CLASSES), rng=rng), "w4"), _param(np.zeros(CLASSES), "b4")
    x = ar.tensor("float32", (None, 1, SIZE, SIZE), "x")
    h = nn.max_pool2d(nn.relu(nn.conv2d(x, w1, padding="same") + b1.dimshuffle("x", 0, "x", "x")), 2)
    h = nn.max_pool2d(nn.relu(nn.conv2d(h, w2) + b2.dimshuffle("x", 0, "x", "x")), 2)
    h = nn.relu(h.reshape((h.shape[0], 64)) @ w3 + b3)
    return x, h @ w4 + b4, [w1, b1, w2, b2, w3, b3, w4, b4]


MODELS = {"logistic regression": logistic_regression, "MLP 144-128-6": mlp, "convnet (2 conv+pool, 2 dense)": convnet}


def training_functions(build: Any, mode: Any, seed: int = 0) -> tuple[Any, Any, list[Any]]:
    """(train step returning the loss, predict, parameters) compiled in ``mode``; Adam, learning rate 0.01."""
    x, logits, params = build(np.random.default_rng(seed))
    y = ar.lvector("y")
    loss = ar.nn.categorical_crossentropy(logits, y, from_logits=True).mean()
    updates = ar.nn.adam(ar.grad(loss, params), params, learning_rate=0.01)
    train = ar.function([x, y], loss, updates=updates, mode=mode)
    predict = ar.function([x], ar.argmax(logits, axis=1), mode=mode)
    return train, predict, params
