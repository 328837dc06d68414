"""1-d and 3-d pooling, global pooling and unpooling: values against the direct NumPy references (and PyTorch
where installed), where the max gradient goes, gradients numerically, shapes, errors, and the C backend.
(The conformance cases of ``arignote_nn.testing.pool_cases`` check every mode on more layouts.)"""

import itertools

import numpy as np
import pytest

import arignote_core as ac
import arignote_nn as nn
from arignote_core.mode import get_mode
from arignote_core.tensors.shape_inference import infer_shape
from arignote_grad import grad, verify_grad
from arignote_nn.testing import references as ref

MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]
#: (input shape, ws, stride, pad, ignore_border) of pool_3d
LAYOUTS_3D = [
    pytest.param((2, 3, 4, 5, 6), 2, None, 0, True, id="2x2x2"),
    pytest.param((1, 2, 5, 7, 6), (3, 2, 3), (2, 2, 1), (1, 1, 0), True, id="overlap-padded"),
    pytest.param((2, 5, 6, 7), (2, 3, 2), (3, 2, 2), (1, 0, 1), False, id="border-kept"),
    pytest.param((3, 4, 4), (3, 3, 3), 2, 1, False, id="3-d-input"),
]
#: (input shape, ws, stride, pad, ignore_border) of pool_1d
LAYOUTS_1D = [
    pytest.param((2, 3, 9), 2, None, 0, True, id="2"),
    pytest.param((4, 10), 3, 2, 1, False, id="padded-border-kept"),
    pytest.param((11,), 4, 3, 0, False, id="1-d-input"),
]


def _max_grad_nd(x, gy, ws, stride, pad, ignore_border):
    """Each window's gradient to its first maximum in row-major order over the pooled axes (loops)."""
    n = len(ws)
    size = x.shape[-n:]
    out = gy.shape[-n:]
    gx = np.zeros(x.shape)
    flat_x, flat_gy, flat_gx = x.reshape(-1, *size), gy.reshape(-1, *out), gx.reshape(-1, *size)
    for index in itertools.product(*(range(o) for o in out)):
        lo = [max(index[a] * stride[a] - pad[a], 0) for a in range(n)]
        hi = [min(index[a] * stride[a] - pad[a] + ws[a], size[a]) for a in range(n)]
        region = tuple(slice(lo[a], hi[a]) for a in range(n))
        for k in range(flat_x.shape[0]):
            window = flat_x[k][region]
            at = np.unravel_index(np.argmax(window), window.shape)
            flat_gx[k][tuple(lo[a] + at[a] for a in range(n))] += flat_gy[k][index]
    return gx


def _pooled(pool, value, *args):
    """``pool(x, *args)`` of ``value``, compiled with a run-time shape."""
    x = ac.tensor("float64", (None,) * value.ndim, "x")
    return ac.function([x], pool(x, *args))(value)


def _triple(value):
    return tuple(value) if np.ndim(value) else (int(value),) * 3


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("shape", "ws", "stride", "pad", "ignore_border"), LAYOUTS_3D)
def test_pool_3d_matches_the_reference(shape, ws, stride, pad, ignore_border, mode):
    rng = np.random.default_rng(0)
    value = rng.normal(size=shape)
    got = _pooled(nn.pool_3d, value, ws, ignore_border, stride, pad, mode)
    np.testing.assert_allclose(got, ref.pool3d(value, ws, ignore_border, stride, pad, mode), rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("shape", "ws", "stride", "pad", "ignore_border"), LAYOUTS_1D)
def test_pool_1d_matches_the_reference_and_pool_2d(shape, ws, stride, pad, ignore_border, mode):
    rng = np.random.default_rng(1)
    value = rng.normal(size=shape)
    got = _pooled(nn.pool_1d, value, ws, ignore_border, stride, pad, mode)
    np.testing.assert_allclose(got, ref.pool1d(value, ws, ignore_border, stride, pad, mode), rtol=1e-12)
    as_plane = ref.pool2d(value[..., None, :], (1, ws), (1, ws if stride is None else stride), (0, pad),
                          ignore_border, mode)
    np.testing.assert_allclose(got, as_plane[..., 0, :], rtol=1e-12)


