"""``OpFromGraph``: values against NumPy, several outputs, implicit shared inputs, nesting with ``ifelse``, shape
inference, the inner program built once, inlining, errors and printing."""

import io
import pickle

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.fgraph import MissingInputError
from arignote_core.mode import Mode
from arignote_core.plugins import entry_points_in

HERE = __file__.rsplit("/", 1)[-1]
MODES = ["reference", pytest.param(Mode(options={"check": True}), id="checked"),
         pytest.param("c", marks=pytest.mark.skipif("c" not in {ep.name for ep in entry_points_in("arignote.modes")},
                                                      reason="codegen-c is not installed"))]


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def _op(dtype="float64", ndim=2, **kwargs):
    a, b = ac.tensor(dtype, (None,) * ndim, "a"), ac.tensor(dtype, (None,) * ndim, "b")
    return ac.OpFromGraph([a, b], [a * b + ac.sin(a), a - b], **kwargs)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "complex128"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((0, 2), (1, 2))], ids=str)
def test_values_agree_with_numpy(rng, mode, dtype, shapes):
    op = _op(dtype)
    x, y = ac.tensor(dtype, (None, None), "x"), ac.tensor(dtype, (None, None), "y")
    f = ac.function([x, y], op(x, y), mode=mode)
    xv, yv = ((rng.normal(size=s) * 4).astype(dtype) for s in shapes)
    got = f(xv, yv)
    for g, e in zip(got, [xv * yv + np.sin(xv), xv - yv], strict=True):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-5)


def test_0d_inputs_and_one_output_gives_a_variable():
    a = ac.dscalar("a")
    op = ac.OpFromGraph([a], a ** 2 + 1)
    x = ac.dscalar("x")
    out = op(x)
    assert isinstance(out, ac.Variable) and out.type.shape == ()
    assert ac.function([x], out)(3.0) == 10.0
    f = ac.fscalar("f")
    halve = ac.OpFromGraph([f], f / 2)
    assert ac.function([], halve(1.5))() == np.float32(0.75)  # a Python number takes the input's dtype


@pytest.mark.parametrize("mode", MODES)
def test_one_op_applied_twice_and_nested(rng, mode):
    op = _op(ndim=1, name="f")
    p, q = ac.dvector("p"), ac.dvector("q")
    s, d = op(p, q)
    outer = ac.OpFromGraph([p, q], [s.sum() + d.sum(), op(d, s)[0]], name="g")
    x, y = ac.dvector("x"), ac.dvector("y")
    total, twice = outer(x, y)
    xv, yv = rng.normal(size=3), rng.normal(size=3)
    got = ac.function([x, y], [total, twice], mode=mode)(xv, yv)
    sv, dv = xv * yv + np.sin(xv), xv - yv
    np.testing.assert_allclose(got[0], sv.sum() + dv.sum())
    np.testing.assert_allclose(got[1], dv * sv + np.sin(dv))


@pytest.mark.parametrize("mode", MODES)
def test_ifelse_inside_is_still_lazy_and_opfromgraph_inside_ifelse(mode):
    a, c = ac.dmatrix("a"), ac.dscalar("c")
    factor = ac.OpFromGraph([c, a], ac.ifelse(c > 0, ac.linalg.cholesky(a), a), name="maybe_factor")
    x, k = ac.dmatrix("x"), ac.dscalar("k")
    f = ac.function([k, x], factor(k, x), mode=mode)
    indefinite = np.array([[1.0, 2.0], [2.0, 1.0]])
    np.testing.assert_array_equal(f(-1.0, indefinite), indefinite)
    with pytest.raises(np.linalg.LinAlgError):
        f(1.0, indefinite)
    only_if = ac.function([k, x], ac.ifelse(k > 0, factor(k, x), x * 2), mode=mode)
    np.testing.assert_array_equal(only_if(-1.0, indefinite), indefinite * 2)


def test_shared_variables_are_implicit_inputs():
    w = ac.shared(np.array([1.0, 2.0]), name="w")
    a = ac.dvector("a")
    op = ac.OpFromGraph([a], a * w)
    x = ac.dvector("x")
    out = op(x)
    assert out.owner.inputs == [x, w] and op.shared_inputs == [w]
    f = ac.function([x], out)
    np.testing.assert_array_equal(f([3.0, 4.0]), [3.0, 8.0])
    w.set_value(np.array([10.0, 0.0]))
    np.testing.assert_array_equal(f([3.0, 4.0]), [30.0, 0.0])


def test_outputs_that_are_inputs_or_constants_own_their_memory():
    a = ac.dvector("a")
    op = ac.OpFromGraph([a], [a, a, ac.constant(np.arange(3.0))])
    x = ac.dvector("x")
    xv = np.array([1.0, 2.0])
    same, again, const = ac.function([x], op(x))(xv)
    assert not np.may_share_memory(same, xv) and not np.may_share_memory(same, again)
    const[0] = 5.0
    np.testing.assert_array_equal(ac.function([x], op(x)[2])(xv), [0.0, 1.0, 2.0])


