"""Elementwise fusion and fused reductions: values equal NumPy's on many shapes, dtypes, broadcasts, empty
and non-contiguous arrays; groups are convex, outputs keep their shapes, and limits hold."""

from __future__ import annotations

import numpy as np
import pytest
from opt_helpers import STRICT, check, evaluate, only, sample

import arignote_core as ac
from arignote_core import Composite, Elemwise, Reduce
from arignote_core.tensors.fused_reduce import FusedReduce
from arignote_opt import optimize
from arignote_opt.tensor import FUSE
from arignote_opt.tensor.fusion import MAX_INPUTS

RNG = np.random.default_rng(5)
FUSE_ONLY = only(FUSE, fixpoint=False)


def kernels(fgraph):
    return [n for n in fgraph.toposort() if isinstance(n.op, Elemwise) and isinstance(n.op.scalar_op, Composite)]


def elemwise_nodes(fgraph):
    return [n for n in fgraph.toposort() if isinstance(n.op, Elemwise)]


def views(array):
    """The same values as a contiguous array, a transposed copy's transpose, and a strided view."""
    wide = np.repeat(array, 2, axis=-1) if array.ndim else array
    strided = wide[..., ::2] if array.ndim else array
    return [array, np.asfortranarray(array), strided]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "complex128"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((0, 4), (4,)), ((1, 5), (3, 1))])
def test_an_elementwise_expression_becomes_one_kernel_with_numpys_values(dtype, shapes):
    x = ac.tensor(dtype, (None,) * len(shapes[0]), "x")
    y = ac.tensor(dtype, (None,) * len(shapes[1]), "y")
    expr = (x * y + 2) * (x - y) + abs(x) * 3
    xv, yv = sample(dtype, shapes[0], RNG), sample(dtype, shapes[1], RNG)
    for xview in views(xv):
        fgraph, report = check(expr, [x, y], [xview, yv], FUSE_ONLY)
        assert len(kernels(fgraph)) == 1 and len(elemwise_nodes(fgraph)) == 1
        assert report.fired()["fuse_elementwise"] == 1


def test_constants_are_inlined_without_changing_dtypes():
    x = ac.fmatrix("x")
    expr = ac.exp(x * 2.0 + 1) - 0.5
    fgraph, _ = check(expr, [x], [sample("float32", (2, 3), RNG)], FUSE_ONLY)
    (kernel,) = kernels(fgraph)
    assert kernel.inputs == fgraph.inputs and kernel.outputs[0].type.dtype == "float32"


def test_a_shared_intermediate_gives_a_kernel_with_several_outputs():
    x = ac.dmatrix("x")
    a = ac.exp(x)
    outputs = [a + 1, a * 2, a]
    fgraph, _ = check(outputs, [x], [sample("float64", (3, 2), RNG)], FUSE_ONLY)
    (kernel,) = kernels(fgraph)
    assert len(kernel.outputs) == 3
    assert {id(o) for o in fgraph.outputs} == {id(o) for o in kernel.outputs}


def test_an_output_that_may_be_smaller_than_the_loop_stays_out_of_it():
    x, y = ac.dmatrix("x"), ac.dvector("y")
    a = ac.exp(x)
    outputs = [ac.sin(a + y), a]
    for xv in (sample("float64", (3, 1), RNG), sample("float64", (3, 4), RNG)):
        fgraph, _ = check(outputs, [x, y], [xv, sample("float64", (4,), RNG)], FUSE_ONLY)
        assert all(len(k.outputs) == 1 for k in kernels(fgraph))


def test_groups_stay_convex_around_non_elementwise_paths():
    x = ac.dmatrix("x")
    a = ac.exp(x)
    total = ac.sum(a, axis=1, keepdims=True)
    expr = ac.log(a * total + a)
    fgraph, _ = check(expr, [x], [sample("float64", (3, 4), RNG)], FUSE_ONLY)
    order = fgraph.toposort()
    assert len(order) == len(set(order))
    (last,) = [n for n in order if n.outputs[0] is fgraph.outputs[0]]
    assert any(isinstance(inp.owner.op, ac.DimShuffle) for inp in last.inputs if inp.owner)


def acyclic(fgraph):
    """Whether no node depends on itself (a cycle toposort cannot see: it would order it anyway)."""
    position = {node: i for i, node in enumerate(fgraph.toposort())}
    return all(inp.owner is None or position[inp.owner] < position[node] for node in position for inp in node.inputs)


def test_a_kernel_made_earlier_in_the_pass_is_followed_by_the_convexity_search():
    # exp(x) -> sum -> mean's division -> (mean * 2, one kernel) and exp(x) * mean (another): the second group
    # may not take exp(x), since mean, computed from it, is now the output of a kernel made in the same pass
    x = ac.dvector("x")
    e = ac.exp(x)
    m = ac.mean(e)
    fgraph, _ = check([e * m, m * 2], [x], [np.array([0.0, 1.0])], FUSE_ONLY)
    assert acyclic(fgraph)
    fgraph, _ = check([e * m, m * 2], [x], [np.array([0.0, 1.0])])
    assert acyclic(fgraph)


def test_different_broadcast_patterns_make_different_kernels():
    x, v = ac.dmatrix("x"), ac.dvector("v")
    expr = ac.exp(ac.sin(v) * 2) + ac.cos(x)
    fgraph, _ = check(expr, [x, v], [sample("float64", (3, 4), RNG), sample("float64", (4,), RNG)], FUSE_ONLY)
    assert len(elemwise_nodes(fgraph)) == 2


