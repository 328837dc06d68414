"""The float64 product kernel of the runtime (runtime/packed_gemm.c) against NumPy: its blocks' edges, operand
layouts, NaN, GEMM's alpha and beta, and the packing of a loop's non-sequence kept from step to step.

Products of at least 32 rows and 10**6 multiply-adds, b of at least 128 columns (or 32 with k at least 512), run
on it where the CPU has AVX-512 (the sizes below are chosen to be, or to be just outside); elsewhere the same
tests run through the BLAS."""

from __future__ import annotations

import platform

import numpy as np
import pytest
from conftest import compare

import arignote_core as ac
from arignote_c import CBackend
from arignote_core import dmatrix, function, tensor
from arignote_core.mode import Mode

#: (m, k, n): whole and partial 6 x 32 tiles, k beyond a block of 256, n beyond a block of 512, narrow b with a
#: long contraction, and sizes just outside the kernel's (the BLAS's: too few rows, too few multiply-adds, a
#: last panel mostly padding)
SHAPES = [(32, 256, 256), (64, 256, 256), (33, 65, 1000), (97, 513, 129), (32, 1000, 32), (200, 40, 131),
          (64, 100, 1100), (300, 257, 131), (35, 600, 96), (16, 300, 600), (64, 64, 64), (32, 512, 40)]


def _layout(value: np.ndarray, layout: str) -> np.ndarray:
    if layout == "fortran":
        return np.asfortranarray(value)
    if layout == "strided":
        wide = np.zeros((value.shape[0], 2 * value.shape[1]))
        wide[:, ::2] = value
        return wide[:, ::2]
    if layout == "negative":
        return value[::-1, ::-1].copy()[::-1, ::-1]
    if layout == "transposed":
        return value.T.copy().T
    return value


def _close(got: np.ndarray, want: np.ndarray) -> None:
    scale = float(np.abs(want).max(initial=1.0))
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13 * scale)


@pytest.mark.parametrize(("m", "k", "n"), SHAPES)
@pytest.mark.parametrize("layout", ["c", "fortran", "strided", "negative", "transposed"])
def test_products_match_numpy(m: int, k: int, n: int, layout: str, c_mode) -> None:
    rng = np.random.default_rng(m * k + n)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    x, y = dmatrix("a"), dmatrix("b")
    f = function([x, y], x @ y, mode=c_mode)
    _close(f(_layout(a, layout), _layout(b, "c" if layout == "transposed" else layout)), a @ b)
    _close(f(a, _layout(b, "transposed")), a @ b)


def test_nan_and_inf_reach_the_rows_and_columns_numpy_gives_them(c_mode) -> None:
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((70, 300)), rng.standard_normal((300, 200))
    a[5, 7], a[69, 299], b[11, 150], b[0, 199] = np.nan, np.inf, -np.inf, np.nan
    x, y = dmatrix("a"), dmatrix("b")
    got, want = function([x, y], x @ y, mode=c_mode)(a, b), a @ b
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    finite = np.isfinite(want)
    _close(got[finite], want[finite])


def test_gemm_scales_and_accumulates(fast_mode) -> None:
    """graph-opt's GEMM (alpha, beta, a bias broadcast) on the kernel, the reference evaluator as the oracle."""
    rng = np.random.default_rng(4)
    x, w, c = tensor("float64", (None, None), "x"), tensor("float64", (None, None), "w"), dmatrix("c")
    b = tensor("float64", (None,), "b")
    outputs = [ac.tanh(x @ w + b), (x @ w) * 2.5 - c, c + 0.5 * (x @ w), ac.dot(x, w) * -1.0, x.T @ x]
    # positive factors: sums without cancellation, so that the reference's rounding and ours agree to 1e-13
    f = compare([x, w, c, b], outputs, [rng.random((96, 300)), rng.random((300, 130)) / 100,
                                        rng.standard_normal((96, 130)), rng.standard_normal(130)], fast_mode)
    assert "Gemm" in {type(s.node.op).__name__ for s in f.executable.info.steps}


def _rnn(c_mode, step):
    """h_t = step(x_t, h_{t-1}, U) over the rows of x, h_T returned."""
    x, h0, u = tensor("float64", (None, None, None), "x"), dmatrix("h0"), dmatrix("U")
    hs, _ = ac.scan(step, sequences=x, outputs_info=h0, non_sequences=[u])
    return function([x, h0, u], hs[-1], mode=c_mode)


