"""Canonicalization, constant folding and merging of tensor graphs: each rule keeps the values NumPy computes
(reference evaluator before and after), fires where it should and not where it must not."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from opt_helpers import STRICT, assert_rule, check, evaluate, only, ops, rewrite, sample

import arignote_core as ac
from arignote_core import Alloc, DimShuffle, Elemwise, Reshape, Shape
from arignote_core.scalars import Cast
from arignote_core.tensors.broadcast import broadcast_to, sum_to_shape
from arignote_opt import optimize
from arignote_opt.tensor import CANONICALIZE, FOLD

RNG = np.random.default_rng(1234)
CANON = only(FOLD, CANONICALIZE)
FAST_CANON = only(FOLD, CANONICALIZE, fast_math=True)


def mat(dtype="float64", shape=(None, None), name="x"):
    return ac.tensor(dtype, shape, name)


def values(*arrays):
    return list(arrays)


# -- sums and products ------------------------------------------------------------------------------------

SHAPES = [(3, 4), (0, 4), (1, 5)]
DTYPES = ["float64", "float32", "int64", "int16", "complex128"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_sums_collect_like_terms_and_fold_constants_like_numpy(dtype, shape):
    x, y, z = mat(dtype, name="x"), mat(dtype, name="y"), mat(dtype, name="z")
    expr = 2 * x + y - x + 3 - (z - y) - 1 + ac.negative(-x)
    xv, yv, zv = (sample(dtype, shape, RNG) for _ in range(3))
    fgraph, report = assert_rule("canonical_sum", True, expr, [x, y, z], [xv, yv, zv], CANON)
    assert ops(fgraph).count("Elemwise{subtract}") == 0


@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
@pytest.mark.parametrize("shape", SHAPES)
def test_products_collect_powers_and_fold_coefficients_like_numpy(dtype, shape):
    x, y = mat(dtype, name="x"), mat(dtype, name="y")
    expr = x * y * x / 2 / y * 3 * (1 / x) ** 2 * -x
    xv, yv = sample(dtype, shape, RNG, 0.5, 2.0), sample(dtype, shape, RNG, 0.5, 2.0)
    fgraph, _ = assert_rule("canonical_product_fast_math", True, expr, [x, y], [xv, yv], FAST_CANON, rtol=1e-5)
    arithmetic = [op for op in ops(fgraph) if op in ("Elemwise{multiply}", "Elemwise{true_divide}")]
    assert arithmetic == ["Elemwise{multiply}"]  # -1.5 * x, broadcast to the shape y had
    fgraph, _ = assert_rule("canonical_product", True, expr, [x, y], [xv, yv], CANON, rtol=1e-5)
    assert ops(fgraph).count("Elemwise{true_divide}") == 1  # x ** 3 * y * -1.5 / (x ** 2 * y): nothing cancels


def test_integer_products_fold_coefficients_without_dividing():
    x, y = mat("int64", name="x"), mat("int64", name="y")
    expr = 2 * x * y * 3 * x
    _, report = assert_rule("canonical_product", True, expr, [x, y],
                            [sample("int64", (3, 4), RNG), sample("int64", (3, 4), RNG)], CANON)
    z = optimize(expr, CANON)
    assert ac.pprint(z).endswith("* 6")


@pytest.mark.parametrize("expr, expected", [
    (lambda x: x - x, "Alloc"), (lambda x: x + 0, "x"), (lambda x: x * 1, "x"), (lambda x: x / x, "Alloc"),
    (lambda x: ac.negative(-x), "x"), (lambda x: (x + 1) - 1, "x"), (lambda x: 2 * x - x - x, "Alloc"),
])
def test_identities_simplify_to_the_input_or_filled_arrays(expr, expected):
    """With fast_math; without it the fills are for integers only (see the IEEE test below)."""
    x = mat()
    result = optimize(expr(x), FAST_CANON)
    assert (result is x) if expected == "x" else isinstance(result.owner.op, Alloc)
    check(expr(x), [x], [sample("float64", (3, 2), RNG)], FAST_CANON)
    integer = mat("int64")
    result = optimize(expr(integer), CANON)
    assert (result is integer) if expected == "x" else isinstance(result.owner.op, Alloc | Elemwise)


EDGES = np.array([[np.inf, -np.inf, np.nan], [0.0, -0.0, 1.5]])
CANCELLATIONS = {
    "x - x": lambda x, y: x - x, "x / x": lambda x, y: x / x, "x * 0": lambda x, y: x * 0,
    "2x - x": lambda x, y: 2 * x - x, "x + y - x": lambda x, y: x + y - x, "x * y / x": lambda x, y: x * y / x,
    "x * x / x": lambda x, y: x * x / x, "0 * x + y": lambda x, y: 0 * x + y, "(x + 1) - 1": lambda x, y: (x + 1) - 1,
}


@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
@pytest.mark.parametrize("name", sorted(CANCELLATIONS))
def test_without_fast_math_infinities_and_nan_give_numpys_results(name, dtype):
    """IEEE semantics by default: inf - inf is NaN, so x - x is not 0; 0 * inf is NaN, so x * 0 is not 0."""
    x, y = mat(dtype, name="x"), mat(dtype, name="y")
    values = [EDGES.astype(dtype), np.full((2, 3), 2.5, dtype)]
    with np.errstate(all="ignore"):
        fgraph, _ = check(CANCELLATIONS[name](x, y), [x, y], values, STRICT)
        expected = CANCELLATIONS[name](*values)
    np.testing.assert_allclose(evaluate(fgraph, values)[0], expected, rtol=1e-6)


def test_fast_math_cancels_what_ieee_semantics_keep():
    x, y = mat(name="x"), mat(name="y")
    fgraph, _ = assert_rule("canonical_sum_fast_math", True, x + y - x, [x, y], [EDGES[1:], EDGES[1:]], FAST_CANON)
    assert "Elemwise{add}" not in ops(fgraph)  # y, broadcast to the shape x might have given
    fgraph, _ = assert_rule("canonical_sum", True, x + y - x, [x, y], [EDGES, EDGES], CANON)
    assert ops(fgraph).count("Elemwise{add}") == 2


def test_like_terms_of_one_sign_still_merge_without_fast_math():
    x = mat()
    result = optimize(x + x + 3 * x, CANON)
    assert ac.pprint(result) == "x * 5.0"
    check(x + x + 3 * x, [x], [EDGES], CANON)


def test_x_minus_x_is_zeros_of_the_broadcast_shape():
    x, v = mat(), ac.dvector("v")
    expr = x - x + v
    check(expr, [x, v], [sample("float64", (3, 4), RNG), sample("float64", (4,), RNG)], FAST_CANON)
    check(expr, [x, v], [sample("float64", (3, 1), RNG), sample("float64", (4,), RNG)], FAST_CANON)
    static = ac.tensor("float64", (2, 3), "s")
    zeros = optimize(static - static, FAST_CANON)
    assert isinstance(zeros, ac.Constant) or isinstance(zeros.owner.op, Alloc)
    assert zeros.type.shape == (2, 3)


@pytest.mark.parametrize("build", [
    lambda: (lambda a, b: a + b)(mat("bool", name="a"), mat("bool", name="b")),
    lambda: (lambda a, b: a - b + a)(mat("uint8", name="a"), mat("uint8", name="b")),
])
def test_sums_of_bools_and_unsigned_integers_are_left_alone(build):
    expr = build()
    inputs = [v for v in ac.graph_inputs([expr]) if not isinstance(v, ac.Constant)]
    vals = [sample(v.type.dtype, (3, 2), RNG) if v.type.dtype != "bool" else RNG.integers(0, 2, (3, 2)) > 0
            for v in inputs]
    assert_rule("canonical_sum", False, expr, inputs, vals, CANON)


def test_sums_do_not_flatten_through_shared_or_other_dtype_terms():
    x, y = mat("float64", name="x"), mat("float64", name="y")
    shared = x + y
    i8 = mat("int8", name="i")
    exprs = [shared + 1, shared * 2]
    fgraph, _ = check(exprs, [x, y], [sample("float64", (2, 2), RNG)] * 2, CANON)
    assert sum(1 for n in fgraph.apply_nodes if str(n.op) == "Elemwise{add}") == 2
    promoted = (i8 + i8) + y  # int8 overflow happens before promotion: must stay in that order
    big = np.full((2, 2), 100, dtype="int8")
    check(promoted, [i8, y], [big, sample("float64", (2, 2), RNG)], CANON)


def test_equal_sums_written_differently_merge():
    x, y, z = mat(name="x"), mat(name="y"), mat(name="z")
    fgraph, _ = check([x + y + z, z + (y + x)], [x, y, z], [sample("float64", (2, 3), RNG)] * 3, CANON)
    assert fgraph.outputs[0] is fgraph.outputs[1]


# -- shape ops and casts ----------------------------------------------------------------------------------

M = ("float64", (3, 4))   # an input: dtype, the shape of its test value, [its type's sizes: unknown by default]
V = ("float64", (4,))


def build_case(specs, fn):
    """Inputs of unknown sizes for ``specs``, random values, and ``fn``'s outputs on them."""
    inputs = [ac.tensor(spec[0], spec[2] if len(spec) > 2 else (None,) * len(spec[1]), f"i{k}")
              for k, spec in enumerate(specs)]
    vals = [sample(spec[0], spec[1], RNG) for spec in specs]
    outputs = fn(*inputs)
    return (outputs if isinstance(outputs, list) else [outputs]), inputs, vals


