"""arignote_core.fft against numpy.fft, and complex numbers (``complex``, ``real``, ``imag``, ``angle``,
``conj``, ``abs``) against NumPy: random inputs of several shapes and dtypes, ``n``/``s`` smaller and larger
than the axis, every norm, views, empty arrays, run-time shapes and the errors NumPy raises."""

import inspect
import warnings

import numpy as np
import pytest

import arignote_core as ac
from arignote_core import fft as F

NORMS = ("backward", "ortho", "forward")
DTYPES = ("float64", "float32", "complex128", "complex64")
TOL = {"float32": 1e-4, "complex64": 1e-4, "float64": 1e-11, "complex128": 1e-11}


def _values(rng, dtype, shape):
    x = rng.normal(size=shape)
    if dtype.startswith("complex"):
        x = x + 1j * rng.normal(size=shape)
    return x.astype(dtype)


def _check(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=TOL.get(want.dtype.name, 1e-11),
                               atol=TOL.get(want.dtype.name, 1e-11))


@pytest.mark.parametrize(("kind", "dtype"), [(k, d) for k in ("fft", "ifft", "rfft", "irfft") for d in DTYPES
                                              if not (k == "rfft" and d.startswith("complex"))])
def test_one_axis_transforms_match_numpy(kind, dtype):
    rng = np.random.default_rng(0)
    x = ac.tensor(dtype, (None, None, None), "x")
    calls = [dict(n=n, axis=axis, norm=norm) for n in (None, 3, 8) for axis in (-1, 0, 1) for norm in NORMS]
    f = ac.function([x], [getattr(F, kind)(x, **kw) for kw in calls])
    for shape in [(3, 4, 6), (2, 5, 2)]:
        value = _values(rng, dtype, shape)
        for view in (value, value.transpose(2, 0, 1)[:, :, ::-1]):
            for kw, got in zip(calls, f(view), strict=True):
                _check(got, getattr(np.fft, kind)(view, **kw))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int64", "bool", "complex64",
                                   "complex128"])
def test_dtypes_are_numpys(dtype):
    x = ac.tensor(dtype, (4,), "x")
    for kind in ("fft", "ifft", "rfft", "irfft"):
        if kind == "rfft" and dtype.startswith("complex"):
            continue
        want = getattr(np.fft, kind)(np.ones(4, dtype))
        assert getattr(F, kind)(x).dtype == want.dtype.name, kind


def test_static_and_inferred_shapes():
    x = ac.dmatrix("x")
    assert F.rfft(ac.tensor("float64", (3, 10))).type.shape == (3, 6)
    assert F.irfft(ac.tensor("complex128", (3, 6))).type.shape == (3, 10)
    assert F.irfft(ac.tensor("complex128", (3, 6)), n=7).type.shape == (3, 7)
    assert F.fft(ac.tensor("float32", (3, 6)), n=2, axis=0).type.shape == (2, 6)
    outs = [F.rfft(x), F.irfft(x), F.fft(x, 9), F.rfftn(x, s=(3, 5), axes=(1, 0))]
    shapes = ac.function([x], [o.shape for o in outs])(np.ones((4, 7)))
    value = np.ones((4, 7))
    expected = [np.fft.rfft(value), np.fft.irfft(value), np.fft.fft(value, 9),
                np.fft.rfftn(value, s=(3, 5), axes=(1, 0))]
    assert [tuple(s) for s in shapes] == [e.shape for e in expected]