def test_a_kernel_takes_at_most_max_inputs_inputs():
    xs = [ac.dvector(f"x{i}") for i in range(MAX_INPUTS + 8)]
    total = xs[0]
    for x in xs[1:]:
        total = total + ac.exp(x)
    fgraph, _ = check(total, xs, [sample("float64", (3,), RNG) for _ in xs], FUSE_ONLY)
    assert all(len(k.inputs) <= MAX_INPUTS for k in kernels(fgraph))
    assert len(kernels(fgraph)) == 2


def test_fusing_a_fused_graph_again_changes_nothing():
    x, y = ac.dmatrix("x"), ac.dmatrix("y")
    fgraph = ac.FunctionGraph([x, y], [ac.exp(x) * y + 1])
    FUSE_ONLY(fgraph)
    first = [str(n.op) for n in fgraph.toposort()]
    report = FUSE_ONLY(fgraph)
    assert [str(n.op) for n in fgraph.toposort()] == first and report.fired() == {}


def test_a_kernel_fed_by_another_kernel_is_inlined_into_one():
    x = ac.dmatrix("x")
    inner = optimize(ac.exp(x) + 1, FUSE_ONLY)
    fgraph, _ = check(ac.sin(inner) * 2, [x], [sample("float64", (2, 2), RNG)], FUSE_ONLY)
    (kernel,) = kernels(fgraph)
    assert "exp" in kernel.op.scalar_op.name and "sin" in kernel.op.scalar_op.name


# -- fused reductions ------------------------------------------------------------------------------------

@pytest.mark.parametrize("axis, keepdims", [(1, False), (0, True), (None, False)])
@pytest.mark.parametrize("reduce", [ac.sum, ac.max, ac.prod])
def test_a_reduction_of_an_expression_is_one_fused_loop(axis, keepdims, reduce):
    x, y = ac.dmatrix("x"), ac.dvector("y")
    m = ac.max(x, axis=1, keepdims=True)
    expr = reduce(ac.exp(x - m) * y, axis=axis, keepdims=keepdims)
    for shape in [(3, 4), (1, 4)]:
        fgraph, report = check(expr, [x, y], [sample("float64", shape, RNG), sample("float64", (4,), RNG)], STRICT)
        assert report.fired()["fuse_reductions"] == 1
        fused = [n for n in fgraph.toposort() if isinstance(n.op, FusedReduce)]
        assert len(fused) == 1 and "exp" in fused[0].op.composite.name


def test_a_reduction_does_not_absorb_an_expensive_expression_used_elsewhere():
    x = ac.dmatrix("x")
    e = ac.exp(x)
    fgraph, _ = check([ac.sum(e, axis=0), e], [x], [sample("float64", (2, 3), RNG)], FUSE_ONLY)
    assert not any(isinstance(n.op, FusedReduce) for n in fgraph.apply_nodes)
    assert any(isinstance(n.op, Reduce) for n in fgraph.apply_nodes)


def test_a_reduction_recomputes_a_cheap_shared_piece_rather_than_reading_it():
    x, m = ac.dmatrix("x"), ac.dmatrix("m")
    shifted = x - m
    outputs = [ac.sum(ac.exp(shifted), axis=1), shifted * 2]
    fgraph, _ = check(outputs, [x, m], [sample("float64", (2, 3), RNG)] * 2, FUSE_ONLY)
    (fused,) = [n for n in fgraph.toposort() if isinstance(n.op, FusedReduce)]
    assert fused.inputs == fgraph.inputs


def test_log_softmax_lowers_to_two_loops_and_a_max():
    x = ac.dmatrix("x")
    from arignote_core.tensors.special import log_softmax

    fgraph, _ = check(log_softmax(x), [x], [sample("float64", (4, 5), RNG) * 300])
    loops = [n for n in fgraph.toposort() if isinstance(n.op, FusedReduce)
             or (isinstance(n.op, Elemwise) and n.outputs[0].type.ndim == 2)]
    assert sorted(type(n.op).__name__ for n in loops) == ["Elemwise", "FusedReduce", "FusedReduce"]


def test_fused_reduce_refuses_inputs_of_different_ndim():
    x, v = ac.dmatrix("x"), ac.dvector("v")
    a, b = ac.ScalarType("float64")(), ac.ScalarType("float64")()
    add = ac.scalars.SCALAR_OPS["add"]
    op = FusedReduce(Composite([a, b], [add(a, b)]), add, (0,), "float64")
    with pytest.raises(TypeError, match="inputs must have equal ndim"):
        op.make_node(x, v)
    out = op.make_node(x, ac.dmatrix("y")).outputs[0]
    assert out.type.ndim == 1
    values = [sample("float64", (2, 3), RNG), sample("float64", (2, 3), RNG)]
    got = evaluate(ac.FunctionGraph(out.owner.inputs, [out], clone=False), values)[0]
    np.testing.assert_allclose(got, (values[0] + values[1]).sum(axis=0))


@pytest.mark.parametrize(("constant", "dtype"), [(1e308, "float32"), (1e-300, "float32"), (70000.0, "float16")])
def test_a_fused_weak_constant_is_taken_in_the_dtype_the_op_computes_in(constant, dtype):
    """NumPy converts a Python float to the array's dtype first: 1e308 % float32(1) is inf % 1, NaN, not 0."""
    x = ac.tensor(dtype, (None,), "x")
    with np.errstate(all="ignore"):
        fgraph, _ = check(-(constant % x) * (x + 1), [x], [np.array([1.0, 3.0], dtype=dtype)], STRICT)
    assert any(isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, Composite)
               for node in fgraph.toposort())