CASES = [
    # rule, fires, input specs, outputs
    ("useless_dimshuffle", True, [M], lambda x: DimShuffle(2, (0, 1))(x)),
    ("useless_dimshuffle", False, [M], lambda x: x.T),
    ("compose_dimshuffles", True, [M], lambda x: x.T.T),
    ("compose_dimshuffles", True, [M], lambda x: x.dimshuffle("x", 1, 0).dimshuffle(2, 0, 1)),
    ("compose_dimshuffles", False, [M], lambda x: x.dimshuffle(1, "x", 0)),
    ("dimshuffle_through_elemwise", True, [M], lambda x: (ac.exp(x) + 1).T),
    ("dimshuffle_through_elemwise", False, [M], lambda x: (lambda e: [e.T, e])(ac.exp(x))),
    ("useless_reshape", True, [M], lambda x: x.reshape(x.shape)),
    ("useless_reshape", True, [V], lambda v: v.reshape(-1)),
    ("useless_reshape", True, [M], lambda x: x.reshape((x.shape[0], x.shape[1]))),
    ("useless_reshape", False, [M], lambda x: x.reshape((x.shape[1], x.shape[0]))),
    ("shape_op_of_itself", True, [M], lambda x: x.reshape((-1,)).reshape((2, -1))),
    ("shape_op_of_itself", False, [M], lambda x: x.reshape((2, -1))),
    ("useless_alloc", True, [M], lambda x: ac.alloc(x, x.shape[0], x.shape[1])),
    ("useless_alloc", False, [V], lambda v: ac.alloc(v, 3, v.shape[0])),
    ("shape_op_of_itself", True, [V], lambda v: ac.alloc(ac.alloc(v, 2, 4), 3, 2, 4)),
    ("shape_op_of_itself", False, [V], lambda v: ac.alloc(v, 3, 4)),
    ("useless_cast", True, [M], lambda x: Elemwise(Cast("float64"))(x)),
    ("useless_cast", False, [M], lambda x: x.astype("float32")),
    ("cast_of_cast", True, [("float32", (2, 3))], lambda x: x.astype("float64").astype("float32")),
    ("cast_of_cast", True, [("int8", (2, 3))], lambda x: x.astype("int32").astype("float64")),
    ("cast_of_cast", False, [M], lambda x: x.astype("float32").astype("float64")),
    ("log_of_exp", True, [M], lambda x: ac.log(ac.exp(x))),
    ("log_of_exp", False, [("complex128", (2, 2))], lambda z: ac.log(ac.exp(z * 5j))),
    ("power_one", True, [M], lambda x: x ** 1),
    ("power_one", False, [("int64", (2, 2))], lambda x: x ** 1.0),
    ("power_zero", True, [("float64", (0, 3))], lambda x: x ** 0 + x),
    ("power_zero", False, [M], lambda x: x ** x),
    ("switch_of_equal_branches", True, [M], lambda x: ac.where(x > 0, x, x)),
    ("switch_of_equal_branches", False, [M], lambda x: ac.where(x > 0, x, -x)),
    ("switch_of_constant_condition", True, [M], lambda x: ac.where(True, x, 2 * x)),
    ("switch_of_constant_condition", False, [M], lambda x: ac.where(np.array([True, False, True, True]), x, 2 * x)),
    ("constant_fold", True, [M], lambda x: x + ac.exp(ac.constant(np.arange(4.0)))),
    ("constant_fold", False, [M], lambda x: x + ac.alloc(1.0, 1000, 1000)[:3, :4]),
    ("static_shape", True, [M], lambda x: Shape()(x.reshape((3, 4)))),
    ("static_shape", False, [M], lambda x: Shape()(x)),
    ("inferred_shape", True, [M, V], lambda x, v: Shape()(ac.exp(x) * v)),
    ("inferred_shape", False, [M], lambda x: Shape()(x)),
    ("size_of_static_axis", True, [("float64", (3, 4), (3, None))], lambda x: Shape()(x)[0] * x),
    ("size_of_static_axis", False, [M], lambda x: x.shape[1] * x),
    ("entry_of_make_vector", True, [V], lambda v: ac.stack([v[0], v[1] * 2])[1]),
    ("useless_broadcast", True, [M], lambda x: broadcast_to(ac.exp(x), x.shape) + 1),
    ("useless_broadcast", False, [V], lambda v: broadcast_to(v, (3, v.shape[0]))),
    ("shape_op_of_itself", True, [V], lambda v: broadcast_to(broadcast_to(v, (2, 4)), (3, 2, 4))),
    ("shape_op_of_itself", False, [V], lambda v: broadcast_to(v, (3, 4))),
    ("useless_broadcast", True, [M], lambda x: sum_to_shape(x * 2, x.shape)),
    ("useless_broadcast", False, [M, V], lambda x, v: sum_to_shape(x * v, v.shape)),
    ("entry_of_make_vector", False, [V], lambda v: ac.stack([v[0], v[1] * 2])[ac.lscalar("i") * 0]),
]


