"""Specialization (powers, subtraction, lowered special functions), BLAS forms and matrix chains: values
equal NumPy's before and after, each rule fires where it should and not where it must not."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from opt_helpers import STRICT, assert_rule, check, evaluate, only, op_types, sample

import arignote_core as ac
from arignote_core.tensors.blas_ops import Gemm, Gemv
from arignote_core.tensors.fused_reduce import FusedReduce, max_with_identity
from arignote_core.tensors.special import LogSoftmax, LogSumExp, Softmax, log_softmax, logsumexp, softmax
from arignote_opt import optimize
from arignote_opt.tensor import FOLD, SPECIALIZE
from arignote_opt.tensor.matrix_chain import MatrixChain, optimal_order

RNG = np.random.default_rng(99)
SPECIAL = only(FOLD, SPECIALIZE)


def positive(shape=(3, 4), dtype="float64"):
    return sample(dtype, shape, RNG, 0.5, 2.0)


CASES = [
    # rule, fires, rewriter, input dtype, expression
    ("square", True, SPECIAL, "float64", lambda x: x ** 2),
    ("square", True, SPECIAL, "int32", lambda x: x ** 2),
    ("square", False, SPECIAL, "float64", lambda x: x ** 2.5),
    ("sqrt", True, SPECIAL, "float32", lambda x: x ** 0.5),
    ("sqrt", False, SPECIAL, "int64", lambda x: x ** 0.5),
    ("reciprocal", True, SPECIAL, "float64", lambda x: x ** -1),
    ("reciprocal", False, SPECIAL, "float64", lambda x: x ** -2.5),
    ("reciprocal_sqrt", True, SPECIAL, "float64", lambda x: x ** -0.5),
    ("integer_power", True, SPECIAL, "float64", lambda x: x ** 7),
    ("integer_power", True, SPECIAL, "float64", lambda x: x ** -3),
    ("integer_power", True, SPECIAL, "int64", lambda x: x ** 5),
    ("integer_power", False, SPECIAL, "float64", lambda x: x ** 40),
    ("integer_power", False, SPECIAL, "int64", lambda x: x ** -3.0),
    ("subtract", True, SPECIAL, "float64", lambda x: x + -ac.exp(x)),
    ("subtract", True, STRICT, "float64", lambda x: ac.exp(x) - ac.sin(x)),
    ("subtract", False, SPECIAL, "float64", lambda x: x + ac.exp(x)),
    ("negate", True, SPECIAL, "float64", lambda x: ac.exp(x) * -1),
    ("negate", False, SPECIAL, "float64", lambda x: ac.exp(x) * -2),
    ("divide", True, SPECIAL, "float64", lambda x: ac.exp(x) * ac.reciprocal(x)),
    ("divide", False, SPECIAL, "float64", lambda x: ac.exp(x) * ac.sqrt(x)),
    ("lower_softmax", True, SPECIAL, "float64", lambda x: softmax(x, axis=1)),
    ("lower_log_softmax", True, SPECIAL, "float32", lambda x: log_softmax(x, axis=0)),
    ("lower_logsumexp", True, SPECIAL, "float64", lambda x: logsumexp(x, axis=1, keepdims=True)),
    ("lower_logsumexp", True, SPECIAL, "float64", lambda x: logsumexp(x)),
    ("lower_softmax", False, SPECIAL, "float64", lambda x: ac.exp(x)),
]


@pytest.mark.parametrize("rule, fires, rewriter, dtype, build", CASES,
                         ids=[f"{c[0]}-{'fires' if c[1] else 'not'}-{i}" for i, c in enumerate(CASES)])
def test_rule_keeps_values_and_fires_only_where_it_applies(rule, fires, rewriter, dtype, build):
    x = ac.tensor(dtype, (None, None), "x")
    for shape in [(3, 4), (0, 2)]:
        assert_rule(rule, fires, build(x), [x], [positive(shape, dtype)], rewriter)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("exponent", [0, 1, 2, 3, 4, 7, 16, -1, -3, -4, -16, 0.5, -0.5])
def test_specialized_powers_keep_numpys_values_at_the_edges(dtype, exponent):
    """Zeros of both signs, infinities, NaN, negative bases, and magnitudes whose 16th power still fits."""
    big = 1e10 if dtype == "float64" else 1e2
    x = ac.tensor(dtype, (None,), "x")
    values = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -2.0, 3.0, -0.75, big, -big, 1 / big], dtype)
    fgraph, _ = check(x ** exponent, [x], [values])
    with np.errstate(all="ignore"):
        expected = np.power(values, np.asarray(exponent, dtype))
    np.testing.assert_allclose(evaluate(fgraph, [values])[0], expected, rtol=1e-6 if dtype == "float32" else 1e-13)


def test_powers_become_multiplications_of_squares():
    x = ac.dvector("x")
    result = optimize(x ** 6, SPECIAL)
    names = [str(n.op) for n in ac.toposort([result])]
    assert names.count("Elemwise{square}") == 2 and names.count("Elemwise{multiply}") == 1


@pytest.mark.parametrize("build, op", [(lambda x: softmax(x, axis=1), Softmax),
                                       (lambda x: log_softmax(x, axis=1), LogSoftmax),
                                       (lambda x: logsumexp(x, axis=1), LogSumExp)])
def test_lowered_special_functions_stay_stable_and_handle_empty_and_infinite_rows(build, op):
    x = ac.dmatrix("x")
    values = np.array([[1000.0, 999.0, -np.inf], [-np.inf, -np.inf, -np.inf], [1.0, 2.0, 3.0]])
    fgraph, _ = check(build(x), [x], [values])
    assert op not in op_types(fgraph)
    check(build(x), [x], [np.zeros((2, 0))])
    check(build(x), [x], [np.zeros((0, 3))])
    expected = {Softmax: scipy.special.softmax, LogSoftmax: scipy.special.log_softmax,
                LogSumExp: scipy.special.logsumexp}[op](values[[0, 2]], axis=1)
    np.testing.assert_allclose(evaluate(fgraph, [values])[0][[0, 2]], expected, rtol=1e-14)


def test_lowering_can_be_left_out_by_tag():
    x = ac.dmatrix("x")
    result = optimize(softmax(x), STRICT.excluding("lower_special"))
    assert isinstance(result.owner.op, Softmax)


# -- BLAS -----------------------------------------------------------------------------------------------

def matrices(*shapes, dtype="float64"):
    return [sample(dtype, s, RNG) for s in shapes]


BLAS_CASES = [
    # rule, fires, input (dtype, shape) list, expression, expected op
    ("gemm_from_sum", True, [(2, 3), (3, 4), (4,)], lambda a, b, c: ac.dot(a, b) + c, Gemm),
    ("gemm_from_sum", True, [(2, 3), (3, 4), (2, 4)], lambda a, b, c: 2 * ac.dot(a, b) - 3 * c, Gemm),
    ("gemm_from_sum", True, [(2, 3), (3, 4), (2, 4)], lambda a, b, c: c - ac.dot(a, b), Gemm),
    ("gemm_from_sum", True, [(3, 2), (4, 3), (2, 4)], lambda a, b, c: ac.dot(a.T, b.T) * 0.5 + c, Gemm),
    ("gemm_from_sum", True, [(2, 3), (3,), (2,)], lambda a, v, c: ac.dot(a, v) + c, Gemv),
    ("gemm_from_sum", True, [(3, 2), (3,), (2,)], lambda a, v, c: ac.dot(v, a) - c, Gemv),
    # a scale of one element that is not 0-d (a DimShuffle dropping its axis of size 1) is beta, made 0-d
    ("gemm_from_sum", True, [(3, 2), (3,), (2,)],
     lambda a, v, c: ac.dot(v, a) + c * ac.specify_shape(v[:1], (1,)).dimshuffle("x"), Gemv),
    ("gemm_from_sum", True, [(2, 3), (3, 4), (2, 4)], lambda a, b, c: ac.matmul(a, b) + 1, Gemm),
    ("gemm_from_sum", False, [(2, 3), (3, 4), (2, 4)], lambda a, b, c: ac.dot(a, b) * c, None),
    ("gemm_from_sum", False, [(2, 3), (3, 4), (2, 4)], lambda a, b, c: [ac.dot(a, b) + c, ac.dot(a, b)], None),
    ("gemm_from_product", True, [(3, 2), (3, 4)], lambda a, b: ac.dot(a.T, b), Gemm),
    ("gemm_from_product", True, [(2, 3), (3, 4)], lambda a, b: -2.0 * ac.dot(a, b), Gemm),
    ("gemm_from_product", True, [(3, 2), (3,)], lambda a, v: ac.dot(a.T, v), Gemv),
    ("gemm_from_product", True, [(2, 3), (4, 3), (2, 4)], lambda a, b, c: ac.dot(a, b.T) * ac.exp(c), Gemm),
    ("gemm_from_product", False, [(2, 3), (3, 4)], lambda a, b: ac.dot(a, b), None),
    ("gemm_from_product", False, [(2, 3), (3,)], lambda a, v: ac.dot(v, a.T), None),
    ("transpose_of_product", True, [(2, 3), (3, 4)], lambda a, b: ac.dot(a, b).T, Gemm),
    ("transpose_of_product", False, [(2, 3), (3, 4)], lambda a, b: (lambda p: [p.T, p])(ac.dot(a, b)), None),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("rule, fires, shapes, build, op", BLAS_CASES,
                         ids=[f"{c[0]}-{'fires' if c[1] else 'not'}-{i}" for i, c in enumerate(BLAS_CASES)])
def test_blas_rules_keep_values_and_fire_only_where_they_apply(dtype, rule, fires, shapes, build, op):
    inputs = [ac.tensor(dtype, (None,) * len(s), f"m{i}") for i, s in enumerate(shapes)]
    outputs = build(*inputs)
    fgraph, _ = assert_rule(rule, fires, outputs if isinstance(outputs, list) else [outputs], inputs,
                            matrices(*shapes, dtype=dtype), STRICT)
    if op is not None:
        assert op in op_types(fgraph)


def test_integer_products_stay_dots():
    a, b = ac.lmatrix("a"), ac.lmatrix("b")
    fgraph, report = check(ac.dot(a, b) + 1, [a, b], [sample("int64", (2, 2), RNG)] * 2)
    assert "gemm_from_sum" not in report.fired() and ac.Dot in op_types(fgraph)


def test_gemm_and_gemv_ops_match_numpy_and_refuse_bad_inputs():
    a, b, c = matrices((3, 2), (4, 3), (1, 4))
    A, B, C = ac.dmatrix("A"), ac.dmatrix("B"), ac.dmatrix("C")
    alpha, beta = ac.dscalar("alpha"), ac.dscalar("beta")
    node = Gemm(True, True).make_node(C, alpha, A, B, beta)
    got = evaluate(ac.FunctionGraph([C, alpha, A, B, beta], node.outputs), [c, 2.0, a, b, -1.0])[0]
    np.testing.assert_allclose(got, -1.0 * c + 2.0 * a.T @ b.T, rtol=1e-14)
    x, y = ac.dvector("x"), ac.dvector("y")
    gemv = Gemv(False).make_node(y, alpha, A, x, beta)
    v, w, m = sample("float64", (2,), RNG), sample("float64", (3,), RNG), sample("float64", (3, 2), RNG)
    got = evaluate(ac.FunctionGraph([y, alpha, A, x, beta], gemv.outputs), [w, 0.5, m, v, 0.0])[0]
    np.testing.assert_allclose(got, 0.5 * m @ v, rtol=1e-14)
    with pytest.raises(TypeError, match="computes in float32 or float64, got int64"):
        Gemm().make_node(ac.lmatrix(), ac.lscalar(), ac.lmatrix(), ac.lmatrix(), ac.lscalar())
    with pytest.raises(TypeError, match="b must be float64 like the others"):
        Gemm().make_node(C, alpha, A, ac.fmatrix(), beta)
    with pytest.raises(ValueError, match="inner sizes differ: 3 and 4"):
        Gemm().make_node(C, alpha, ac.tensor("float64", (2, 3)), ac.tensor("float64", (4, 2)), beta)


def test_gemm_shape_is_inferred_without_computing_it():
    a, b, c = ac.dmatrix("a"), ac.dmatrix("b"), ac.dvector("c")
    shape = optimize((ac.dot(a, b) + c).shape, STRICT)
    assert not any(isinstance(n.op, Gemm | ac.Dot) for n in ac.toposort([shape]))
    check((ac.dot(a, b) + c).shape, [a, b, c], matrices((2, 3), (3, 4), (4,)))


# -- matrix chains ---------------------------------------------------------------------------------------

def test_optimal_order_is_numpys_multi_dot_order():
    cost, tree = optimal_order([10, 100, 5, 50])
    assert tree == ((0, 1), 2) and cost == 10 * 100 * 5 + 10 * 5 * 50
    cost, tree = optimal_order([50, 5, 100, 10])
    assert tree == (0, (1, 2)) and cost == 5 * 100 * 10 + 50 * 5 * 10


@pytest.mark.parametrize("shapes, build", [
    ([(100, 5), (5, 100), (100, 3)], lambda a, b, c: ac.dot(ac.dot(a, b), c)),
    ([(3, 100), (100, 5), (5, 100), (100,)], lambda a, b, c, v: ac.dot(ac.dot(ac.dot(a, b), c), v)),
    ([(50,), (50, 40), (40, 30)], lambda v, a, b: ac.dot(v, ac.dot(a, b))),
])
def test_matrix_chains_are_reassociated_to_the_cheapest_order(shapes, build):
    inputs = [ac.tensor("float64", s, f"m{i}") for i, s in enumerate(shapes)]
    assert_rule("reassociate_matrix_chain", True, build(*inputs), inputs, matrices(*shapes), STRICT)


def test_matrix_chains_stay_when_already_cheapest():
    shapes = [(5, 100), (100, 5), (5, 100)]
    inputs = [ac.tensor("float64", s, f"m{i}") for i, s in enumerate(shapes)]
    expr = ac.dot(ac.dot(inputs[0], inputs[1]), inputs[2])
    assert_rule("reassociate_matrix_chain", False, expr, inputs, matrices(*shapes), STRICT)


@pytest.mark.parametrize("shapes", [
    [(100, 5), (5, 100), (100, 3)], [(5, 100), (100, 5), (5, 100)], [(3, 40), (40, 2), (2, 50), (50,)],
    [(60,), (60, 7), (7, 80)], [(0, 4), (4, 5), (5, 6)], [(4,), (4, 5), (5,)],
])
def test_a_chain_of_unknown_sizes_is_ordered_at_run_time(shapes):
    """With sizes unknown to the types the order is chosen per call (the same dynamic program), and the
    result is the product's."""
    inputs = [ac.tensor("float64", (None,) * len(s), f"m{i}") for i, s in enumerate(shapes)]
    expr = inputs[0]
    for operand in inputs[1:]:
        expr = ac.dot(expr, operand)
    fgraph, _ = assert_rule("reassociate_matrix_chain", True, expr, inputs, matrices(*shapes), STRICT)
    assert [type(n.op) for n in fgraph.toposort()] == [MatrixChain]
    with pytest.raises(ValueError, match="not aligned"):
        evaluate(fgraph, matrices(*shapes[:-1], (9, 3) if len(shapes[-1]) == 2 else (9,)))


def test_fused_reduce_with_an_initial_value_handles_empty_axes():
    x = ac.dmatrix("x")
    m = max_with_identity(x, (1,))
    assert isinstance(m.owner.op, FusedReduce)
    got = evaluate(ac.FunctionGraph([x], [m]), [np.zeros((3, 0))])[0]
    np.testing.assert_array_equal(got, [-np.inf] * 3)


@pytest.mark.parametrize("build", [softmax, log_softmax, logsumexp], ids=["softmax", "log_softmax", "logsumexp"])
def test_float16_special_functions_are_lowered_in_float32(build):
    x = ac.tensor("float16", (None, None), "x")
    value = np.array([[0, 1], [6, 0], [1, 5]], dtype=np.float16)
    fgraph, _ = check(build(x, axis=0), [x], [value], SPECIAL, rtol=2e-3, atol=1e-4)
    assert not {Softmax, LogSoftmax, LogSumExp} & set(op_types(fgraph))
    oracle = getattr(scipy.special, build.__name__)(value.astype(np.float32), axis=0).astype(np.float16)
    (got,) = evaluate(fgraph, [value])
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float32), oracle.astype(np.float32), rtol=2e-3, atol=1e-4)
