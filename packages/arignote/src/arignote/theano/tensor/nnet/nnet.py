"""Theano's softmax family and one-hot cross-entropies: ``softmax`` (a vector gives a 1 x n row, as in Theano
1.0), ``logsoftmax``, ``softmax_with_bias``, the ``crossentropy_softmax_*`` functions,
``crossentropy_categorical_1hot``, ``prepend_*_to_each_row``, ``h_softmax``, ``ultra_fast_sigmoid``."""

from __future__ import annotations

from typing import Any

import arignote as ar
import arignote_nn
from arignote_core import TensorVariable, as_tensor

__all__ = ["crossentropy_categorical_1hot", "crossentropy_softmax_1hot", "crossentropy_softmax_1hot_with_bias",
           "crossentropy_softmax_argmax_1hot_with_bias", "crossentropy_softmax_max_and_argmax_1hot",
           "crossentropy_softmax_max_and_argmax_1hot_with_bias", "h_softmax", "logsoftmax",
           "prepend_0_to_each_row", "prepend_1_to_each_row", "prepend_scalar_to_each_row", "softmax",
           "softmax_with_bias", "ultra_fast_sigmoid"]


def _rows(c: Any) -> TensorVariable:
    """Theano 1.0 treats a vector as one row."""
    c = as_tensor(c)
    return ar.shape_padleft(c, 1) if c.ndim == 1 else c


def softmax(c: Any) -> TensorVariable:
    """The softmax of each row (last axis); a vector gives a 1 x n row, as in Theano 1.0."""
    return arignote_nn.softmax(_rows(c), axis=-1)


def logsoftmax(c: Any) -> TensorVariable:
    """The log-softmax of each row; a vector gives a 1 x n row."""
    return arignote_nn.log_softmax(_rows(c), axis=-1)


def softmax_with_bias(x: Any, b: Any) -> TensorVariable:
    """``softmax(x + b)`` for a matrix ``x`` and a bias vector ``b``."""
    return softmax(as_tensor(x) + b)


def ultra_fast_sigmoid(x: Any) -> TensorVariable:
    """Theano's piecewise approximation of the sigmoid; here the exact sigmoid (as fast, once compiled)."""
    return arignote_nn.sigmoid(x)


def crossentropy_categorical_1hot(coding_dist: Any, true_one_of_n: Any) -> TensorVariable:
    """``-log(coding_dist[i, true_one_of_n[i]])`` for each row ``i``."""
    return arignote_nn.categorical_crossentropy(coding_dist, true_one_of_n)


def crossentropy_softmax_1hot_with_bias(x: Any, b: Any, y_idx: Any) -> tuple[TensorVariable, TensorVariable]:
    """``(cross-entropy of each row, softmax(x + b))`` for integer labels ``y_idx``."""
    logits = as_tensor(x) + b
    return arignote_nn.categorical_crossentropy(logits, y_idx, from_logits=True), softmax(logits)


def crossentropy_softmax_1hot(x: Any, y_idx: Any) -> tuple[TensorVariable, TensorVariable]:
    """``(cross-entropy of each row, softmax(x))`` for integer labels ``y_idx``."""
    return crossentropy_softmax_1hot_with_bias(x, ar.zeros_like(as_tensor(x)[0]), y_idx)


def crossentropy_softmax_max_and_argmax_1hot_with_bias(x: Any, b: Any, y_idx: Any) -> tuple[TensorVariable, ...]:
    """``(cross-entropy, softmax, max of each softmax row, its argmax)``."""
    xent, sm = crossentropy_softmax_1hot_with_bias(x, b, y_idx)
    return xent, sm, ar.max(sm, axis=-1), ar.argmax(sm, axis=-1)


def crossentropy_softmax_max_and_argmax_1hot(x: Any, y_idx: Any) -> tuple[TensorVariable, ...]:
    """:func:`crossentropy_softmax_max_and_argmax_1hot_with_bias` without a bias."""
    return crossentropy_softmax_max_and_argmax_1hot_with_bias(x, ar.zeros_like(as_tensor(x)[0]), y_idx)


def crossentropy_softmax_argmax_1hot_with_bias(x: Any, b: Any, y_idx: Any) -> tuple[TensorVariable, ...]:
    """``(cross-entropy, softmax, argmax of each softmax row)``."""
    xent, sm, _, argmax = crossentropy_softmax_max_and_argmax_1hot_with_bias(x, b, y_idx)
    return xent, sm, argmax


def prepend_scalar_to_each_row(val: Any, x: Any) -> TensorVariable:
    """The matrix ``x`` with a first column of ``val``."""
    x = as_tensor(x)
    column = ar.cast(ar.fill(x[:, :1], val), x.dtype)
    return ar.concatenate([column, x], axis=1)


def prepend_0_to_each_row(x: Any) -> TensorVariable:
    """The matrix ``x`` with a first column of zeros."""
    return prepend_scalar_to_each_row(0, x)


def prepend_1_to_each_row(x: Any) -> TensorVariable:
    """The matrix ``x`` with a first column of ones."""
    return prepend_scalar_to_each_row(1, x)


def h_softmax(x: Any, batch_size: Any, n_outputs: int, n_classes: int, n_outputs_per_class: int, W1: Any,  # noqa: N803
              b1: Any, W2: Any, b2: Any, target: Any = None) -> TensorVariable:  # noqa: N803 (Theano's names)
    """Theano's two-level hierarchical softmax: ``W1`` (dim, n_classes) and ``b1`` pick a class, ``W2``
    (n_classes, dim, n_outputs_per_class) and ``b2`` an output within it. Without ``target``: every output's
    probability, (batch_size, n_outputs); with integer ``target``s: the probability of each target."""
    x = as_tensor(x)
    class_probs = arignote_nn.softmax(ar.dot(x, W1) + b1, axis=-1)
    W2, b2 = as_tensor(W2), as_tensor(b2)  # noqa: N806
    if target is None:
        activations = ar.tensordot(x, W2, axes=[[1], [1]]) + b2
        within = arignote_nn.softmax(activations, axis=-1)
        probs = ar.reshape(ar.expand_dims(class_probs, -1) * within, (batch_size, n_classes * n_outputs_per_class))
        return probs[:, :n_outputs]
    target = as_tensor(target)
    target_class = ar.floor_divide(target, n_outputs_per_class)
    target_within = ar.remainder(target, n_outputs_per_class)
    activations = ar.batched_dot(x, W2[target_class]) + b2[target_class]
    within = arignote_nn.softmax(activations, axis=-1)
    rows = ar.arange(x.shape[0])
    return class_probs[rows, target_class] * within[rows, target_within]