@pytest.mark.parametrize(("shape", "ws", "stride", "pad", "ignore_border"), LAYOUTS_3D)
def test_pool_3d_max_gradient_goes_to_the_first_maximum(shape, ws, stride, pad, ignore_border):
    """Ties everywhere (small integers), NaN and windows of -inf: the gradient goes to each window's first
    maximum in (depth, row, column) order, NaN the largest, as the 2-d pool does."""
    rng = np.random.default_rng(2)
    value = rng.integers(0, 3, size=shape).astype("float64")
    value.reshape(-1)[[3, 17]] = np.nan
    value.reshape(-1)[:8] = -np.inf
    x = ac.tensor("float64", (None,) * len(shape), "x")
    y = nn.pool_3d(x, ws, ignore_border, stride, pad)
    gy_value = rng.normal(size=ac.function([x], y)(value).shape)
    gx = ac.function([x], grad(ac.sum(y * ac.constant(gy_value)), x))(value)
    stride = ws if stride is None else stride
    want = _max_grad_nd(value, gy_value, _triple(ws), _triple(stride), _triple(pad), ignore_border)
    np.testing.assert_allclose(gx, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_pool_3d_and_1d_gradients_numerically(mode):
    rng = np.random.default_rng(3)
    verify_grad(lambda x: nn.pool_3d(x, (2, 2, 3), False, (1, 2, 2), (1, 0, 1), mode), [rng.normal(size=(1, 3, 4, 5))],
                rng=0)
    verify_grad(lambda x: nn.pool_1d(x, 3, True, 2, 1, mode), [rng.normal(size=(2, 9))], rng=0)


def test_pool_3d_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    value = rng.normal(size=(2, 3, 6, 7, 5))
    x = ac.tensor("float64", (None,) * 5, "x")
    outputs = [nn.pool_3d(x, 3, True, 2, 1, "max"), nn.pool_3d(x, 2, False, 2, 0, "average_inc_pad"),
               nn.pool_3d(x, 3, True, 2, 1, "average_exc_pad")]
    got = ac.function([x], outputs)(value)
    t = torch.tensor(value)
    want = [torch.nn.functional.max_pool3d(t, 3, 2, 1),
            torch.nn.functional.avg_pool3d(t, 2, 2, 0, ceil_mode=True),
            torch.nn.functional.avg_pool3d(t, 3, 2, 1, count_include_pad=False)]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-12)


def test_static_shapes_and_symbolic_shapes():
    assert nn.pool_3d(ac.tensor("float64", (8, 3, 9, 10, 11)), 2, True).type.shape == (8, 3, 4, 5, 5)
    assert nn.pool_3d(ac.tensor("float64", (8, 3, 9, 10, 11)), 2, False).type.shape == (8, 3, 5, 5, 6)
    assert nn.pool_1d(ac.tensor("float32", (4, 10)), 3, False, 2, 1).type.shape == (4, 6)
    assert nn.global_pool(ac.tensor("float64", (4, 3, 5, 5))).type.shape == (4, 3)
    assert nn.unpool_2d(ac.tensor("float64", (4, 3, 5, 6)), (2, 3)).type.shape == (4, 3, 10, 18)
    x = ac.tensor("float64", (None,) * 5, "x")
    out = nn.pool_3d(x, 3, False, 2, 1, "average_exc_pad")
    dims = ac.function([x], [ac.as_tensor(d) for d in infer_shape(out)])
    for shape in ((1, 1, 5, 6, 7), (2, 1, 3, 4, 9)):
        value = np.zeros(shape)
        assert tuple(int(d) for d in dims(value)) == ac.function([x], out)(value).shape


def test_global_pooling():
    rng = np.random.default_rng(5)
    value = rng.normal(size=(2, 3, 4, 5))
    x = ac.dtensor4("x")
    got = ac.function([x], [nn.global_max_pool(x), nn.global_average_pool(x), nn.global_pool(x, "max", 3)])(value)
    np.testing.assert_allclose(got[0], value.max(axis=(2, 3)))
    np.testing.assert_allclose(got[1], value.mean(axis=(2, 3)))
    np.testing.assert_allclose(got[2], value.max(axis=(1, 2, 3)))
    verify_grad(lambda v: nn.global_average_pool(v), [value], rng=0)
    verify_grad(lambda v: nn.global_max_pool(v), [value], rng=0)


def test_unpool_2d_repeats_and_its_gradient_sums_windows():
    x = ac.dmatrix("x")
    up = nn.unpool_2d(x, (2, 3))
    assert ac.function([x], up)(np.array([[1.0, 2.0]])).tolist() == [[1.0] * 3 + [2.0] * 3] * 2
    g = ac.function([x], grad(ac.sum(up * ac.constant(np.arange(12.0).reshape(2, 6))), x))(np.zeros((1, 2)))
    assert g.tolist() == [[0 + 1 + 2 + 6 + 7 + 8, 3 + 4 + 5 + 9 + 10 + 11]]
    verify_grad(lambda v: nn.unpool_2d(v, 2), [np.random.default_rng(6).normal(size=(2, 2, 3))], rng=0)


