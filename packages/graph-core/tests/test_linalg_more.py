"""SciPy's lu, lu_factor/lu_solve, schur, sqrtm, logm, solve_sylvester and the Lyapunov solvers against SciPy:
dtypes, stacks, 0x0 and 1x1 matrices, non-contiguous views, shape inference, the errors for bad input, and the
C backend ("fast_run", where SciPy's functions run as Python steps) giving the same numbers."""

import numpy as np
import pytest
import scipy.linalg as sl

import arignote_core as ac
from arignote_core.linalg.factorizations import PivotMatrix
from arignote_core.tensors.shape_inference import infer_shapes, shape_vector

la = ac.linalg
TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def well_conditioned(rng, shape, dtype="float64"):
    n = shape[-1]
    return (rng.normal(size=shape) + n * np.eye(n)).astype(dtype)


def spd(rng, shape, dtype="float64"):
    a = rng.normal(size=shape)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def run(build, *values, mode=None):
    """``build`` of symbolic inputs with unknown sizes, compiled and run on ``values``, as a list."""
    inputs = [ac.tensor(v.dtype.name, (None,) * v.ndim) for v in values]
    out = build(*inputs)
    outputs = list(out) if isinstance(out, list | tuple) else [out]
    return [np.asarray(r) for r in ac.function(inputs, outputs, mode=mode)(*values)]


def stacked(fn, a):
    """A SciPy function of one matrix giving a tuple, over a stack."""
    results = [fn(m) for m in a.reshape((-1,) + a.shape[-2:])]
    return [np.stack([r[k] for r in results]).reshape(a.shape[:-2] + np.shape(results[0][k]))
            for k in range(len(results[0]))]


def assert_all_close(got, want, dtype):
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        assert g.dtype == (w.dtype if w.dtype.kind in "iu" else np.dtype(dtype))
        np.testing.assert_allclose(g, w, **TOL[dtype])


# -- values against SciPy ----------------------------------------------------------------------------------------

SQUARE_SHAPES = [(3, 3), (2, 4, 4), (1, 1), (0, 0)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SQUARE_SHAPES + [(3, 5), (5, 2)], ids=str)
def test_lu_matches_scipy(rng, dtype, shape):
    a = rng.normal(size=shape).astype(dtype)
    for kwargs in ({}, {"permute_l": True}, {"p_indices": True}):
        got = run(lambda x, kw=kwargs: la.lu(x, **kw), a)
        want = [np.asarray(r) for r in sl.lu(a, **kwargs)]
        if kwargs.get("p_indices"):
            want[0] = want[0].astype(np.int32)  # SciPy's int64 for 1x1 only: int32 everywhere here
        assert_all_close(got, want, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SQUARE_SHAPES, ids=str)
def test_lu_factor_and_lu_solve_match_scipy(rng, dtype, shape):
    a = well_conditioned(rng, shape, dtype)
    b = rng.normal(size=shape[:-1] + (2,)).astype(dtype)
    factors = stacked(sl.lu_factor, a) if a.ndim > 2 else list(sl.lu_factor(a))
    assert_all_close(run(la.lu_factor, a), factors, dtype)
    for trans in (0, 1, "T"):
        got = run(lambda x, y, t=trans: la.lu_solve(la.lu_factor(x), y, trans=t), a, b)
        want = np.linalg.solve(a if trans == 0 else np.swapaxes(a, -1, -2), b) if a.size else b
        np.testing.assert_allclose(got[0], want, **TOL[dtype])


def test_lu_solve_of_a_vector_and_of_views(rng):
    a = well_conditioned(rng, (4, 4))
    factors, piv = sl.lu_factor(a)
    b = rng.normal(size=(4, 6))[:, ::2]  # not contiguous
    got = run(lambda f, p, y: la.lu_solve((f, p), y), factors.T, piv, b)[0]
    np.testing.assert_allclose(got, sl.lu_solve((factors.T, piv), b), rtol=1e-12)
    vector = run(lambda f, p, y: la.lu_solve((f, p), y, trans=1), factors, piv, b[:, 0])[0]
    np.testing.assert_allclose(vector, sl.lu_solve((factors, piv), b[:, 0], trans=1), rtol=1e-12)


def test_the_pivots_stand_for_lus_permutation(rng):
    a = rng.normal(size=(2, 5, 5))
    _, piv = la.lu_factor(ac.tensor("float64", (None, None, None)))
    got = ac.function([piv.owner.inputs[0]], PivotMatrix("float64")(piv))(a)
    np.testing.assert_array_equal(got, sl.lu(a)[0])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SQUARE_SHAPES, ids=str)
def test_schur_reconstructs_its_matrix(rng, dtype, shape):
    a = rng.normal(size=shape).astype(dtype)
    for output, want_dtype in (("real", dtype), ("complex", {"float64": "complex128", "float32": "complex64"}[dtype])):
        t, z = run(lambda x, o=output: la.schur(x, output=o), a)
        assert t.dtype == z.dtype == want_dtype and t.shape == z.shape == a.shape
        z_h = np.conj(np.swapaxes(z, -1, -2))
        np.testing.assert_allclose(z @ t @ z_h, a, rtol=1e-3, atol=1e-4 if dtype == "float32" else 1e-10)
        np.testing.assert_allclose(np.tril(t, -2 if output == "real" else -1), 0, atol=1e-6)
        if a.ndim == 2 and a.size:
            np.testing.assert_allclose(np.abs(t), np.abs(sl.schur(a, output=output)[0]), **TOL[dtype])


