"""``Join`` (concatenate) in C: NumPy's values for every axis, strided and empty inputs, several dtypes, NumPy's
error for shapes that differ off the axis, and NumPy's concatenate where the dtypes must be converted."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compare

import arignote_core as ac
from arignote_core import function, tensor


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "bool", "complex128"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_joins_like_numpy(dtype: str, axis: int, c_mode) -> None:
    rng = np.random.default_rng(axis)
    shapes = [(2, 3, 4), (2, 3, 4), (2, 3, 4)]
    values = []
    for k, shape in enumerate(shapes):
        shape = tuple(s + k if d == axis else s for d, s in enumerate(shape))
        values.append((rng.standard_normal(shape) * 3).astype(dtype))
    values[1] = np.asfortranarray(values[1])                     # another layout
    values[2] = np.repeat(values[2], 2, axis=2)[:, :, ::2]       # strided along the last axis
    xs = [tensor(dtype, (None, None, None), f"x{k}") for k in range(3)]
    f = compare(xs, [ac.concatenate(xs, axis=axis)], values, c_mode)
    assert "python" not in f.executable.report().split("\n")[0]


@pytest.mark.parametrize("shapes", [[(0, 3), (2, 3)], [(2, 0), (3, 0)], [(1, 5)], [(4, 1), (0, 1), (2, 1)]])
def test_empty_and_single_inputs(shapes: list[tuple[int, int]], c_mode) -> None:
    xs = [tensor("float64", (None, None), f"x{k}") for k in range(len(shapes))]
    values = [np.arange(np.prod(s), dtype="float64").reshape(s) for s in shapes]
    compare(xs, [ac.concatenate(xs, axis=0)], values, c_mode)


def test_shapes_that_differ_off_the_axis_are_refused_as_numpy_does(c_mode) -> None:
    a, b = tensor("float64", (None, None), "a"), tensor("float64", (None, None), "b")
    f = function([a, b], ac.concatenate([a, b], axis=0), mode=c_mode)
    with pytest.raises(ValueError, match="along dimension 1, the array at index 0 has size 2 and the array at "
                                         "index 1 has size 3"):
        f(np.zeros((1, 2)), np.zeros((1, 3)))


def test_a_promotion_runs_numpys_concatenate(c_mode) -> None:
    a, b = tensor("int32", (None,), "a"), tensor("float64", (None,), "b")
    f = compare([a, b], [ac.concatenate([a, b])], [np.arange(3, dtype="int32"), np.ones(2)], c_mode)
    assert "NumPy's concatenate does it" in f.executable.report()


def test_several_joins_in_one_function(c_mode) -> None:
    """Their C shares one module (the copy helper is defined once)."""
    a, b = tensor("float64", (None, None), "a"), tensor("float32", (None, None), "b")
    values = [np.ones((2, 3)), np.zeros((2, 3), dtype="float32")]
    compare([a, b], [ac.concatenate([a, a], axis=0), ac.concatenate([b, b, b], axis=1)], values, c_mode)


def test_more_inputs_than_a_step_takes_run_numpys_concatenate(c_mode) -> None:
    xs = [tensor("float64", (None,), f"x{k}") for k in range(40)]
    f = compare(xs, [ac.concatenate(xs)], [np.full(2, float(k)) for k in range(40)], c_mode)
    assert "too many operands for one kernel" in f.executable.report()
