"""``ifelse``: values against NumPy, types, laziness (the branch not taken is never computed), several outputs,
nesting, shapes, errors naming the op and the user's line, printing."""

import io
import pickle

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.control import IfElse
from arignote_core.mode import Mode
from arignote_core.plugins import entry_points_in

HERE = __file__.rsplit("/", 1)[-1]
CHECKED = Mode(options={"check": True})
#: the reference evaluator, with and without the node-by-node check, and the C backend where it is installed
MODES = ["reference", pytest.param(CHECKED, id="checked"),
         pytest.param("c", marks=pytest.mark.skipif("c" not in {ep.name for ep in entry_points_in("arignote.modes")},
                                                      reason="codegen-c is not installed"))]


@pytest.fixture
def rng():
    return np.random.default_rng(42)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int16", "uint8", "complex64"])
@pytest.mark.parametrize("condition", [True, False])
def test_values_agree_with_numpy(rng, dtype, condition):
    x, y = ac.tensor(dtype, (None, None), "x"), ac.tensor(dtype, (1, None), "y")
    c = ac.bscalar("c")
    out = ac.ifelse(c, x * y, x - y)
    xv = (rng.normal(size=(3, 4)) * 5).astype(dtype)
    yv = (rng.normal(size=(1, 4)) * 5).astype(dtype)
    got = ac.function([c, x, y], out)(np.int8(condition), xv, yv)
    expected = xv * yv if condition else xv - yv
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("condition", [np.True_, np.int64(-2), np.float32(0.5), np.uint8(0), np.float64(0.0),
                                       np.complex128(1j)])
def test_the_condition_is_truth_tested_whatever_its_dtype(condition):
    c = ac.tensor(condition.dtype, (), "c")
    x = ac.dvector("x")
    out = ac.function([c, x], ac.ifelse(c, x + 1, x - 1))(condition, [1.0, 2.0])
    np.testing.assert_array_equal(out, [2.0, 3.0] if condition else [0.0, 1.0])


@pytest.mark.parametrize("mode", MODES)
def test_0d_and_empty_branches(mode):
    c = ac.lscalar("c")
    s, e = ac.dscalar("s"), ac.dmatrix("e")
    f = ac.function([c, s, e], ac.ifelse(c, [s * 2, e + 1], [s, e.T.T]), mode=mode)
    for cv in (0, 1):
        got_s, got_e = f(cv, 1.5, np.zeros((0, 3)))
        assert got_s.shape == () and got_s == (3.0 if cv else 1.5)
        assert got_e.shape == (0, 3)


def test_static_shapes_merge_and_types_must_agree():
    c = ac.bscalar("c")
    a, b = ac.tensor("float64", (3, 4)), ac.tensor("float64", (3, 5))
    assert ac.ifelse(c, a, b).type.shape == (3, None)
    assert ac.ifelse(c, a, a * 2).type.shape == (3, 4)
    with pytest.raises(TypeError, match=r"output 0: the then branch gives .* float32\[3, 4\].*same dtype"):
        ac.ifelse(c, ac.tensor("float32", (3, 4)), a)
    with pytest.raises(TypeError, match="same dtype and number of dimensions"):
        ac.ifelse(c, a, ac.dvector())
    with pytest.raises(ValueError, match="then_branch has 2 outputs, else_branch 1"):
        ac.ifelse(c, [a, a], [a])
    with pytest.raises(TypeError, match=r"condition must be a scalar \(0-d\), got .* int8\[\?\]"):
        ac.ifelse(ac.bvector(), a, a)
    with pytest.raises(ValueError, match="then_branch is an empty list"):
        ac.ifelse(c, [], [])


def test_a_python_number_takes_the_other_branch_dtype():
    c = ac.bscalar("c")
    x = ac.fscalar("x")
    out = ac.ifelse(c, x, 0.5)
    assert out.type.dtype == "float32"
    assert ac.function([c, x], out)(np.int8(0), np.float32(3)) == np.float32(0.5)
    with pytest.raises(TypeError, match="output 0: 1.5 does not fit the other branch's dtype"):
        ac.ifelse(c, ac.iscalar(), 1.5)
    with pytest.raises(TypeError, match="same dtype and number of dimensions"):
        ac.ifelse(c, ac.fvector(), 0.5)  # a number takes the other branch's dtype, not its shape


def test_one_variable_gives_one_variable_and_lists_give_lists():
    c, x = ac.bscalar(), ac.dvector()
    assert isinstance(ac.ifelse(c, x, x * 2), ac.Variable)
    outs = ac.ifelse(c, [x], [x * 2])
    assert isinstance(outs, list) and len(outs) == 1
    assert outs[0].owner.op.name is None and isinstance(outs[0].owner.op, IfElse)


@pytest.mark.parametrize("mode", MODES)
def test_the_branch_not_taken_is_not_computed(mode):
    c, a = ac.dscalar("c"), ac.dmatrix("a")
    out = ac.ifelse(c > 0, ac.linalg.cholesky(a), a)
    f = ac.function([c, a], out, mode=mode)
    indefinite = np.array([[1.0, 2.0], [2.0, 1.0]])
    np.testing.assert_array_equal(f(-1.0, indefinite), indefinite)
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        f(1.0, indefinite)