@pytest.mark.parametrize("rule, fires, specs, fn", CASES,
                         ids=[f"{c[0]}-{'fires' if c[1] else 'not'}-{i}" for i, c in enumerate(CASES)])
def test_rule_keeps_values_and_fires_only_where_it_applies(rule, fires, specs, fn):
    outputs, inputs, vals = build_case(specs, fn)
    extra = [v for v in ac.graph_inputs(outputs) if v.owner is None and not isinstance(v, ac.Constant)
             and v not in inputs]
    assert_rule(rule, fires, outputs, inputs + extra, vals + [np.int64(0)] * len(extra), STRICT)


def test_a_constant_computation_that_fails_is_kept_for_run_time():
    index = ac.constant(5) * 0 + 7
    out = ac.constant(np.arange(3.0))[index]
    fgraph, _ = rewrite([out], [], STRICT)
    assert [type(n.op) for n in fgraph.toposort()] == [ac.Subtensor]
    with pytest.raises(IndexError, match="index 7 is out of bounds"):
        evaluate(fgraph, [])


def test_folded_constants_are_small_and_strong():
    x = mat("float32")
    expr = x * (ac.constant(2.0) * 3.0)
    fgraph, _ = check(expr, [x], [sample("float32", (2, 2), RNG)], only(FOLD))
    (node,) = fgraph.apply_nodes
    const = node.inputs[1]
    assert isinstance(const, ac.Constant) and not const.weak and const.data.item() == 6.0