@pytest.mark.filterwarnings("ignore:logm result may be inaccurate")  # SciPy's own, for float32
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SQUARE_SHAPES, ids=str)
def test_sqrtm_and_logm_match_scipy(rng, dtype, shape):
    a = spd(rng, shape, dtype)
    assert_all_close(run(la.sqrtm, a), [np.asarray(sl.sqrtm(a))], dtype)
    if a.size:  # SciPy's logm refuses a 0x0 matrix
        assert_all_close(run(la.logm, a), [np.asarray(sl.logm(a)).astype(dtype)], dtype)


def test_sqrtm_and_logm_of_views_and_integers(rng):
    a = spd(rng, (3, 3))
    view = np.asfortranarray(a)[:, :]
    np.testing.assert_allclose(run(la.sqrtm, view.T)[0], sl.sqrtm(a.T), rtol=1e-10)
    ints = np.array([[4, 1], [1, 3]])
    assert run(la.logm, ints)[0].dtype == np.float64
    np.testing.assert_allclose(run(la.logm, ints)[0], sl.logm(ints), rtol=1e-10)


def test_complex_matrices_give_scipys_complex_results():
    a = np.array([[-1.0, 0.0], [0.0, 4.0]], dtype="complex128")
    np.testing.assert_allclose(run(la.sqrtm, a)[0], sl.sqrtm(a), rtol=1e-12)
    np.testing.assert_allclose(run(la.logm, a)[0], sl.logm(a), rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_equations_match_scipy(rng, dtype):
    a, b = well_conditioned(rng, (3, 3), dtype), well_conditioned(rng, (2, 2), dtype)
    q, c = rng.normal(size=(3, 2)).astype(dtype), rng.normal(size=(3, 3)).astype(dtype)
    small = (a / 10).astype(dtype)
    cases = [(la.solve_sylvester, (a, b, q), sl.solve_sylvester),
             (la.solve_continuous_lyapunov, (a, c), sl.solve_continuous_lyapunov),
             (la.solve_discrete_lyapunov, (small, c), sl.solve_discrete_lyapunov),
             (lambda x, y: la.solve_discrete_lyapunov(x, y, method="bilinear"), (small, c),
              lambda x, y: sl.solve_discrete_lyapunov(x, y, method="bilinear"))]
    for build, values, oracle in cases:
        got = run(build, *values)[0]
        assert got.dtype == dtype
        np.testing.assert_allclose(got, oracle(*values), **TOL[dtype])


def test_equations_over_stacks_views_and_small_sizes(rng):
    a, b = well_conditioned(rng, (2, 3, 3)), well_conditioned(rng, (3, 3))
    q = rng.normal(size=(3, 6))[:, ::2]  # a view, broadcast over the stack of a
    got = run(la.solve_sylvester, a, b.T, q)[0]
    np.testing.assert_allclose(got, np.stack([sl.solve_sylvester(m, b.T, q) for m in a]), rtol=1e-10)
    got = run(la.solve_continuous_lyapunov, a, q)[0]
    np.testing.assert_allclose(got, np.stack([sl.solve_continuous_lyapunov(m, q) for m in a]), rtol=1e-10)
    for size in (0, 1):
        m, y = 0.5 * np.eye(size), np.ones((size, size))
        np.testing.assert_allclose(run(la.solve_discrete_lyapunov, m, y)[0], sl.solve_discrete_lyapunov(m, y))
        np.testing.assert_allclose(run(la.solve_sylvester, m, m, y)[0], sl.solve_sylvester(m, m, y))


# -- shapes ------------------------------------------------------------------------------------------------------


def test_static_shapes_follow_scipy():
    p, low, up = la.lu(ac.tensor("float64", (2, 3, 5)))
    assert (p.type.shape, low.type.shape, up.type.shape) == ((2, 3, 3), (2, 3, 3), (2, 3, 5))
    p, _, _ = la.lu(ac.tensor("float32", (5, 3)), p_indices=True)
    assert p.type.shape == (5,) and p.dtype == "int32"
    factors, piv = la.lu_factor(ac.tensor("int64", (4, 4)))
    assert factors.dtype == "float64" and piv.type.shape == (4,)
    x = la.solve_sylvester(ac.tensor("float64", (2, 1, 3, 3)), ac.tensor("float64", (4, 4)),
                           ac.tensor("float64", (5, 3, 4)))
    assert x.type.shape == (2, 5, 3, 4)
    assert la.solve_continuous_lyapunov(ac.tensor("float32", (None, None)), ac.dmatrix()).dtype == "float64"


def test_infer_shape_needs_no_computation(rng):
    a, q = ac.tensor("float64", (None, None, None)), ac.tensor("float64", (None, None))
    outputs = [*la.lu(a[:, :, 1:]), *la.lu_factor(a), la.sqrtm(a), la.solve_sylvester(a, a, q),
               la.solve_discrete_lyapunov(a, q), *la.schur(a)]
    shapes = infer_shapes(outputs)
    fn = ac.function([a, q], [shape_vector(shapes[o]) for o in outputs], on_unused_input="ignore")
    assert [tuple(s) for s in fn(np.zeros((2, 4, 4)), np.zeros((4, 4)))] == [
        (2, 4, 4), (2, 4, 3), (2, 3, 3), (2, 4, 4), (2, 4), (2, 4, 4), (2, 4, 4), (2, 4, 4), (2, 4, 4), (2, 4, 4)]


# -- errors ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("build", "name"), [
    (lambda m, v: la.sqrtm(m), "a"), (lambda m, v: la.logm(m), "a"), (lambda m, v: la.schur(m), "a"),
    (lambda m, v: la.solve_continuous_lyapunov(m, m), "a"),
    (lambda m, v: la.solve_sylvester(ac.dmatrix(), m, m), "b"),
    (lambda m, v: la.lu_solve((m, v), v), "lu")])