@pytest.mark.parametrize("mode", MODES)
def test_an_index_out_of_range_in_the_branch_not_taken_raises_nothing(mode):
    c, x, i = ac.bscalar("c"), ac.dvector("x"), ac.lscalar("i")
    f = ac.function([c, x, i], ac.ifelse(c, x[i], x[0]), mode=mode)
    assert f(np.int8(0), [1.0, 2.0], 10) == 1.0
    with pytest.raises(IndexError):
        f(np.int8(1), [1.0, 2.0], 10)


def test_an_error_inside_a_branch_names_the_op_the_inner_node_and_the_user_lines():
    c, a = ac.bscalar("c"), ac.dmatrix("a")
    out = ac.ifelse(c, ac.linalg.cholesky(a), a, name="safe_factor")  # the-ifelse-line
    f = ac.function([c, a], out)
    with pytest.raises(np.linalg.LinAlgError) as info:
        f(np.int8(1), -np.eye(2))
    message = str(info.value)
    assert "while computing Cholesky{upper=False} on a (float64, shape (2, 2))" in message
    assert "inside the then graph of IfElse{safe_factor}" in message and "the-ifelse-line" in message
    assert "while computing IfElse{safe_factor} on c (int8, shape ()), a (float64, shape (2, 2))" in message
    assert f"{HERE}:" in message


@pytest.mark.parametrize("mode", MODES)
def test_several_outputs_and_nesting(rng, mode):
    c, d = ac.bscalar("c"), ac.bscalar("d")
    x, y = ac.dvector("x"), ac.dvector("y")
    inner = ac.ifelse(d, [x + y, x.sum()], [x * y, y.sum()])
    outer = ac.ifelse(c, inner, [ac.exp(x), (x * y).sum()])
    f = ac.function([c, d, x, y], outer, mode=mode)
    xv, yv = rng.normal(size=4), rng.normal(size=4)
    for cv in (0, 1):
        for dv in (0, 1):
            got = f(np.int8(cv), np.int8(dv), xv, yv)
            if cv:
                expected = [xv + yv, xv.sum()] if dv else [xv * yv, yv.sum()]
            else:
                expected = [np.exp(xv), (xv * yv).sum()]
            for g, e in zip(got, expected, strict=True):
                np.testing.assert_allclose(g, e)


def test_what_both_branches_or_the_condition_compute_is_computed_once_outside():
    x = ac.dvector("x")
    e, s = ac.exp(x), x.sum()
    node = ac.ifelse(s > 0, e * 2 + s, e - 1).owner
    assert set(node.inputs[1:]) == {e, s}
    for graph in (node.op.then_graph, node.op.else_graph):
        ops = {str(n.op) for n in graph.fgraph.apply_nodes}
        assert "Elemwise{exp}" not in ops and not any(op.startswith("sum") for op in ops)


def test_shared_variables_and_updates(rng):
    w = ac.shared(np.array([1.0, 2.0]), name="w")
    c = ac.bscalar("c")
    f = ac.function([c], ac.ifelse(c, w * 2, -w), updates={w: ac.ifelse(c, w + 1, w)})
    np.testing.assert_array_equal(f(np.int8(1)), [2.0, 4.0])
    np.testing.assert_array_equal(w.get_value(), [2.0, 3.0])
    np.testing.assert_array_equal(f(np.int8(0)), [-2.0, -3.0])
    np.testing.assert_array_equal(w.get_value(), [2.0, 3.0])


def test_outputs_never_share_memory_with_inputs():
    c, x = ac.bscalar("c"), ac.dvector("x")
    f = ac.function([c, x], ac.ifelse(c, x, x[::-1]))
    xv = np.array([1.0, 2.0, 3.0])
    out = f(np.int8(1), xv)
    out[0] = 99.0
    assert xv[0] == 1.0


@pytest.mark.parametrize("condition", [0, 1])
def test_inferred_shapes_compute_no_branch(condition):
    c, a, n = ac.bscalar("c"), ac.dmatrix("a"), ac.lscalar("n")
    out = ac.ifelse(c, ac.linalg.cholesky(a)[:n], ac.zeros((n, 5)))
    shape = ac.infer_shapes([out])[out]
    assert out not in ac.graph.ancestors(list(shape))
    f = ac.function([c, a, n], [out, ac.tensors.shape_inference.shape_vector(shape)])
    value, got = f(np.int8(condition), np.eye(3) * (1 if condition else -1), 2)
    assert tuple(got) == value.shape == ((2, 3) if condition else (2, 5))


def test_dprint_shows_both_branches():
    c, x = ac.bscalar("c"), ac.dvector("x")
    text = ac.dprint(ac.ifelse(c, ac.exp(x), x, name="choose"), file=io.StringIO())
    assert text.splitlines()[0].startswith("IfElse{choose} [id A] <float64[?]>")
    inner = text.split("Inner graphs:")[1]
    assert "IfElse{choose} [id A]" in inner and " then:" in inner and " else:" in inner
    assert "← Elemwise{exp}" in inner and "← x" in inner


def test_a_function_with_ifelse_pickles():
    c, x = ac.bscalar("c"), ac.dvector("x")
    f = ac.function([c, x], ac.ifelse(c, ac.exp(x), x))
    f(np.int8(1), [0.0])  # the inner program exists now; it is rebuilt after unpickling
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_allclose(g(np.int8(1), [0.0, 1.0]), [1.0, np.e])
    np.testing.assert_array_equal(g(np.int8(0), [0.0, 1.0]), [0.0, 1.0])