def test_inputs_are_checked_against_the_inner_types():
    a = ac.tensor("float64", (3,), "a")
    op = ac.OpFromGraph([a], a * 2, name="double")
    with pytest.raises(TypeError, match=r"OpFromGraph\{double\} takes 1 inputs, got 2"):
        op(ac.dvector(), ac.dvector())
    with pytest.raises(TypeError, match=r"input 0 \(x\) has type float32\[\?\], expected float64\[3\]"):
        op(ac.fvector("x"))
    with pytest.raises(TypeError, match=r"input 0 .* has type float64\[4\]"):
        op(ac.tensor("float64", (4,), "x"))
    x = ac.dvector("x")
    f = ac.function([x], op(x))  # the static size 3 is checked when the function runs
    np.testing.assert_array_equal(f([1.0, 2.0, 3.0]), [2.0, 4.0, 6.0])
    with pytest.raises(ValueError):
        f([1.0, 2.0])
    np.testing.assert_array_equal(ac.function([], op([1, 2, 3]))(), [2.0, 4.0, 6.0])  # data becomes a constant


@pytest.mark.parametrize("make, error, match", [
    (lambda a, b: ac.OpFromGraph([a], a + b), MissingInputError, r"depends on b .*list it in the inputs"),
    (lambda a, b: ac.OpFromGraph([a, ac.constant(1.0)], a), TypeError, r"inputs\[1\] \(1.0\) is a constant"),
    (lambda a, b: ac.OpFromGraph([ac.shared(np.ones(2))], a), TypeError, "shared variables are implicit"),
    (lambda a, b: ac.OpFromGraph([a, a], a), ValueError, "listed twice"),
    (lambda a, b: ac.OpFromGraph(a, a), TypeError, "inputs must be a list"),
    (lambda a, b: ac.OpFromGraph([a], []), TypeError, "outputs must be a variable or a non-empty list"),
    (lambda a, b: ac.OpFromGraph([a], [a, 2]), TypeError, r"outputs\[1\] must be a symbolic variable"),
    (lambda a, b: ac.OpFromGraph([a], a, lop_overrides=lambda *x: x, grad_overrides=lambda *x: x), ValueError,
     "lop_overrides or grad_overrides, not both"),
    (lambda a, b: ac.OpFromGraph([a], a, rop_overrides="no"), TypeError, "rop_overrides must be a callable"),
    (lambda a, b: ac.OpFromGraph([a], a, name=3), TypeError, "name must be a string"),
])
def test_bad_definitions_are_refused(make, error, match):
    with pytest.raises(error, match=match):
        make(ac.dvector("a"), ac.dvector("b"))


def test_an_error_inside_names_the_op_its_line_the_inner_node_and_the_shapes():
    a = ac.dmatrix("a")
    op = ac.OpFromGraph([a], ac.linalg.cholesky(a), name="factor")  # the-definition-line
    x = ac.dmatrix("x")
    f = ac.function([x], op(x) * 2)  # the-call-line
    with pytest.raises(np.linalg.LinAlgError) as info:
        f(-np.eye(3))
    message = str(info.value)
    assert "while computing Cholesky{upper=False} on a (float64, shape (3, 3))" in message
    assert "inside the inner graph of OpFromGraph{factor}" in message and "the-definition-line" in message
    assert "while computing OpFromGraph{factor} on x (float64, shape (3, 3))" in message
    assert "the-call-line" in message and f"{HERE}:" in message


def test_inferred_shapes_do_not_compute_the_op():
    op = _op(ndim=2)
    x, y = ac.dmatrix("x"), ac.dmatrix("y")
    s, d = op(x, y)
    shapes = ac.infer_shapes([s, d])
    assert s.owner not in ac.toposort([v for shape in shapes.values() for v in shape if isinstance(v, ac.Variable)])
    f = ac.function([x, y], [ac.tensors.shape_inference.shape_vector(shapes[s]), s])
    got, value = f(np.ones((3, 1)), np.ones((1, 4)))
    assert tuple(got) == value.shape == (3, 4)


def test_the_inner_program_is_built_once_and_kept():
    op = _op(ndim=1)
    x = ac.dvector("x")
    assert op.graph._program is None
    f = ac.function([x], op(x, x))
    f([1.0])
    program = op.graph._program
    assert program is not None
    f([2.0])
    ac.function([x], op(x * 2, x))([3.0])
    assert op.graph._program is program


def test_expand_inlines_the_node():
    op = _op(ndim=1, inline=True)
    x, y = ac.dvector("x"), ac.dvector("y")
    node = op(x, y)[0].owner
    inlined = op.expand(node)
    assert not any(isinstance(n.op, ac.OpFromGraph) for n in ac.toposort(inlined))
    xv, yv = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    for a, b in zip(ac.function([x, y], inlined)(xv, yv), ac.function([x, y], node.outputs)(xv, yv), strict=True):
        np.testing.assert_array_equal(a, b)


def test_str_and_dprint():
    assert str(_op()) == "OpFromGraph" and str(_op(name="f", inline=True)) == "OpFromGraph{f, inline}"
    x, y = ac.dmatrix("x"), ac.dmatrix("y")
    text = ac.dprint(_op(name="f")(x, y)[0], file=io.StringIO())
    head, inner = text.split("Inner graphs:")
    assert head.startswith("OpFromGraph{f}.0 [id A] <float64[?, ?]>")
    assert "OpFromGraph{f} [id A]" in inner and "← Elemwise{add}" in inner and "← Elemwise{subtract}" in inner


def test_a_function_with_an_opfromgraph_pickles():
    x, y = ac.dvector("x"), ac.dvector("y")
    f = ac.function([x, y], _op(ndim=1)(x, y))
    f([1.0], [2.0])
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_allclose(g([1.0], [2.0])[0], [2.0 + np.sin(1.0)])