def test_non_square_input_is_named_with_its_shape(build, name):
    m, v = ac.tensor("float64", (2, 3)), ac.tensor("int32", (3,))
    with pytest.raises(np.linalg.LinAlgError, match=rf"input {name} must be square .* got shape \(2, 3\)"):
        build(m, v)


@pytest.mark.parametrize("build", [la.sqrtm, la.lu, la.lu_factor, la.schur, lambda v: la.solve_discrete_lyapunov(v, v)])
def test_a_vector_is_not_a_matrix(build):
    with pytest.raises(np.linalg.LinAlgError, match=r"input a must be a matrix .* got a 1-d float64 tensor of shape "
                                                    r"\(3,\)"):
        build(ac.tensor("float64", (3,)))


def test_sizes_unknown_until_run_time_are_checked_then():
    x = ac.dmatrix("x")
    with pytest.raises(np.linalg.LinAlgError, match=r"sqrtm: input a must be square .* got shape \(2, 3\)"):
        ac.function([x], la.sqrtm(x))(np.ones((2, 3)))


def test_equation_sizes_that_do_not_fit_are_named():
    with pytest.raises(np.linalg.LinAlgError, match=r"input q of shape \(2, 3\) does not fit input a of size 3"):
        la.solve_sylvester(ac.tensor("float64", (3, 3)), ac.tensor("float64", (3, 3)), ac.tensor("float64", (2, 3)))
    with pytest.raises(np.linalg.LinAlgError, match=r"lu_solve: input b must have 3 rows .* got shape \(4,\)"):
        la.lu_solve(la.lu_factor(ac.tensor("float64", (3, 3))), ac.tensor("float64", (4,)))


def test_bad_arguments_are_refused():
    a = ac.dmatrix()
    with pytest.raises(ValueError, match="output must be 'real' or 'complex', got 'other'"):
        la.schur(a, output="other")
    with pytest.raises(ValueError, match="method must be 'direct' or 'bilinear', got 'fast'"):
        la.solve_discrete_lyapunov(a, a, method="fast")
    with pytest.raises(ValueError, match="trans must be 0, 1 or 2"):
        la.lu_solve(la.lu_factor(a), a, trans=3)
    with pytest.raises(TypeError, match="input piv must be an integer tensor with 1 axes"):
        la.lu_solve((a, ac.dvector()), a)
    with pytest.raises(TypeError, match="float16 is unsupported"):
        la.sqrtm(ac.tensor("float16", (2, 2)))


def test_a_real_matrix_without_a_real_root_or_logarithm_says_so():
    x = ac.dmatrix("x")
    negative = np.array([[-1.0, 0.0], [0.0, 4.0]])
    for build, what in ((la.sqrtm, "sqrtm"), (la.logm, "logm")):
        with pytest.raises(np.linalg.LinAlgError, match=rf"{what}: the real matrix a has no real {what}"):
            ac.function([x], build(x))(negative)


# -- the C backend ----------------------------------------------------------------------------------------------


def test_fast_run_gives_the_reference_numbers(rng):
    pytest.importorskip("arignote")  # the named modes; SciPy's functions run as Python steps there
    a, q = spd(rng, (2, 3, 3)), rng.normal(size=(3, 3))
    build = lambda x, y: [*la.lu(x), *la.lu_factor(x), la.lu_solve(la.lu_factor(x), y, trans=1), la.sqrtm(x),  # noqa: E731
                          la.logm(x) * 2 + 1, la.solve_sylvester(x, x, y), la.solve_continuous_lyapunov(x, y),
                          la.solve_discrete_lyapunov(x / 10, y), la.schur(x)[0].sum()]
    reference = run(build, a, q)
    fast = run(build, a, q, mode="fast_run")
    x = ac.dmatrix()
    assert "Sqrtm at" in ac.function([x], la.sqrtm(x) * 2, mode="fast_run").report()  # a Python step in C
    for got, want in zip(fast, reference, strict=True):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
