"""Derivatives of the discrete Fourier transforms and of complex numbers, in JAX's convention: for a real cost
C of z = x + iy, ``grad`` gives dC/dx - i dC/dy (checked here by finite differences of both parts, and against
``jax.grad`` itself where JAX is installed); a real input of a complex computation gets the real part."""

from functools import partial

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag
from arignote_core import fft as F

NORMS = ("backward", "ortho", "forward")


def _convention_gradient(cost, value, eps=1e-6):
    """dC/dx - i dC/dy of the NumPy function ``cost`` at the complex array ``value``, by central differences."""
    result = np.zeros(value.shape, complex)
    for index in np.ndindex(value.shape):
        for step, weight in ((eps, 1.0), (1j * eps, -1j)):
            plus, minus = value.copy(), value.copy()
            plus[index] += step
            minus[index] -= step
            result[index] += weight * (cost(plus) - cost(minus)) / (2 * eps)
    return result


@pytest.mark.parametrize("kind", ["fft", "ifft", "rfft", "irfft"])
@pytest.mark.parametrize("norm", NORMS)
def test_one_axis_gradients_match_finite_differences(kind, norm, rng):
    for n, static in ((None, False), (4, True), (9, False)):
        ag.verify_grad(partial(getattr(F, kind), n=n, norm=norm), [rng.normal(size=(2, 6))], rng=0,
                       static_shapes=static)
        ag.verify_rop(partial(getattr(F, kind), n=n, norm=norm, axis=0), [rng.normal(size=(5, 2))], rng=0,
                      static_shapes=static)


@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn"])
def test_multi_axis_gradients_match_finite_differences(name, rng):
    fn = getattr(F, name)
    ag.verify_grad(lambda x: fn(x, s=(3, 5), axes=(0, 1), norm="ortho"), [rng.normal(size=(2, 4))], rng=0)
    ag.verify_grad(lambda x: fn(x, norm="forward"), [rng.normal(size=(2, 3, 4))], rng=0, static_shapes=True)


def test_float32_gradients_stay_single_precision(rng):
    x = ac.fmatrix("x")
    cost = ac.abs(F.irfft(F.rfft(x) * 1.5j, n=7)).sum() + ac.real(F.fft2(x)).sum()
    g = ag.grad(cost, x)
    assert g.dtype == "float32"
    ag.verify_grad(lambda x: F.irfft(F.rfft(x) * 1.5j, n=7), [rng.normal(size=(2, 5)).astype("float32")], rng=0)


@pytest.mark.parametrize("kind", ["fft", "ifft", "irfft"])
@pytest.mark.parametrize("norm", NORMS)
def test_gradients_of_complex_inputs_follow_jaxs_convention(kind, norm, rng):
    value = rng.normal(size=(2, 5)) + 1j * rng.normal(size=(2, 5))
    n = 6 if kind == "irfft" else 4
    weights = rng.normal(size=(2, n)) + 1j * rng.normal(size=(2, n))

    def numpy_cost(z):
        y = getattr(np.fft, kind)(z, n=n, norm=norm)
        return float(np.sum(np.real(y * weights)) + 0.5 * np.sum(np.imag(y * weights)))

    z = ac.zmatrix("z")
    y = getattr(F, kind)(z, n=n, norm=norm) * weights
    got = ac.function([z], ag.grad(ac.real(y).sum() + 0.5 * ac.imag(y).sum(), z))(value)
    np.testing.assert_allclose(got, _convention_gradient(numpy_cost, value), rtol=1e-6, atol=1e-7)


def test_gradients_agree_with_jax(rng):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)
    value = rng.normal(size=(3, 5)) + 1j * rng.normal(size=(3, 5))
    z = ac.zmatrix("z")
    for kind in ("fft", "ifft", "irfft"):
        for norm in NORMS:
            ours = ac.function([z], ag.grad(ac.abs(getattr(F, kind)(z, n=4, norm=norm)).sum(), z))(value)
            transform = partial(getattr(jnp.fft, kind), n=4, norm=norm)
            theirs = jax.grad(lambda v, t=transform: jnp.abs(t(v)).sum())(value)
            np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-9, atol=1e-12)
    x = ac.dmatrix("x")
    ours = ac.function([x], ag.grad(ac.angle(F.rfft(x, n=7, norm="ortho") + 0.5).sum(), x))(value.real)
    theirs = jax.grad(lambda v: jnp.angle(jnp.fft.rfft(v, n=7, norm="ortho") + 0.5).sum())(value.real)
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("build", [
    lambda z: ac.abs(z * (1 - 2j)).sum(),
    lambda z: (ac.imag(z) * ac.real(z) ** 2).sum(),
    lambda z: ac.real(ac.conj(z) * (1 + 2j)).sum(),
    lambda z: ac.angle(z).sum(),
    lambda z: ac.real(ac.exp(z) * z).sum(),
], ids=["abs", "imag-real", "conj", "angle", "holomorphic"])
def test_parts_of_complex_numbers_follow_jaxs_convention(build, rng):
    value = rng.normal(size=4) + 1j * rng.normal(size=4)
    z = ac.zvector("z")
    f_cost = ac.function([z], build(z))
    got = ac.function([z], ag.grad(build(z), z))(value)
    np.testing.assert_allclose(got, _convention_gradient(lambda v: float(f_cost(v)), value), rtol=1e-6, atol=1e-7)


def test_real_to_complex_cast_gives_the_real_part_of_the_cotangent(rng):
    x = ac.dvector("x")
    z = ac.cast(x, "complex128") * (1 + 2j)
    g = ag.grad(ac.imag(z * z).sum(), x)  # imag((1+2j)^2 x^2) = 4 x^2
    value = rng.normal(size=3)
    np.testing.assert_allclose(ac.function([x], g)(value), 8 * value)
    assert g.dtype == "float64"
    ag.verify_grad(lambda x: ac.cast(x, "complex64") * (1 - 1j), [rng.normal(size=3)], rng=0)


def test_complex_from_parts_differentiates_each_part(rng):
    a, b = ac.dvector("a"), ac.dvector("b")
    ga, gb = ag.grad(ac.abs(ac.complex(a, b) ** 2 * (2 - 1j)).sum(), [a, b])
    value_a, value_b = rng.normal(size=3), rng.normal(size=3)
    z = value_a + 1j * value_b
    # |z^2 (2 - i)| = sqrt(5) |z|^2: its derivatives are 2 sqrt(5) a and 2 sqrt(5) b
    np.testing.assert_allclose(ac.function([a, b], [ga, gb])(value_a, value_b),
                               [2 * np.sqrt(5) * z.real, 2 * np.sqrt(5) * z.imag])
    ag.verify_grad(ac.complex, [value_a, value_b], rng=0)
    ag.verify_rop(ac.complex, [value_a, value_b], rng=0)


def test_a_complex_cost_is_refused():
    z = ac.zvector("z")
    with pytest.raises(TypeError, match="differentiate a real float cost"):
        ag.grad(z.sum(), z)
