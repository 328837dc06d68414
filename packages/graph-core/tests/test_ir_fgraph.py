"""FunctionGraph: toposort, clients, validated replacement that stays local, cloning; op equality."""

import numpy as np
import pytest

import arignote_core as ac
from arignote_core import FunctionGraph


def _graph():
    x, y = ac.dvector("x"), ac.dvector("y")
    a = ac.exp(x)
    b = a * y
    return x, y, a, b, FunctionGraph([x, y], [b + a])


def test_clone_leaves_user_graph_untouched():
    x, y, a, b, fg = _graph()
    assert fg.inputs[0] is not x and fg.memo[x] is fg.inputs[0]
    new_a = fg.memo[a]
    fg.replace(new_a, ac.log(fg.inputs[0]))
    assert a.owner.op == ac.Elemwise(ac.scalars.SCALAR_OPS["exp"])  # original unchanged
    assert b.owner.inputs[0] is a


def test_toposort_and_clients():
    _, _, a, b, fg = _graph()
    order = fg.toposort()
    assert len(order) == 3
    for k, node in enumerate(order):
        for inp in node.inputs:
            if inp.owner is not None:
                assert order.index(inp.owner) < k
    fa = fg.memo[a]
    assert len(fg.clients[fa]) == 2
    assert ("output", 0) in fg.clients[fg.outputs[0]]


def test_replace_prunes_dead_nodes_and_notifies_listeners():
    _, _, a, _, fg = _graph()
    events = []

    class Listener:
        def on_import(self, fgraph, node):
            events.append(("import", str(node.op)))

        def on_prune(self, fgraph, node):
            events.append(("prune", str(node.op)))

        def on_change_input(self, fgraph, node, i, old, new):
            events.append(("change", i))

    fg.attach(Listener())
    fa = fg.memo[a]
    fg.replace(fa, ac.sqrt(fg.inputs[0]), reason="test")
    assert ("import", "Elemwise{sqrt}") in events
    assert ("prune", "Elemwise{exp}") in events
    assert all(node.op != ac.Elemwise(ac.scalars.SCALAR_OPS["exp"]) for node in fg.apply_nodes)
    f = ac.function(fg.inputs, fg.outputs)
    np.testing.assert_allclose(f([4.0], [2.0])[0], [np.sqrt(4.0) * 2 + 2.0])


def test_replace_checks_types():
    _, _, a, _, fg = _graph()
    with pytest.raises(TypeError, match="cannot replace .* float64\\[\\?\\] by .* float32"):
        fg.replace(fg.memo[a], ac.fvector())
    with pytest.raises(TypeError):
        fg.replace(fg.memo[a], ac.dmatrix())


def test_replace_with_unknown_input_is_refused():
    _, _, a, _, fg = _graph()
    with pytest.raises(ac.MissingInputError):
        fg.replace(fg.memo[a], ac.dvector("stranger") + 1)


def test_ops_compare_by_parameters():
    assert ac.Reduce(ac.scalars.SCALAR_OPS["add"], (0,), "float64") == \
        ac.Reduce(ac.scalars.SCALAR_OPS["add"], (0,), "float64")
    assert hash(ac.DimShuffle(2, (1, 0))) == hash(ac.DimShuffle(2, (1, 0)))
    assert ac.DimShuffle(2, (1, 0)) != ac.DimShuffle(2, (0, 1))


def test_small_constants_are_shared_and_compare_by_value():
    assert ac.constant(2.0) is ac.constant(2.0)
    big = np.arange(100.0)
    c1, c2 = ac.constant(big), ac.constant(big.copy())
    assert c1 is not c2 and c1.equals(c2)
    assert not ac.constant(2.0).equals(ac.constant(np.float32(2.0)))


def test_composite_equality_and_evaluation():
    from arignote_core.scalars import SCALAR_OPS, Composite, ScalarType

    def make():
        a, b = ScalarType("float64")(), ScalarType("float64")()
        return Composite([a, b], [SCALAR_OPS["add"](SCALAR_OPS["exp"](a), b)])

    c1, c2 = make(), make()
    assert c1 == c2 and hash(c1) == hash(c2)
    x, y = ac.dvector("x"), ac.dvector("y")
    f = ac.function([x, y], ac.Elemwise(c1)(x, y))
    np.testing.assert_allclose(f([0.0, 1.0], [1.0, 1.0]), np.exp([0.0, 1.0]) + 1)
    assert "exp(i0) + i1" in str(c1)