def test_a_loops_packed_operand_follows_changes_between_calls(c_mode) -> None:
    """U packed once per loop: changed in place between two calls (the same array, the same pointer), the
    second call reads the new values."""
    rng = np.random.default_rng(5)
    f = _rnn(c_mode, lambda x_t, h, u: ac.tanh(x_t + h @ u))
    x, h0, u = rng.standard_normal((6, 16, 256)), rng.standard_normal((16, 256)), rng.standard_normal((256, 256))

    def numpy_loop() -> np.ndarray:
        h = h0
        for x_t in x:
            h = np.tanh(x_t + h @ u)
        return h

    _close(f(x, h0, u), numpy_loop())
    u *= -0.5
    u[3] = 1.0
    _close(f(x, h0, u), numpy_loop())


def test_a_step_operand_that_changes_at_every_step_is_not_kept(c_mode) -> None:
    """B = U * s_t is computed into the same buffer at every step: the same pointer, other values."""
    rng = np.random.default_rng(6)
    x, s, h0, u = dmatrix("x"), tensor("float64", (None,), "s"), dmatrix("h0"), dmatrix("U")
    hs, _ = ac.scan(lambda x_t, s_t, h, u: ac.tanh(x_t + h @ (u * s_t)), sequences=[x, s], outputs_info=h0,
                    non_sequences=[u])
    f = function([x, s, h0, u], hs[-1], mode=c_mode)
    xv, sv = rng.standard_normal((5, 256)), np.array([0.5, -1.0, 2.0, 0.25, -0.75])
    h0v, uv = rng.standard_normal((16, 256)), rng.standard_normal((256, 256)) / 16
    h = h0v
    for x_t, s_t in zip(xv, sv, strict=True):
        h = np.tanh(x_t + h @ (uv * s_t))
    _close(f(xv, sv, h0v, uv), h)


def test_views_of_a_non_sequence_that_move_from_step_to_step(c_mode) -> None:
    """B = Ws[i_t]: a different view of the loop's invariant memory at each step; with its rows reversed, a copy
    of it (which the same memory may hold at every step)."""
    rng = np.random.default_rng(7)
    i, h0, ws = tensor("int64", (None,), "i"), dmatrix("h0"), tensor("float64", (None, None, None), "Ws")
    hs, _ = ac.scan(lambda i_t, h, ws: ac.tanh(h @ ws[i_t]), sequences=i, outputs_info=h0, non_sequences=[ws])
    f = function([i, h0, ws], hs, mode=c_mode)
    iv, h0v, wsv = np.array([2, 0, 0, 1, 2, 1]), rng.standard_normal((16, 256)), rng.standard_normal((3, 256, 256))

    def numpy_loop(iv: np.ndarray, wsv: np.ndarray) -> np.ndarray:
        h, hs = h0v, []
        for i_t in iv:
            h = np.tanh(h @ wsv[i_t])
            hs.append(h)
        return np.stack(hs)

    _close(f(iv, h0v, wsv), numpy_loop(iv, wsv))
    _close(f(iv[::-1].copy(), h0v, wsv[:, ::-1]), numpy_loop(iv[::-1], wsv[:, ::-1]))


def test_the_transposed_non_sequence_of_a_gradient_loop(fast_mode) -> None:
    """The backward loop of an RNN multiplies by U.T, a view of a non-sequence, at every step."""
    grad = pytest.importorskip("arignote_grad", reason="autograd-sym is not installed").grad
    rng = np.random.default_rng(8)
    x, h0, u = tensor("float64", (None, None, None), "x"), dmatrix("h0"), dmatrix("U")
    hs, _ = ac.scan(lambda x_t, h, u: ac.tanh(x_t + h @ u), sequences=x, outputs_info=h0, non_sequences=[u])
    compare([x, h0, u], grad(hs[-1].sum(), [u, h0]),
            [rng.standard_normal((4, 16, 256)), rng.standard_normal((16, 256)), rng.standard_normal((256, 256)) / 16],
            fast_mode)


TINY = np.finfo(np.float64).tiny