def test_max_unpool_2d_puts_values_at_the_maxima():
    rng = np.random.default_rng(7)
    value = rng.normal(size=(2, 3, 6, 5))
    x = ac.dtensor4("x")
    pooled = nn.max_pool2d(x, 2, ignore_border=False)
    restored = nn.max_unpool_2d(pooled, x, 2)
    got_pooled, got = ac.function([x], [pooled, restored])(value)
    kept = got != 0
    assert kept.sum() == got_pooled.size
    np.testing.assert_array_equal(got[kept], value[kept])  # each maximum stays where it was
    np.testing.assert_array_equal(got, ref.max_unpool_2d(got_pooled, value, 2))
    p = ac.dtensor4("p")
    verify_grad(lambda v: nn.max_unpool_2d(v, ac.constant(value), 3, 2, 1, True), [rng.normal(size=(2, 3, 3, 3))],
                rng=0)
    g_x = grad(ac.sum(nn.max_unpool_2d(p, x, 2) ** 2), x)  # constant in the input locating the maxima
    g_value = ac.function([x, p], g_x, on_unused_input="ignore")(value, rng.normal(size=(2, 3, 3, 3)))
    assert g_value.shape == value.shape and not g_value.any()


def test_max_unpool_2d_matches_pytorch():
    torch = pytest.importorskip("torch")
    value = np.random.default_rng(8).normal(size=(2, 3, 6, 8))
    t = torch.tensor(value)
    pooled, indices = torch.nn.functional.max_pool2d(t, 2, return_indices=True)
    want = torch.nn.functional.max_unpool2d(pooled, indices, 2, output_size=t.shape[-2:])
    x = ac.dtensor4("x")
    got = ac.function([x], nn.max_unpool_2d(nn.max_pool2d(x, 2), x, 2))(value)
    np.testing.assert_array_equal(got, want.numpy())


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: nn.pool_3d(ac.itensor3(), 2), TypeError, "floating-point"),
    (lambda: nn.pool_3d(ac.dmatrix(), 2), TypeError, "at least 3"),
    (lambda: nn.pool_3d(ac.dtensor3(), (2, 2)), ValueError, "3 ints"),
    (lambda: nn.pool_3d(ac.dtensor3(), 2, pad=(2, 0, 0)), ValueError, "smaller than the window"),
    (lambda: nn.pool_3d(ac.dtensor3(), 2, pad=(0, 2, 0)), ValueError, "smaller than the window"),
    (lambda: nn.pool_3d(ac.dtensor3(), 2, mode="median"), ValueError, "mode"),
    (lambda: nn.pool_3d(ac.tensor("float64", (1, 4, 4)), 2, True), ValueError, "does not fit"),
    (lambda: nn.pool_1d(ac.ivector(), 2), TypeError, "floating-point"),
    (lambda: nn.pool_1d(ac.dvector(), 0), ValueError, "ints >= 1"),
    (lambda: nn.global_pool(ac.dmatrix(), "min"), ValueError, "max, average"),
    (lambda: nn.global_pool(ac.dmatrix(), ndim=3), ValueError, "ndim=3"),
    (lambda: nn.unpool_2d(ac.dvector(), 2), TypeError, "at least 2"),
    (lambda: nn.unpool_2d(ac.dmatrix(), 0), ValueError, "window"),
    (lambda: nn.max_unpool_2d(ac.tensor("float64", (2, 2)), ac.tensor("float64", (6, 6)), 2), ValueError,
     "do not have the shape"),
    (lambda: nn.max_unpool_2d(ac.dtensor3(), ac.dmatrix(), 2), ValueError, "do not have the shape"),
])
def test_bad_arguments_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_pool_3d_runs_the_pool_kernels_on_c(tmp_path):
    """On the C backend pool_3d, pool_1d and max_unpool_2d run the pooling kernels (float32 and float64), with the
    reference evaluator's numbers, gradients included."""
    pytest.importorskip("arignote_c", reason="codegen-c is not installed")
    mode = get_mode("c").with_options(cache_dir=str(tmp_path), threads=1)
    rng = np.random.default_rng(9)
    for dtype in ("float32", "float64"):
        x = ac.tensor(dtype, (None,) * 5, "x")
        y = nn.pool_3d(x, 3, False, 2, 1, "max") + nn.pool_3d(x, 3, False, 2, 1, "average_exc_pad")
        flat = nn.pool_1d(x, 3, True, 2, 1, "sum")
        planes = x[:, :, 0]
        unpooled = nn.max_unpool_2d(nn.max_pool2d(planes, 2, None, 0, False),
                                    planes, 2)
        outputs = [y, flat, unpooled, grad(ac.sum(y ** 2) + ac.sum(flat ** 2) + ac.sum(unpooled ** 2), x)]
        value = rng.normal(size=(2, 3, 5, 6, 7)).astype(dtype)
        f = ac.function([x], outputs, mode=mode)
        ran = {type(s.node.op) for s in f.executable.info.steps if s.label == "user"}
        assert {nn.Pool2d, nn.MaxPool2dGrad, nn.AveragePool2dGrad} <= ran
        tol = 1e-5 if dtype == "float32" else 1e-12
        for g, w in zip(f(value), ac.function([x], outputs)(value), strict=True):
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol * np.abs(w).max())
