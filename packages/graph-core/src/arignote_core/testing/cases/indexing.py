"""Conformance cases of indexing: basic (ints, slices with any step, None, Ellipsis), symbolic bounds, integer
arrays broadcasting together, boolean masks, and mixtures, with NumPy's result shapes and errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..case import Case, Sample, sample
from ..generators import random_array, reversed_view


@dataclass(frozen=True)
class In:
    """Stands, inside an index, for input ``position`` of the sample (an index array or a symbolic bound)."""

    position: int


def substitute(index: Any, inputs: tuple[Any, ...]) -> Any:
    """``index`` with each ``In(k)`` replaced by ``inputs[k]`` (inside tuples and slices too)."""
    if isinstance(index, In):
        return inputs[index.position]
    if isinstance(index, tuple):
        return tuple(substitute(i, inputs) for i in index)
    if isinstance(index, slice):
        return slice(*(substitute(p, inputs) for p in (index.start, index.stop, index.step)))
    return index


def _getitem(x: Any, *others: Any, index: Any) -> Any:
    return x[substitute(index, (x, *others))]


NON_DIFF_INDEX = "index inputs are integers"
S = slice
# (label, index, extra inputs given as arrays (index arrays, symbolic bounds), expected-error tags)
BASIC: list[tuple[str, Any]] = [
    ("int", 1), ("negative int", -1), ("slice", S(1, 4)), ("reversed", S(None, None, -1)),
    ("negative step 2", S(None, None, -2)), ("backwards slice", S(4, 1, -1)), ("newaxis", None),
    ("ellipsis then int", (Ellipsis, 1)), ("int, ellipsis, newaxis", (1, Ellipsis, None)),
    ("newaxis between", (S(None), None, S(2, 5, 2))), ("clamped bounds", S(-100, 100)), ("empty slice", S(1, 1)),
    ("ellipsis, step -3", (Ellipsis, S(None, None, -3))), ("all ints", (1, 2, 3)),
    ("ints and slices", (0, S(1, None), -2)),
    ("only ellipsis", Ellipsis), ("reversed middle", (S(None), S(None, None, -1))),
    ("step past end", S(3, None, 5)),
]
ADVANCED: list[tuple[str, Any, tuple[np.ndarray, ...]]] = [
    ("int list", In(1), (np.array([0, 2, 4]),)),
    ("2-d int array", In(1), (np.array([[0, 1, 2], [4, 3, -1]]),)),
    ("array on axis 1", (S(None), In(1)), (np.array([5, 0, -6]),)),
    ("two arrays broadcasting", (In(1), In(2)), (np.array([[0], [3]]), np.array([1, 2, 5]))),
    ("arrays split by a slice", (In(1), S(None), In(2)), (np.array([0, 4]), np.array([6, 0]))),
    ("int then array", (1, In(1)), (np.array([0, 5, 5]),)),
    ("array, newaxis, array", (In(1), None, In(2)), (np.array([1, 2]), np.array([3, 4]))),
    ("ellipsis then array", (Ellipsis, In(1)), (np.array([[6, 0]]),)),
    ("newaxis then array", (None, In(1)), (np.array([2, 2]),)),
    ("empty int array", In(1), (np.zeros(0, "int64"),)),
    ("int8 and uint16 arrays", (In(1), S(None), In(2)), (np.array([1, -1], "int8"), np.array([0, 6], "uint16"))),
    ("three arrays", (In(1), In(2), In(3)), (np.array([0, 1]), np.array([[1], [2]]), np.array([6]))),
]
BOOLEAN: list[tuple[str, Any, tuple[np.ndarray, ...]]] = [
    ("boolean mask over 2 axes", In(1), (np.arange(30).reshape(5, 6) % 3 == 0,)),
    ("boolean mask on axis 0", In(1), (np.array([True, False, True, True, False]),)),
    ("boolean mask on axis 1", (S(None, None, -1), In(1)), (np.arange(6) % 2 == 1,)),
    ("boolean mask and int array", (In(1), In(2)), (np.array([True, False, False, True, True]),
                                                     np.array([0, 1, 5]))),
    ("all-false mask", In(1), (np.zeros(5, bool),)), ("mask over all axes", In(1), (np.ones((5, 6, 7), bool),)),
    ("true scalar", In(1), (np.array(True),)), ("false scalar", (In(1), 0), (np.array(False),)),
    ("python bool", True, ()), ("mask of the wrong length", In(1), (np.array([True, False]),)),
    ("mask, newaxis, int", (None, In(1), 2), (np.arange(5) > 2,)),
]
SYMBOLIC: list[tuple[str, Any, tuple[np.ndarray, ...]]] = [
    ("symbolic int", In(1), (np.array(3),)), ("symbolic negative int", In(1), (np.array(-2),)),
    ("symbolic slice", S(In(1), In(2)), (np.array(1), np.array(-1))),
    ("symbolic negative step", (S(None), S(None, None, In(1))), (np.array(-2),)),
    ("symbolic start, negative step", S(In(1), None, -1), (np.array(3),)),
    ("symbolic everything", (S(In(1), In(2), In(3)), 1), (np.array(4), np.array(0), np.array(-2))),
    ("symbolic stop beyond", S(None, In(1)), (np.array(99),)),
    ("symbolic int and array", (In(1), In(2)), (np.array(2), np.array([0, 6]))),
    ("int32 bound", S(In(1), None), (np.array(2, "int32"),)),
]
ERRORS: list[tuple[str, Any, tuple[np.ndarray, ...], list[str]]] = [
    ("int out of range", 5, (), ["build-error"]), ("negative int out of range", (0, -7), (), ["build-error"]),
    ("too many indices", (0, 0, 0, 0), (), ["build-error"]), ("two ellipses", (Ellipsis, Ellipsis), (), []),
    ("float index", 1.5, (), ["build-error"]), ("zero step", S(None, None, 0), (), ["build-error"]),
    ("symbolic int out of range", In(1), (np.array(5),), ["error"]),
    ("array index out of range", In(1), (np.array([0, 5]),), ["error"]),
    ("arrays that do not broadcast", (In(1), In(2)), (np.array([0, 1]), np.array([0, 1, 2])), ["error"]),
    ("float index array", In(1), (np.array([0.0, 1.0]),), ["build-error"]),
]


def _variants(x: np.ndarray, table: list[tuple[str, Any, tuple[np.ndarray, ...]]]) -> list[Sample]:
    out = []
    for label, index, extra in table:
        out.append(sample(x, *extra, index=index, label=label))
        out.append(sample(x, *extra, static=["none"] * (1 + len(extra)), index=index,
                          label=f"{label}, run-time shapes"))
    return out


def _boolean_samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (5, 6, 7))
    out = _variants(x, BOOLEAN)
    for dtype in ("int8", "complex64", "bool"):
        out.append(sample(random_array(rng, dtype, (5, 6)), np.arange(30).reshape(5, 6) % 4 == 1, index=In(1),
                          label=f"{dtype} mask"))
    out.append(sample(reversed_view(x)[:, ::2], np.arange(3) < 2, index=(Ellipsis, 0, In(1)), tags=["view"],
                      label="view"))
    return out


def _samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (5, 6, 7))
    out = []
    for label, index in BASIC:
        out.append(sample(x, index=index, label=label))
        out.append(sample(x, static=["none"], index=index, label=f"{label}, run-time shape"))
    out += _variants(x, ADVANCED + SYMBOLIC)
    for label, index, extra, tags in ERRORS:
        out.append(sample(x, *extra, index=index, tags=["error", *tags], label=label))
    for dtype in ("float32", "int8", "bool", "complex64", "uint64", "float16"):
        y = random_array(rng, dtype, (5, 6, 7))
        out.append(sample(y, index=(S(None, None, -1), 2), label=f"{dtype} basic"))
        out.append(sample(y, np.array([[1, 0]]), index=(Ellipsis, In(1)), label=f"{dtype} advanced"))
    z = reversed_view(random_array(rng, "float64", (5, 6, 7)))
    out.append(sample(z, index=(S(None, None, 2), 1), tags=["view"], label="reversed view, basic"))
    out.append(sample(z.transpose(1, 0, 2), np.array([1, 3]), index=(S(None), In(1)), tags=["view"],
                      label="transposed view, advanced"))
    empty = np.zeros((0, 3))
    out.append(sample(empty, index=(S(None), 1), tags=["empty"], label="empty array, int on axis 1"))
    out.append(sample(empty, np.zeros(0, "int64"), index=In(1), tags=["empty"], label="empty array, empty index"))
    out.append(sample(np.array(3.5), index=(), label="0-d, empty tuple"))
    out.append(sample(np.array(3.5), index=None, label="0-d, newaxis"))
    out.append(sample(np.array(3.5), index=Ellipsis, label="0-d, ellipsis"))
    return out


def _oracle(x: np.ndarray, *others: np.ndarray, index: Any) -> np.ndarray:
    return x[substitute(index, (x, *others))]


CASES: list[Case] = [
    Case(name="getitem", function="getitem", build=_getitem, oracle=_oracle, samples=_samples, grad_wrt=(0,)),
    Case(name="getitem/boolean", function="getitem", build=_getitem, oracle=_oracle, samples=_boolean_samples,
         grad_wrt=(0,), dynamic_shape=True),
]


def _update_samples(rng: np.random.Generator) -> list[Sample]:
    x = random_array(rng, "float64", (5, 6))
    out = [sample(x, np.float64(7.0), index=(1, S(None, None, 2)), label="basic, scalar value"),
           sample(x, rng.normal(size=6), index=S(1, 3), label="rows, broadcast value"),
           sample(x, rng.normal(size=(3, 6)), np.array([4, 0, 4]), index=In(2), label="repeated rows"),
           sample(x, rng.normal(size=2), np.array([0, 2]), np.array([5, 1]), index=(In(2), In(3)),
                  label="two index arrays"),
           sample(x, np.float64(-1.0), x > 0, index=In(2), label="boolean mask"),
           sample(x, rng.normal(size=(5, 6)), index=(S(None, None, -1), S(None)), label="reversed rows"),
           sample(x.astype("int32"), np.int32(3), np.array([1, 1, 1]), index=(S(None), In(2)),
                  label="int32, repeated columns"),
           sample(x, np.float64(0.0), static=["none", "full"], index=(Ellipsis, -1), label="run-time shape"),
           sample(x, np.ones(4), index=S(1, 3), tags=["error", "build-error"], label="value does not fit")]
    v = rng.normal(size=8)
    for dtype in ("int64", "int32"):  # NumPy 2.4's add.at misreads these values without a broadcast first
        out.append(sample(v, rng.normal(size=3), np.array([[0, 7, 7], [2, 0, 5]], dtype), index=In(2),
                          tags=["broadcast"], label=f"1-d x, 2-d {dtype} index, value broadcast along rows"))
    out.append(sample(v, rng.normal(size=2), rng.integers(0, 8, (2, 3, 2)), index=In(2), tags=["broadcast"],
                      label="1-d x, 3-d index, 1-d value"))
    out.append(sample(x, rng.normal(size=6), rng.integers(0, 5, (2, 3)), index=In(2), tags=["broadcast"],
                      label="2-d x, 2-d index, value broadcast along the index's axes"))
    return out


def _update(kind: str) -> tuple[Any, Any]:
    def build(x: Any, value: Any, *others: Any, index: Any) -> Any:
        target = x[substitute(index, (x, value, *others))]
        return target.set(value) if kind == "set" else target.inc(value)

    def oracle(x: np.ndarray, value: np.ndarray, *others: np.ndarray, index: Any) -> np.ndarray:
        out = x.copy()
        idx = substitute(index, (x, value, *others))
        if kind == "set":
            out[idx] = value
        else:  # broadcast first: NumPy 2.4's add.at misreads a 1-d value for a 1-d out and a 2-d index array
            np.add.at(out, idx, np.broadcast_to(value, out[idx].shape))
        return out

    return build, oracle


CASES += [
    Case(name=f"getitem.{kind}", function="getitem", build=_update(kind)[0], oracle=_update(kind)[1],
         samples=_update_samples, grad_wrt=(0, 1), dynamic_shape=False)
    for kind in ("set", "inc")
]
