"""``confusion_matrix``: counts of (actual, predicted) label pairs, as an op (integer inputs, no gradient)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_core import Apply, Op, TensorType, TensorVariable, as_tensor
from arignote_core.dtypes import is_integer


@dataclass(frozen=True)
class ConfusionMatrix(Op):
    """``(actual, predicted) -> (matrix, labels)``: ``matrix[i, j]`` counts examples of class ``labels[i]``
    predicted as ``labels[j]``. With ``num_classes`` the labels are ``0 .. num_classes - 1``; without it, the
    sorted labels that occur in either input (Theano's ``confusion_matrix``)."""

    num_classes: int | None = None

    def make_node(self, actual: Any, predicted: Any) -> Apply:
        actual, predicted = as_tensor(actual), as_tensor(predicted)
        for v in (actual, predicted):
            if v.ndim != 1 or not is_integer(v.dtype):
                raise TypeError(f"confusion_matrix takes integer label vectors, got {v} of type {v.type}")
        k = self.num_classes
        return Apply(self, [actual, predicted], [TensorType("int64", (k, k)), TensorType("int64", (k,))])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        actual, predicted = (np.asarray(v, dtype="int64") for v in inputs)
        if actual.shape != predicted.shape:
            raise ValueError(f"confusion_matrix: {actual.shape[0]} actual labels but {predicted.shape[0]} predicted")
        if self.num_classes is None:
            labels = np.unique(np.concatenate([actual, predicted]))
            actual, predicted = np.searchsorted(labels, actual), np.searchsorted(labels, predicted)
        else:
            labels = np.arange(self.num_classes, dtype="int64")
            for v in (actual, predicted):
                if v.size and (v.min() < 0 or v.max() >= self.num_classes):
                    raise ValueError(f"confusion_matrix: labels must lie in [0, {self.num_classes}), got "
                                     f"{v.min()} .. {v.max()}")
        k = len(labels)
        counts = np.bincount(actual * k + predicted, minlength=k * k).reshape(k, k)
        return [counts.astype("int64"), labels.astype("int64")]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]] | None:
        k = self.num_classes
        return None if k is None else [(k, k), (k,)]


def confusion_matrix(actual: Any, predicted: Any, num_classes: int | None = None) -> TensorVariable:
    """Counts of (actual, predicted) pairs: rows are actual classes, columns predicted ones.

    With ``num_classes`` the classes are ``0 .. num_classes - 1``; without it, the sorted labels that occur
    (``ConfusionMatrix`` also returns them).
    """
    return ConfusionMatrix(num_classes)(actual, predicted)[0]
