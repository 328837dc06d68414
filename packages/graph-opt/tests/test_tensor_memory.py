"""Memory planning: which outputs may take which dead buffers, never a user input, a constant, a graph output,
a buffer a live view still sees, nor a shared value other than by its own update."""

from __future__ import annotations

import numpy as np

import arignote_core as ac
from arignote_core.tensors.blas_ops import Gemm
from arignote_opt.tensor.memory import plan_memory


def graph(inputs, outputs):
    return ac.FunctionGraph(inputs, outputs, clone=False)


def test_an_elementwise_chain_computes_in_place_but_never_into_an_input():
    x = ac.dmatrix("x")
    a = ac.exp(x)
    b = ac.sin(a)
    c = b + 1
    plan = plan_memory(graph([x], [c]))
    choices = {(ch.node.op.scalar_op.name, ch.input) for ch in plan.in_place}
    assert choices == {("sin", 0), ("add", 0)}
    assert not any(ch.node.inputs[ch.input] is x for ch in plan.in_place)
    assert all(not ch.checked for ch in plan.in_place)
    assert "sin" in plan.describe()


def test_sizes_known_statically_need_no_run_time_check():
    x = ac.tensor("float64", (3, 4), "x")
    plan = plan_memory(graph([x], [ac.sin(ac.exp(x))]))
    (choice,) = plan.in_place
    assert choice.checked and plan.in_place_for(choice.node) == {0: choice}


def test_a_buffer_still_needed_later_or_returned_is_not_overwritten():
    x = ac.dmatrix("x")
    a = ac.exp(x)
    b = ac.sin(a)
    plan = plan_memory(graph([x], [b + a, a * 2]))
    order = plan.order
    last_reader = max(i for i, node in enumerate(order) if a in node.inputs)
    assert all(ch.node.inputs[ch.input] is not a or order.index(ch.node) == last_reader for ch in plan.in_place)
    assert not any(ch.node is b.owner for ch in plan.in_place)
    plan = plan_memory(graph([x], [ac.sin(a), a]))
    assert plan.in_place == ()


def test_a_broadcast_input_is_not_a_candidate():
    x, row = ac.dmatrix("x"), ac.tensor("float64", (1, None), "row")
    small = ac.exp(row)
    plan = plan_memory(graph([x, row], [small + x]))
    assert plan.in_place == ()


def test_a_buffer_seen_through_a_live_view_is_kept():
    x = ac.dmatrix("x")
    a = ac.exp(x)
    view = a.T
    total = ac.sin(a) + view.T
    plan = plan_memory(graph([x], [total]))
    assert all(ch.node.inputs[ch.input] is not a for ch in plan.in_place)


def test_a_shared_value_is_given_only_to_its_own_update():
    w = ac.shared(np.ones((2, 2)), "w")
    x = ac.dmatrix("x")
    update = w - 0.1 * x
    other = w * 2
    fgraph = graph([x, w], [other, update])
    assert not any(ch.node.inputs[ch.input] is w for ch in plan_memory(fgraph).in_place)
    plan = plan_memory(fgraph, destroyable={w: update})
    assert [(ch.node.outputs[ch.output], ch.node.inputs[ch.input]) for ch in plan.in_place] == [(update, w)]


def test_gemm_accumulates_into_a_dead_intermediate():
    a, b, c = ac.dmatrix("a"), ac.dmatrix("b"), ac.dmatrix("c")
    bias = ac.exp(c)
    node = Gemm().make_node(bias, ac.constant(1.0), a, b, ac.constant(1.0))
    plan = plan_memory(graph([a, b, c], node.outputs))
    assert [(type(ch.node.op), ch.input) for ch in plan.in_place] == [(Gemm, 0)]


def test_dead_intermediates_of_the_same_type_are_reused():
    x = ac.tensor("float64", (3, 3), "x")
    a = ac.exp(x)
    b = ac.dot(a, a)
    c = ac.dot(b, x)
    plan = plan_memory(graph([x], [ac.dot(c, c)]))
    assert plan.reuse == {c.owner.outputs[0]: a} or a in plan.reuse.values()
    assert all(donor not in (x,) for donor in plan.reuse.values())


def test_gemm_never_accumulates_into_a_buffer_one_of_its_factors_reads():
    # h + dot(h, W): Gemm(h, 1, h, W, 1) would overwrite rows of h the product still reads
    h, w = ac.exp(ac.dmatrix("x")), ac.dmatrix("w")
    node = Gemm().make_node(h, ac.constant(1.0), h, w, ac.constant(1.0))
    assert plan_memory(graph(list(ac.graph_inputs(node.outputs)), node.outputs)).in_place == ()
    view = Gemm().make_node(h, ac.constant(1.0), h.T, w, ac.constant(1.0))
    assert plan_memory(graph(list(ac.graph_inputs(view.outputs)), view.outputs)).in_place == ()
    # an element-by-element op reads its element of every operand before writing it: x * x may
    square = ac.exp(ac.dmatrix("y"))
    out = square * square
    assert len(plan_memory(graph(list(ac.graph_inputs([out])), [out])).in_place) == 1


def test_a_shared_update_keeps_out_of_buffers_the_caller_receives():
    w, a = ac.shared(np.ones((2, 2)), "w"), ac.dmatrix("a")
    update = Gemm().make_node(w, ac.constant(-0.1), a, a, ac.constant(1.0)).outputs[0]
    for returned in (w, w.T, w[0], update.T):  # the old value, views of it, a view of the new buffer
        fgraph = graph([a, w], [returned, update])
        assert plan_memory(fgraph, destroyable={w: update}).in_place == (), returned
    fgraph = graph([a, w], [w.sum(), update])
    assert len(plan_memory(fgraph, destroyable={w: update}).in_place) == 1
    # the update's own factor is the old value: W - 0.5 * dot(W, dot(W.T, W))
    own = Gemm().make_node(w, ac.constant(-0.5), w, ac.dot(w.T, w), ac.constant(1.0)).outputs[0]
    assert plan_memory(graph([w], [own]), destroyable={w: own}).in_place == ()


def test_a_buffer_seen_through_an_op_declared_view_is_kept():
    """SpecifyShape passes its input through (its view_map says so): GEMM must not accumulate into it while the
    buffer is also an output."""
    a, b, c, n = ac.dmatrix("a"), ac.dmatrix("b"), ac.dmatrix("c"), ac.lscalar("n")
    bias = ac.exp(c)
    node = Gemm().make_node(ac.specify_shape(bias, (n, n)), ac.constant(1.0), a, b, ac.constant(1.0))
    plan = plan_memory(graph([a, b, c, n], [node.outputs[0], bias]))
    assert plan.in_place == ()