def test_shape_of_a_difference_needs_no_difference():
    x = mat()
    result = optimize((x - x).shape, STRICT)
    assert not any(str(n.op).startswith("Elemwise{add") for n in ac.toposort([result]))
    assert all(isinstance(n.op, Shape | ac.Subtensor | ac.MakeVector) for n in ac.toposort([result]))


def test_reshape_rules_keep_element_order():
    x = mat(shape=(2, 6))
    check(x.reshape((3, 4)).reshape((4, 3)), [x], [sample("float64", (2, 6), RNG)])
    assert isinstance(optimize(x.reshape((3, 4)).reshape((4, 3)), CANON).owner.op, Reshape)


@dataclass(frozen=True)
class Relabel(ac.Op):
    """The identity, standing for autograd's gradient ops (``zero_grad``...) when marked identity at run time."""

    marked: bool

    def make_node(self, x):
        x = ac.as_tensor(x)
        return ac.Apply(self, [x], [x.type])

    def perform(self, node, inputs):
        return [inputs[0]]

    @property
    def identity_at_runtime(self):
        return self.marked


@pytest.mark.parametrize("marked", [True, False])
def test_ops_that_are_the_identity_at_run_time_vanish(marked):
    x = mat()
    fgraph, _ = assert_rule("identity_at_runtime", marked, [ac.exp(Relabel(marked)(x)) + 1], [x],
                            [sample("float64", (2, 3), RNG)])
    assert any(isinstance(n.op, Relabel) for n in fgraph.apply_nodes) != marked


