"""Conformance cases of the composed functions: activations, softmax, losses, normalization, embedding and
the confusion matrix, each against NumPy/SciPy written independently of the graph."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sp

from arignote_core.testing import Case, Sample, sample
from arignote_core.testing.generators import elementwise

from .. import activations as act
from ..embedding import embedding
from ..losses import binary_crossentropy, categorical_crossentropy, mse
from ..metrics import ConfusionMatrix, confusion_matrix
from ..normalization import batch_norm_inference, batch_norm_train, layer_norm
from ..softmax import log_softmax, softmax

FLOATS = ("float64", "float32", "float16")
#: float16 results are compared with a float64 computation rounded once
LOOSE_HALF = {"float16": (1e-2, 1e-3)}


def _in_dtype(function: Any) -> Any:
    """An oracle computing ``function`` in float64 and giving the input's dtype."""

    def oracle(x: np.ndarray, **kwargs: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(function(x.astype("float64"), **kwargs)).astype(x.dtype)

    return oracle


def _gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return x * sp.ndtr(x)


ACTIVATIONS: dict[str, tuple[Any, Any, dict[str, Any]]] = {
    "sigmoid": (act.sigmoid, sp.expit, {}),
    "hard_sigmoid": (act.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1), {}),
    "hard_sigmoid/pytorch": (lambda x: act.hard_sigmoid(x, 1 / 6), lambda x: np.minimum(np.maximum(x + 3, 0), 6) / 6,
                             {}),
    "softplus": (act.softplus, lambda x: np.where(x > 30, x, np.log1p(np.exp(np.minimum(x, 30)))), {}),
    "softsign": (act.softsign, lambda x: x / (1 + np.abs(x)), {}),
    "relu": (act.relu, lambda x: np.maximum(x, 0), {}),
    "relu/alpha": (lambda x: act.relu(x, 0.3), lambda x: np.where(x > 0, x, 0.3 * x), {}),
    "leaky_relu": (act.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x), {}),
    "elu": (act.elu, lambda x: np.where(x > 0, x, np.expm1(x)), {}),
    "elu/alpha": (lambda x: act.elu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)), {}),
    "selu": (act.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)), {}),
    "gelu": (act.gelu, _gelu, {}),
    "gelu/tanh": (lambda x: act.gelu(x, "tanh"), lambda x: _gelu(x, "tanh"), {}),
    "silu": (act.silu, lambda x: x * sp.expit(x), {}),
}

#: where the function has a kink (the numerical derivative is wrong within a step of it)
KINKED = {"relu", "relu/alpha", "leaky_relu", "hard_sigmoid", "hard_sigmoid/pytorch", "elu/alpha"}


def _activation_case(name: str) -> Case:
    build, reference, _ = ACTIVATIONS[name]
    samples = elementwise(1, dtypes=FLOATS, primary=("float64", "float32"), domain=(-6.0, 6.0))
    return Case(name=f"activation/{name}", function=name.split("/")[0], build=build, oracle=_in_dtype(reference),
                samples=samples, tolerances=LOOSE_HALF,
                differentiable=name not in KINKED,
                why_not_differentiable="a kink: checked away from it by the tests" if name in KINKED else "")


# -----------------------------------------------------------------------------------------------------------
# softmax and losses


def _softmax_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(rng.normal(size=(3, 5)), axis=-1, label="rows"),
            sample(rng.normal(size=(3, 5)), axis=0, label="columns"),
            sample(rng.normal(size=(2, 3, 4)) * 3, axis=1, label="3-d, middle axis"),
            sample(rng.normal(size=(2, 3, 4)).astype("float32"), static=["none"], axis=-1,
                   label="float32, run-time shape"),
            sample(np.array([[1000.0, 0.0, -1000.0], [-800.0, -801.0, -802.0]]), axis=1, tags=["edge"],
                   label="large logits"),
            sample(np.array([[0.0, -np.inf, 1.0]]), axis=1, tags=["edge"], label="minus infinity")]