def test_empty_arrays_where_numpy_accepts_them():
    x = ac.dmatrix("x")
    f = ac.function([x], [F.fft(x), F.rfft(x, n=4), F.irfft(x, axis=1), F.fftn(x, axes=(1,))])
    empty = np.zeros((0, 5))
    for got, want in zip(f(empty), [np.fft.fft(empty), np.fft.rfft(empty, n=4), np.fft.irfft(empty, axis=1),
                                    np.fft.fftn(empty, axes=(1,))], strict=True):
        _check(got, want)
    padded = ac.function([x], F.rfft(x, n=4))(np.zeros((2, 0)))
    _check(padded, np.fft.rfft(np.zeros((2, 0)), n=4))


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn"])
def test_multi_axis_transforms_match_numpy(name):
    rng = np.random.default_rng(1)
    dtype = "float64" if name.startswith("rfft") else "complex128"
    x = ac.tensor(dtype, (None, None, None), "x")
    calls = [dict(norm=norm) for norm in NORMS] + [dict(s=(3, 7), axes=(0, 2)), dict(s=(2, 4), axes=(-1, 0)),
                                                   dict(axes=(1, 2), norm="ortho")]
    if name.endswith("n"):
        calls += [dict(axes=(0,)), dict(s=(5, 2))] if name.startswith("r") or name.startswith("ir") else \
            [dict(axes=(0,)), dict(axes=(2, 2), s=(4, 6))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # NumPy's s-without-axes deprecation
        f = ac.function([x], [getattr(F, name)(x, **kw) for kw in calls])
        for value in (_values(rng, dtype, (3, 4, 6)), _values(rng, dtype, (6, 4, 5))[::2, :, 1:]):
            for kw, got in zip(calls, f(value), strict=True):
                _check(got, getattr(np.fft, name)(value, **kw))


def test_single_precision_is_kept():
    x = ac.fmatrix("x")
    value = np.random.default_rng(2).normal(size=(4, 6)).astype("float32")
    got = ac.function([x], [F.fft2(x), F.irfft2(F.rfft2(x), s=(4, 6))])(value)
    _check(got[0], np.fft.fft2(value))
    _check(got[1], np.fft.irfft2(np.fft.rfft2(value), s=(4, 6)))


@pytest.mark.parametrize(("build", "error", "message"), [
    (lambda: F.fft(ac.dscalar("s")), ValueError, "at least one axis"),
    (lambda: F.fft(ac.dvector("v"), n=0), ValueError, r"Invalid number of FFT data points \(0\)"),
    (lambda: F.fft(ac.dvector("v"), axis=1), ValueError, "axis 1 is out of bounds"),
    (lambda: F.rfft(ac.zvector("z")), TypeError, "rfft: the input z must be real, got dtype complex128"),
    (lambda: F.ifft(ac.dvector("v"), norm="unitary"), ValueError, "Invalid norm value 'unitary'"),
    (lambda: F.fft(ac.tensor("float64", (3, 0))), ValueError, r"Invalid number of FFT data points \(0\)"),
    (lambda: F.irfft(ac.tensor("complex128", (1,))), ValueError, r"Invalid number of FFT data points \(0\)"),
    (lambda: F.fftn(ac.dmatrix("m"), s=(2, 3, 4), axes=(0, 1)), ValueError, "Shape and axes"),
    (lambda: F.rfftn(ac.dmatrix("m"), axes=()), ValueError, "at least one axis"),
    (lambda: F.fft(ac.dvector("v"), n=2.5), TypeError, "n must be an int"),
    (lambda: F.fftfreq(-1), ValueError, "must not be negative"),
    (lambda: F.fftshift(ac.dscalar("s")), ValueError, "at least one axis"),
])
def test_bad_input_is_refused_with_a_clear_error(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_an_empty_axis_known_only_at_run_time_fails_as_numpy_does():
    x = ac.dvector("x")
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        ac.function([x], F.fft(x))(np.zeros(0))


def test_frequencies_and_shifts():
    d = ac.dscalar("d")
    f = ac.function([d], [F.fftfreq(7, d), F.rfftfreq(8, d)])
    for got, want in zip(f(0.3), [np.fft.fftfreq(7, 0.3), np.fft.rfftfreq(8, 0.3)], strict=True):
        _check(got, want)
    _check(F.fftfreq(6, 0.5).eval(), np.fft.fftfreq(6, 0.5))
    x = ac.dmatrix("x")
    shifts = [F.fftshift(x), F.ifftshift(x), F.fftshift(x, axes=1), F.ifftshift(x, axes=(0,))]
    g = ac.function([x], shifts)
    for value in (np.arange(20.0).reshape(4, 5), np.arange(21.0).reshape(7, 3).T, np.zeros((0, 3))):
        want = [np.fft.fftshift(value), np.fft.ifftshift(value), np.fft.fftshift(value, axes=1),
                np.fft.ifftshift(value, axes=(0,))]
        for got, expected in zip(g(value), want, strict=True):
            np.testing.assert_array_equal(got, expected)


def test_every_numpy_fft_name_is_there_with_numpys_arguments():
    names = ["fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn",
             "irfftn", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]
    for name in names:
        theirs = [p for p in inspect.signature(getattr(np.fft, name)).parameters if p not in ("out", "device")]
        assert list(inspect.signature(getattr(F, name)).parameters) == theirs, name
    assert ac.fft is F and "fft" in ac.__all__


def test_complex_builds_exact_values_and_theanos_dtypes():
    a, b = ac.dvector("a"), ac.fvector("b")
    edges = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.5])
    got = ac.function([a], ac.complex(a, a[::-1]))(edges)
    assert got.dtype == np.complex128
    np.testing.assert_array_equal(got.real, edges)
    np.testing.assert_array_equal(got.imag, edges[::-1])
    assert ac.complex(b, b).dtype == "complex64"
    assert ac.complex(ac.ivector(), 1).dtype == "complex128"
    assert ac.complex(ac.tensor("float16", (2,)), 1.0).dtype == "complex64"
    with pytest.raises(TypeError, match="complex: the real and imaginary parts must be real"):
        ac.complex(ac.zvector(), a)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_parts_of_complex_tensors_match_numpy(dtype):
    z = ac.tensor(dtype, (None, None), "z")
    value = _values(np.random.default_rng(3), dtype, (3, 4))
    value[0, 0] = 0
    outs = [ac.real(z), ac.imag(z), ac.angle(z), ac.angle(z, deg=True), ac.conj(z), ac.abs(z), z.real, z.imag,
            z.conj()]
    want = [np.real(value), np.imag(value), np.angle(value), np.angle(value, deg=True), np.conj(value),
            np.abs(value), value.real, value.imag, value.conj()]
    for got, expected in zip(ac.function([z], outs)(value.T.copy().T), want, strict=True):
        _check(got, expected)