def _decaying(rows: int, cols: int, seed: int) -> np.ndarray:
    """Normal numbers with a tenth of them subnormal, of both signs, the smallest among them, beside rows decaying
    from 1 through the subnormal numbers to 0, as the gradients of a long loop's first steps decay: every panel
    of 32 columns and 256 rows mixes subnormal and normal numbers."""
    rng = np.random.default_rng(seed)
    d = rng.standard_normal((rows, cols))
    d[: rows // 4] *= np.logspace(-330, 0, rows // 4)[:, None]
    scattered = rng.random((rows, cols)) < 0.1
    d[scattered] = rng.choice([-1.0, 1.0], scattered.sum()) * rng.integers(1, 2**52, scattered.sum()) * 5e-324
    d[rows // 20, :3] = [5e-324, -5e-324, TINY - 5e-324]
    assert ((d != 0) & (np.abs(d) < TINY)).sum() > rows * cols // 20
    return d


def _near_product(got: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """got is a @ b to the rounding of its sums: a few units of k eps of the sum of |terms| (the results of
    sums that cancel are small beside their terms), and in the subnormal range a unit of the smallest."""
    with np.errstate(over="ignore"):
        bound = 4 * a.shape[1] * np.finfo(np.float64).eps * (np.abs(a) @ np.abs(b)) + a.shape[1] * 5e-324
    error = np.abs(got - a @ b)
    assert (error <= bound).all(), f"{(error > bound).sum()} entries off, at worst {np.max(error / bound)} bounds"


def _products(c_mode):
    x, d = dmatrix("x"), dmatrix("d")
    return function([x, d], [x.T @ d, x.T @ d * 0.5], mode=c_mode)


def test_subnormal_operands_give_numpys_products(c_mode) -> None:
    """A panel of b holding subnormals is scaled by 2^64 as it is packed, and its alpha by 2^-64: the results are
    NumPy's, to the rounding of partial sums below the smallest normal number."""
    rng = np.random.default_rng(9)
    x, d = rng.standard_normal((1000, 32)), _decaying(1000, 32, 9)
    product, half = _products(c_mode)(x, d)
    _near_product(product, x.T, d)
    _near_product(half, x.T, d * 0.5)
    tiny_only = np.where(np.abs(d) < TINY, d, 0.0)  # products entirely in the subnormal range
    got = _products(c_mode)(np.abs(x), tiny_only)[0]
    _near_product(got, np.abs(x).T, tiny_only)
    assert (got != 0).any()


def test_subnormal_operands_beside_large_ones_are_not_scaled_into_overflow(c_mode) -> None:
    """max|a| max|b| k at least 2^956: scaled sums could overflow; the panel stays as it is, and so does NumPy's
    result (finite, or NaN and inf where NumPy's are)."""
    rng = np.random.default_rng(10)
    x, d = rng.standard_normal((1000, 32)) * 1e270, _decaying(1000, 32, 10) * 1e10
    got = _products(c_mode)(x, d)[0]
    assert np.isfinite(got).all()
    _near_product(got, x.T, d)
    d[0, 0], d[999, 1] = np.nan, np.inf
    got, want = _products(c_mode)(x / 1e270, d / 1e10)[0], (x / 1e270).T @ (d / 1e10)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))


def test_subnormals_under_flush_denormals_read_as_zero(cache_dir) -> None:
    """DAZ reads subnormal operands as zero: nothing is scaled, the products are those of b without them."""
    if platform.machine().lower() not in {"x86_64", "amd64"}:
        pytest.skip("flush_denormals sets x86's MXCSR")
    mode = Mode(backend=CBackend(), options={"cache_dir": str(cache_dir), "threads": 1, "flush_denormals": True})
    rng = np.random.default_rng(11)
    x, d = rng.standard_normal((1000, 32)), _decaying(1000, 32, 11)
    flushed = np.where(np.abs(d) < TINY, 0.0, d)
    tiny_only = np.where(np.abs(d) < TINY, d, 0.0)
    _near_product(_products(mode)(x, d)[0], x.T, flushed)
    assert not _products(mode)(np.abs(x), tiny_only)[0].any()


def test_a_loops_packed_subnormal_operand_and_a_step_too_large_for_it(c_mode) -> None:
    """U with subnormal entries is packed, scaled, once for the loop; a step whose h is too large for the scaled
    panels (max|h| max|U| k at least 2^956) packs U for itself, unscaled: every step is NumPy's."""
    rng = np.random.default_rng(12)
    s, h0, u = tensor("float64", (None,), "s"), dmatrix("h0"), dmatrix("U")
    hs, _ = ac.scan(lambda s_t, h, u: (h @ u) * s_t, sequences=s, outputs_info=h0, non_sequences=[u])
    f = function([s, h0, u], hs, mode=c_mode)
    uv, h0v = _decaying(512, 512, 12) / 16, rng.standard_normal((32, 512))
    for scales in ([1.0, 0.5, 2.0], [1.0, 1e290, 1e-290, 1.0]):
        got = f(np.array(scales), h0v, uv)
        h = h0v
        for g, s_t in zip(got, scales, strict=True):  # each step against NumPy's product of the step before
            assert np.isfinite(g).all()
            _near_product(g / s_t, h, uv)
            h = g
