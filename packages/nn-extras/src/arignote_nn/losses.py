"""Losses: categorical and binary cross-entropy (from probabilities or from logits), mean squared error."""

from __future__ import annotations

from typing import Any

import arignote_core as ac
from arignote_core import TensorVariable, as_tensor
from arignote_core.dtypes import is_integer

from .softmax import log_softmax

#: what a call raises for an integer label that names no class (PyTorch and Theano refuse it too)
LABEL_RANGE_ERROR = "categorical_crossentropy: integer labels must lie in [0, number of classes)"


def _pick(values: TensorVariable, labels: TensorVariable, axis: int) -> TensorVariable:
    """``values`` at the class ``labels`` along ``axis``: advanced indexing (``values[arange(n), labels]`` for
    rows of classes), which the stabilizing rewrites see through (``log(softmax(x))[i, y]`` becomes
    ``log_softmax(x)[i, y]``) and whose gradient reaches only the picked entries. A label outside the classes is
    an error at run time, negative ones too (NumPy's indexing would wrap them around)."""
    axis = axis % values.ndim
    if labels.ndim != values.ndim - 1:
        raise ValueError(f"integer labels must have one dimension less than the predictions, got labels of type "
                         f"{labels.type} for predictions of type {values.type}")
    classes = values.shape[axis]
    labels = ac.check(labels, LABEL_RANGE_ERROR, ac.all(labels >= 0), ac.all(labels < classes))
    index: list[Any] = []
    for a in range(values.ndim):
        if a == axis:
            index.append(labels)
            continue
        position = a if a < axis else a - 1  # where this axis sits among the labels' axes
        pattern: list[int | str] = ["x"] * labels.ndim
        pattern[position] = 0
        index.append(ac.arange(values.shape[a]).dimshuffle(*pattern))
    return values[tuple(index)]


def categorical_crossentropy(predictions: Any, targets: Any, from_logits: bool = False,
                             axis: int = -1) -> TensorVariable:
    """Cross-entropy of each example: ``-sum(targets * log(predictions), axis)``.

    ``predictions`` are probabilities, or unnormalized logits with ``from_logits`` (stable: a log-softmax).
    ``targets`` are class probabilities (one-hot rows) of the predictions' shape, or integer class labels with
    the class axis left out. The result has the class axis removed.
    """
    predictions, targets = as_tensor(predictions), as_tensor(targets)
    if is_integer(targets.dtype):
        if from_logits:
            return -_pick(log_softmax(predictions, axis), targets, axis)
        return -ac.log(_pick(predictions, targets, axis))
    log_probs = log_softmax(predictions, axis) if from_logits else ac.log(predictions)
    return -ac.sum(targets * log_probs, axis=axis)


def binary_crossentropy(predictions: Any, targets: Any, from_logits: bool = False) -> TensorVariable:
    """Elementwise ``-(t log p + (1 - t) log(1 - p))``; with ``from_logits`` the stable ``softplus(x) - t x``."""
    predictions, targets = as_tensor(predictions), as_tensor(targets)
    if from_logits:
        return ac.softplus(predictions) - targets * predictions
    return -(targets * ac.log(predictions) + (1 - targets) * ac.log1p(-predictions))


def mse(predictions: Any, targets: Any, axis: Any = None) -> TensorVariable:
    """Mean squared error over ``axis`` (all axes by default)."""
    diff = as_tensor(predictions) - as_tensor(targets)
    return ac.mean(diff * diff, axis=axis)