def _labels_case(name: str, from_logits: bool) -> Case:
    def oracle(x: np.ndarray, labels: np.ndarray, axis: int = -1) -> np.ndarray:
        log_p = sp.log_softmax(x, axis=axis) if from_logits else np.log(x)
        picked = np.take_along_axis(log_p, np.expand_dims(labels, axis), axis=axis)
        return -np.squeeze(picked, axis=axis).astype(x.dtype)

    def samples(rng: np.random.Generator) -> list[Sample]:
        def preds(shape: Any, axis: int = -1) -> np.ndarray:
            x = rng.normal(size=shape)
            return x if from_logits else sp.softmax(x, axis=axis)

        return [sample(preds((6, 4)), rng.integers(0, 4, 6), label="int64 labels"),
                sample(preds((6, 4)).astype("float32"), rng.integers(0, 4, 6).astype("int32"),
                       static=["none", "none"], label="float32, int32 labels, run-time shapes"),
                sample(preds((3, 4, 2), axis=1), rng.integers(0, 4, (3, 2)), axis=1, label="class axis 1")]

    return Case(name=name, function="categorical_crossentropy", grad_wrt=(0,), oracle=oracle, samples=samples,
                build=lambda x, labels, axis=-1: categorical_crossentropy(x, labels, from_logits, axis))


def _one_hot_case(name: str, from_logits: bool) -> Case:
    def oracle(x: np.ndarray, t: np.ndarray, axis: int = -1) -> np.ndarray:
        log_p = sp.log_softmax(x, axis=axis) if from_logits else np.log(x)
        return -np.sum(t * log_p, axis=axis)

    def samples(rng: np.random.Generator) -> list[Sample]:
        x = rng.normal(size=(5, 3))
        preds = x if from_logits else sp.softmax(x, axis=1)
        soft = sp.softmax(rng.normal(size=(5, 3)), axis=1)
        one_hot = np.eye(3)[rng.integers(0, 3, 5)]
        return [sample(preds, one_hot, label="one-hot"), sample(preds, soft, label="soft targets"),
                sample(preds.T.copy(), soft.T.copy(), axis=0, label="class axis 0"),
                sample(preds.astype("float32"), soft.astype("float32"), static=["none", "none"],
                       label="float32, run-time shapes")]

    return Case(name=name, function="categorical_crossentropy", oracle=oracle, samples=samples,
                build=lambda x, t, axis=-1: categorical_crossentropy(x, t, from_logits, axis))


def _binary_samples(logits: bool) -> Any:
    def samples(rng: np.random.Generator) -> list[Sample]:
        x = rng.normal(size=(4, 3)) * 2
        preds = x if logits else sp.expit(x)
        t = rng.uniform(size=(4, 3))
        out = [sample(preds, t, label="soft targets"),
               sample(preds.astype("float32"), (t > 0.5).astype("float32"), static=["none", "none"],
                      label="float32 hard targets")]
        if logits:
            out.append(sample(np.array([-60.0, -20.0, 0.0, 20.0, 60.0]), np.array([1.0, 0.0, 0.5, 1.0, 0.0]),
                              label="large logits"))
        return out

    return samples


def _binary_oracle(logits: bool) -> Any:
    def oracle(p: np.ndarray, t: np.ndarray) -> np.ndarray:
        if logits:
            return -(t * sp.log_expit(p) + (1 - t) * sp.log_expit(-p))
        return -(t * np.log(p) + (1 - t) * np.log(1 - p))

    return oracle


def _mse_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), label="all axes"),
            sample(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), axis=1, label="axis 1"),
            sample(rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(3,)).astype("float32"),
                   static=["none", "none"], label="float32, broadcast targets")]


# -----------------------------------------------------------------------------------------------------------
# normalization, embedding, confusion matrix


