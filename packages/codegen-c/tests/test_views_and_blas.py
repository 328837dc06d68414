"""Views without copies (DimShuffle, basic indexing, reshape), Shape, and dot/matmul through SciPy's BLAS."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compare

import arignote_core as ac
from arignote_core import function, iscalar, tensor


def test_views_share_memory_with_their_input(c_mode) -> None:
    """The executable returns views (Function then copies outputs that alias its inputs)."""
    x = tensor("float64", (None, None, None), "x")
    outputs = [x.dimshuffle(2, "x", 0, 1), x[1:, ::-2, 3], x[:, None, 1], x.reshape((-1, 4)), x.T]
    f = function([x], outputs, mode=c_mode)
    value = np.arange(2 * 6 * 4, dtype="float64").reshape(2, 6, 4)
    results = f.executable([value])
    assert not any(np.shares_memory(r, value) for r in f(value))
    expected = [value.transpose(2, 0, 1)[:, None], value[1:, ::-2, 3], value[:, None, 1], value.reshape(-1, 4),
                value.transpose(2, 1, 0)]
    for got, want in zip(results, expected, strict=True):
        np.testing.assert_array_equal(got, want)
        assert np.shares_memory(got, value), "a view was copied"


def test_symbolic_indices_and_bounds(c_mode) -> None:
    x = tensor("float32", (None, None), "x")
    i, j = iscalar("i"), iscalar("j")
    f = function([x, i, j], [x[i], x[i:j, ::-1], x[-j:, i], x[::j]], mode=c_mode)
    value = np.arange(30, dtype="float32").reshape(5, 6)
    for got, want in zip(f(value, 1, 4), [value[1], value[1:4, ::-1], value[-4:, 1], value[::4]], strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(IndexError, match="index 7 is out of bounds for axis 0 with size 5"):
        f(value, 7, 2)
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        f(value, 1, 0)


def test_reshape_of_non_contiguous_data_copies(c_mode) -> None:
    x = tensor("float64", (None, None), "x")
    n = iscalar("n")
    compare([x, n], [x.reshape((n, -1)), x.T.reshape((-1,)), ac.shape(x), x[::2].reshape((2, -1))],
            [np.arange(24.0).reshape(4, 6), np.int32(3)], c_mode)
    f = function([x], x.reshape((5, -1)), mode=c_mode)
    with pytest.raises(ValueError, match="cannot reshape"):
        f(np.zeros((4, 6)))


PRODUCTS = [((7, 5), (5, 3)), ((7, 5), (5,)), ((5,), (5, 3)), ((5,), (5,)), ((1, 5), (5, 1)), ((0, 5), (5, 3)),
            ((4, 0), (0, 3)), ((300, 200), (200, 100))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("sa", "sb"), PRODUCTS)
def test_dot_shapes(dtype: str, sa, sb, c_mode) -> None:
    rng = np.random.default_rng(0)
    a, b = tensor(dtype, (None,) * len(sa), "a"), tensor(dtype, (None,) * len(sb), "b")
    compare([a, b], [ac.dot(a, b), ac.matmul(a, b)],
            [rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)], c_mode)


@pytest.mark.parametrize("layout", ["transposed", "strided", "negative", "fortran"])
def test_dot_layouts(layout: str, c_mode) -> None:
    rng = np.random.default_rng(1)
    a, b = tensor("float64", (None, None), "a"), tensor("float64", (None, None), "b")
    A, B = rng.standard_normal((40, 30)), rng.standard_normal((30, 20))
    change = {"transposed": lambda m: m.T.copy().T, "strided": lambda m: np.repeat(m, 2, axis=1)[:, ::2],
              "negative": lambda m: m[::-1].copy()[::-1], "fortran": np.asfortranarray}[layout]
    compare([a, b], [ac.dot(a, b), ac.dot(b.T, a.T)], [change(A), change(B)], c_mode)


def test_batched_matmul(c_mode) -> None:
    rng = np.random.default_rng(2)
    a, b = tensor("float32", (None, None, None, None), "a"), tensor("float32", (None, None, None), "b")
    v = tensor("float32", (None,), "v")
    compare([a, b, v], [ac.matmul(a, b), ac.matmul(a, v), ac.matmul(v, b)],
            [rng.standard_normal((2, 3, 4, 5)).astype("float32"), rng.standard_normal((1, 5, 6)).astype("float32"),
             rng.standard_normal(5).astype("float32")], c_mode)


@pytest.mark.parametrize("layout", ["c-order", "rows-strided", "batch-swapped", "one-entry-batch", "b-batched",
                                    "single-rows-columns-strided"])
def test_a_stack_of_matrices_times_one_matrix(layout: str, c_mode) -> None:
    """a[i] @ b over a stack: one product of the stacked rows where a's batch axes continue its rows (C order,
    rows strided) and the stacked rows are a matrix BLAS reads, a product per entry otherwise (axes swapped, b
    batched, one-row matrices with strided columns: fuzz case 31337:3427, whose stacked rows had no unit stride
    and reached BLAS as an illegal layout), NumPy's values either way."""
    rng = np.random.default_rng(3)
    a, b = tensor("float64", (None, None, None, None), "a"), tensor("float64", (None, None, None), "b")
    A = rng.standard_normal((3, 4, 10, 6))
    A = {"c-order": A, "rows-strided": A[:, :, ::2], "batch-swapped": A.transpose(1, 0, 2, 3),
         "one-entry-batch": A[:1, 2:3], "b-batched": A,
         "single-rows-columns-strided": rng.standard_normal((3, 4, 1, 12))[..., ::2]}[layout]
    B = rng.standard_normal((4 if layout == "b-batched" else 1, 6, 7))
    compare([a, b], [ac.matmul(a, b)], [A, B], c_mode)


def test_integer_dot_falls_back_and_is_reported(c_mode) -> None:
    a, b = tensor("int64", (None, None), "a"), tensor("int64", (None,), "b")
    f = compare([a, b], [ac.dot(a, b)], [np.arange(6).reshape(2, 3), np.arange(3)], c_mode)
    report = f.executable.report()
    assert "1 python" in report and "BLAS products are for float32/float64" in report


def test_a_chain_of_unknown_sizes_runs_in_the_cheapest_order(fast_mode) -> None:
    """dot(dot(A, B), c) of plain matrices: the order is chosen per call, so a wide A and a vector c cost two
    matrix-vector products, not a matrix product."""
    a, b = tensor("float64", (None, None), "a"), tensor("float64", (None, None), "b")
    c = tensor("float64", (None,), "c")
    f = function([a, b, c], ac.dot(ac.dot(a, b), c), mode=fast_mode)
    assert [s.node.op.__class__.__name__ for s in f.executable.info.steps] == ["MatrixChain"]
    rng = np.random.default_rng(8)
    for n, k in [(300, 300), (2, 50), (40, 1)]:
        av, bv, cv = rng.standard_normal((n, k)), rng.standard_normal((k, n)), rng.standard_normal(n)
        np.testing.assert_allclose(f(av, bv, cv), av @ (bv @ cv), rtol=1e-10)