def test_the_shape_of_a_deep_computation_is_read_off_its_input_in_one_rewrite():
    x, v = mat(), ac.dvector("v")
    y = x
    for _ in range(400):  # deeper than Python's recursion limit allows a recursive walk to go
        y = ac.sin(y) + v
    fgraph, report = check(Shape()(y), [x, v], [sample("float64", (3, 4), RNG), sample("float64", (4,), RNG)])
    assert report.fired()["inferred_shape"] == 1
    # the shape, and the one check that v's size broadcasts with x's columns, as computing y would have checked
    assert {type(n.op) for n in fgraph.apply_nodes} <= {Shape, ac.Subtensor, ac.MakeVector, Elemwise, ac.CheckAndRaise}
    assert len(fgraph.apply_nodes) < 10
    with pytest.raises(ValueError, match="could not be broadcast"):
        evaluate(fgraph, [sample("float64", (3, 4), RNG), sample("float64", (5,), RNG)])



@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_coefficient_below_one_scales_before_the_product_can_overflow(dtype):
    """gelu's ``0.5 * x * (1 + erf(x / sqrt 2))`` stays finite near the dtype's maximum after canonicalization."""
    x = ac.tensor(dtype, (None,), "x")
    big = np.finfo(dtype).max / 1.5
    values = [np.array([big, -big, 1.0], dtype)]
    fgraph, _ = rewrite([0.5 * x * (1 + ac.erf(x / 2 ** 0.5))], [x])
    got = evaluate(fgraph, values)[0]
    assert got.dtype == dtype and np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [big, 0.0, 0.8413447460685429], rtol=1e-6)



def test_a_constant_over_a_value_stays_a_division():
    """c / z is not (1 / z) * c: 1 / z overflows where z is subnormal, and 0 / 5e-324 is 0, not 0 * inf."""
    z = ac.dvector("z")
    for c in (0.0, 0.5, -3.0):
        fgraph, _ = check(c / z, [z], [np.array([5e-324, 1e-310, 2.0])], CANON)
        assert not np.isnan(evaluate(fgraph, [np.array([5e-324])])[0]).any()


def test_a_product_with_zero_keeps_its_order_where_the_other_factors_could_overflow():
    """y * (y * 0) is 0 for a finite y; (y * y) * 0 would be NaN where y * y overflows (float32 -3.4e37)."""
    y = ac.tensor("float32", (None,), "y")
    fgraph, _ = check(y * (y * 0), [y], [np.array([1.0, -3.4e37], dtype=np.float32)], CANON)
    assert not np.isnan(evaluate(fgraph, [np.array([-3.4e37], dtype=np.float32)])[0]).any()



def test_a_division_by_a_constant_stays_a_division_unless_its_reciprocal_is_exact():
    """``x / 3`` is not ``x * 0.333...`` (one ulp apart: the deviations of a mean of three values near 1e300,
    squared, were inf where NumPy's are 0, fuzz case 8888:820); ``x / 4`` is ``x * 0.25`` exactly, and under
    fast_math any division by a constant is a product."""
    x = ac.dvector("x")
    values = np.array([1.0 / 1e-300] * 3)
    fgraph, _ = rewrite([x / 3.0], [x], STRICT)
    assert evaluate(fgraph, [values])[0].tolist() == (values / 3.0).tolist()
    assert "true_divide" in str(ops(fgraph)) and "multiply" not in str(ops(fgraph))
    quarter, _ = rewrite([x / 4.0], [x], STRICT)
    assert "multiply" in str(ops(quarter))
    mean = ac.sum(x) / 3.0
    std, _ = rewrite([ac.sqrt(ac.sum((x - mean) ** 2) / 2.0)], [x], STRICT)
    assert evaluate(std, [values])[0] == 0.0
    fast, _ = rewrite([x / 3.0], [x], FAST_CANON)
    assert "multiply" in str(ops(fast))


@pytest.mark.parametrize("build", [lambda g, u: g / u ** 2, lambda g, u: g * u ** 3, lambda g, u: (g / u) / u,
                                   lambda g, u: (g * (-2.5 / u)) / u, lambda g, u: g * u ** -4 * u])
def test_a_negation_under_a_power_flips_the_sign_only_for_odd_powers(build):
    """``g / (-z) ** 2`` is ``g / z ** 2``, not its negation (fuzz case 120712:2085: the gradient of
    ``sin(-2.5 / -z)`` through an ifelse had its sign flipped); ``g * (-z) ** 3`` is ``-(g * z ** 3)``."""
    z, g = ac.dmatrix("z"), ac.dmatrix("g")
    check(build(g, -z), [z, g], [np.array([[2.0, -3.0]]), np.array([[1.5, 0.5]])], STRICT)