def _batch_norm_train(x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any, axes: Any) -> list[Any]:
    out, updates = batch_norm_train(x, gamma, beta, axes, 1e-5, 0.1, running_mean, running_var)
    return [out, updates[running_mean], updates[running_var]]


def _batch_norm_train_oracle(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, running_mean: np.ndarray,
                             running_var: np.ndarray, axes: Any) -> list[np.ndarray]:
    axes = (0,) if axes == "per-activation" else (0, 2, 3) if axes == "spatial" else axes
    shape = [1 if a in axes else s for a, s in enumerate(x.shape)]
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    out = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 1e-5) * gamma.reshape(shape) + beta.reshape(shape)
    n = np.prod([x.shape[a] for a in axes])
    return [out, 0.9 * running_mean + 0.1 * mean.reshape(running_mean.shape),
            0.9 * running_var + 0.1 * (var * n / (n - 1)).reshape(running_var.shape)]


def _batch_norm_samples(rng: np.random.Generator) -> list[Sample]:
    def params(c: int, shape: Any = None) -> list[np.ndarray]:
        shape = shape or (c,)
        return [rng.uniform(0.5, 2, shape), rng.normal(size=shape), rng.normal(size=shape),
                rng.uniform(0.5, 2, shape)]

    return [sample(rng.normal(size=(6, 4)) * 3 + 1, *params(4), axes="per-activation", label="dense"),
            sample(rng.normal(size=(3, 2, 4, 5)), *params(2), axes="spatial", label="NCHW, spatial"),
            sample(rng.normal(size=(3, 2, 4, 5)), *params(2, (1, 2, 1, 1)), axes="spatial",
                   label="NCHW, broadcastable parameters"),
            sample(rng.normal(size=(5, 3, 2)), *params(2, (3, 2)), static=["none"] * 5, axes=(0,),
                   label="run-time shapes")]


def _batch_norm_inference_oracle(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray,
                                 var: np.ndarray, axes: Any) -> np.ndarray:
    shape = [1 if a in (0, 2, 3) else s for a, s in enumerate(x.shape)] if axes == "spatial" else (1, -1)
    def r(v: np.ndarray) -> np.ndarray:
        return v.reshape(shape)

    return (x - r(mean)) / np.sqrt(r(var) + 1e-5) * r(gamma) + r(beta)


def _layer_norm_oracle(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, axes: Any) -> np.ndarray:
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return ((x - mean) / np.sqrt(var + 1e-5) * gamma + beta).astype(x.dtype)


def _layer_norm_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(rng.normal(size=(4, 6)) * 2, rng.uniform(0.5, 2, 6), rng.normal(size=6), axes=-1,
                   label="last axis"),
            sample(rng.normal(size=(2, 3, 4)), rng.uniform(0.5, 2, (3, 4)), rng.normal(size=(3, 4)), axes=(1, 2),
                   label="two trailing axes"),
            sample(*(v.astype("float32") for v in (rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=5))),
                   static=["none"] * 3, axes=-1, label="float32, run-time shapes")]


def _embedding_samples(rng: np.random.Generator) -> list[Sample]:
    table = rng.normal(size=(7, 3))
    return [sample(rng.integers(0, 7, 5), table, label="vector of ids, repeats"),
            sample(rng.integers(0, 7, (2, 4)).astype("int32"), table.astype("float32"), static=["none", "none"],
                   label="matrix of int32 ids, run-time shapes"),
            sample(np.array([7]), table, tags=["error"], label="id out of range")]


def _confusion_oracle(actual: np.ndarray, predicted: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    labels = np.arange(num_classes) if num_classes else np.union1d(actual, predicted)
    out = np.zeros((len(labels), len(labels)), dtype="int64")
    for a, p in zip(actual, predicted, strict=True):
        out[np.searchsorted(labels, a), np.searchsorted(labels, p)] += 1
    return out


def _confusion_samples(rng: np.random.Generator) -> list[Sample]:
    return [sample(rng.integers(0, 4, 20), rng.integers(0, 4, 20), num_classes=4, label="4 classes"),
            sample(rng.integers(0, 3, 9).astype("int32"), rng.integers(0, 3, 9).astype("int32"), num_classes=5,
                   static=["none", "none"], label="absent classes, int32"),
            sample(np.array([0, 5]), np.array([0, 1]), num_classes=3, tags=["error"], label="label out of range")]


def _theano_confusion(actual: Any, predicted: Any) -> list[Any]:
    return ConfusionMatrix()(actual, predicted)


def _theano_confusion_oracle(actual: np.ndarray, predicted: np.ndarray) -> list[np.ndarray]:
    return [_confusion_oracle(actual, predicted), np.union1d(actual, predicted)]


def _confusion_pairs(rng: np.random.Generator) -> list[Sample]:
    return [sample(np.array([3, 7, 7, 9]), np.array([7, 7, 1, 9]), label="four labels"),
            sample(np.array([5, 1]), np.array([2, 2]), static=["none", "none"], label="run-time shapes"),
            sample(rng.integers(0, 3, 12), rng.integers(0, 3, 12), label="random")]


NOT_DIFFERENTIABLE = "integer inputs and outputs"

CASES: list[Case] = [
    *(_activation_case(name) for name in ACTIVATIONS),
    Case(name="softmax", function="softmax", build=softmax, oracle=sp.softmax, samples=_softmax_samples),
    Case(name="log_softmax", function="log_softmax", build=log_softmax, oracle=sp.log_softmax,
         samples=_softmax_samples),
    _labels_case("categorical_crossentropy/labels", False),
    _labels_case("categorical_crossentropy/logits-labels", True),
    _one_hot_case("categorical_crossentropy/one-hot", False),
    _one_hot_case("categorical_crossentropy/logits-one-hot", True),
    Case(name="binary_crossentropy", function="binary_crossentropy", build=binary_crossentropy,
         oracle=_binary_oracle(False), samples=_binary_samples(False)),
    Case(name="binary_crossentropy/logits", function="binary_crossentropy",
         build=lambda x, t: binary_crossentropy(x, t, from_logits=True), oracle=_binary_oracle(True),
         samples=_binary_samples(True)),
    Case(name="mse", function="mse", build=mse, samples=_mse_samples,
         oracle=lambda p, t, axis=None: np.mean((p - t) ** 2, axis=axis)),
    Case(name="batch_norm_train", function="batch_norm_train", build=_batch_norm_train,
         oracle=_batch_norm_train_oracle, samples=_batch_norm_samples, grad_wrt=(0, 1, 2)),
    Case(name="batch_norm_inference", function="batch_norm_inference",
         build=lambda x, gamma, beta, mean, var, axes: batch_norm_inference(x, gamma, beta, mean, var, axes=axes),
         oracle=_batch_norm_inference_oracle,
         samples=lambda rng: _batch_norm_samples(rng)[:2]),
    Case(name="layer_norm", function="layer_norm", build=lambda x, g, b, axes: layer_norm(x, g, b, axes),
         oracle=_layer_norm_oracle, samples=_layer_norm_samples),
    Case(name="embedding", function="embedding", build=embedding, oracle=lambda ids, table: table[ids],
         samples=_embedding_samples, grad_wrt=(1,)),
    Case(name="confusion_matrix", function="confusion_matrix", build=confusion_matrix, oracle=_confusion_oracle,
         samples=_confusion_samples, differentiable=False, why_not_differentiable=NOT_DIFFERENTIABLE),
    Case(name="confusion_matrix/labels-that-occur", function="confusion_matrix", build=_theano_confusion,
         oracle=_theano_confusion_oracle, samples=_confusion_pairs, differentiable=False,
         why_not_differentiable=NOT_DIFFERENTIABLE, dynamic_shape=True),
]
