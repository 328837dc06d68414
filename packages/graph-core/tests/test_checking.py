"""Checking a function as it runs (the mode options ``check`` and ``nan_guard``) on the reference evaluator: each
kind of broken contract is caught and named, with the op and the user's line; correct graphs run unchanged."""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.checking import CheckError, NonFiniteError, difference
from arignote_core.evaluator import ReferenceProgram
from arignote_core.fgraph import FunctionGraph
from arignote_core.graph import Apply, Op
from arignote_core.mode import Mode
from arignote_core.tensors.checks import check

CHECKED = Mode(options={"check": True})
GUARDED = Mode(options={"nan_guard": True})


@dataclass(frozen=True)
class _Twice(Op):
    """2 * x, with a perform that misbehaves as the test asks: writes into its input, or returns views."""

    misbehaviour: str = ""
    outputs: int = 1

    def make_node(self, x):
        x = ac.as_tensor(x)
        return Apply(self, [x], [x.type] * self.outputs)

    def perform(self, node, inputs):
        (x,) = inputs
        if self.misbehaviour == "writes its input":
            x *= 2
            return [x.copy()]
        if self.misbehaviour == "returns its input":
            return [x]
        result = 2 * x
        return [result] * self.outputs  # the same array twice when there are two outputs


@dataclass(frozen=True)
class _DeclaredView(_Twice):
    view_map: ClassVar[dict[int, list[int]]] = {0: [0]}


def test_a_correct_graph_runs_checked_and_gives_the_same_results():
    x = ac.dmatrix("x")
    w = ac.shared(np.ones(3), name="w")
    f = ac.function([x], [ac.exp(x).sum(axis=0), x.T[0]], updates={w: w + x[0]}, mode=CHECKED)
    value = np.arange(6.0).reshape(2, 3)
    total, first = f(value)
    np.testing.assert_allclose(total, np.exp(value).sum(axis=0))
    np.testing.assert_array_equal(first, value.T[0])  # a declared view (dimshuffle, subtensor) is not flagged
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0, 3.0])
    assert "Checked: every node" in f.report()


def test_a_perform_writing_into_its_input_is_caught():
    x = ac.dvector("x")
    f = ac.function([x], _Twice("writes its input")(x) + 1, mode=CHECKED)
    with pytest.raises(CheckError) as error:
        f(np.arange(3.0))
    message = str(error.value)
    assert message.startswith("_Twice: the reference backend changed input 0 (x) without computing an output")
    assert "at (1,): 2.0, expected 1.0" in message
    assert "x (float64, shape (3,))" in message and "test_checking.py" in message


def test_a_perform_returning_an_undeclared_view_is_caught():
    x = ac.dvector("x")
    f = ac.function([x], _Twice("returns its input")(x) * 2, mode=CHECKED)
    with pytest.raises(CheckError, match=r"_Twice: output 0 shares memory with input 0 \(x\), but the op declares "
                                         r"no view of it \(view_map \{\}\)"):
        f(np.arange(3.0))
    g = ac.function([x], _DeclaredView("returns its input")(x) * 2, mode=CHECKED)
    np.testing.assert_array_equal(g(np.arange(3.0)), [0.0, 2.0, 4.0])


def test_outputs_sharing_memory_are_caught():
    x = ac.dvector("x")
    first, second = _Twice(outputs=2)(x)
    f = ac.function([x], [first + 1, second + 1], mode=CHECKED)
    with pytest.raises(CheckError, match="outputs 0 and 1 share memory, but they are not views of one input"):
        f(np.arange(3.0))


def test_without_checking_the_broken_perform_goes_unnoticed():
    """What the checks are for: the reference evaluator itself trusts every perform."""
    x = ac.dvector("x")
    value = np.arange(3.0)
    ac.function([x], _Twice("writes its input")(x) + 1)(value)
    np.testing.assert_array_equal(value, [0.0, 2.0, 4.0])


def _breaking_rewriter(fgraph: FunctionGraph) -> None:
    """A wrong rewrite: every exp becomes a sin."""
    for node in fgraph.toposort():
        if str(node.op) == "Elemwise{exp}":
            fgraph.replace(node.outputs[0], ac.sin(node.inputs[0]), reason="broken")


def test_a_rewrite_changing_the_result_is_caught_naming_the_output():
    x = ac.dvector("x")
    w = ac.shared(np.zeros(3), name="w")
    value = np.array([0.5, 1.0, 2.0])
    mode = Mode(rewriter=_breaking_rewriter, options={"check": True})
    f = ac.function([x], ac.exp(x) + 1, mode=mode)
    with pytest.raises(CheckError) as error:
        f(value)
    message = str(error.value)
    assert message.startswith("output 0 (Elemwise{add}) computed by the reference backend differs from the reference "
                              "evaluator on the graph before rewriting: 3 of 3 values differ")
    assert "so a rewrite (or the memory plan) changed the result" in message and "test_checking.py" in message
    g = ac.function([x], [], updates={w: ac.exp(x)}, mode=mode)
    with pytest.raises(CheckError, match="the update of w computed by the reference backend differs"):
        g(value)
    np.testing.assert_array_equal(w.get_value(), np.zeros(3))  # the failed call updated nothing


def test_a_rewrite_dropping_a_failing_check_is_caught():
    def drop_checks(fgraph: FunctionGraph) -> None:
        for node in fgraph.toposort():
            if isinstance(node.op, ac.CheckAndRaise):
                fgraph.replace(node.outputs[0], node.inputs[0])

    x = ac.dvector("x")
    f = ac.function([x], check(x, "x must be positive", ac.all(x > 0)) * 2,
                    mode=Mode(rewriter=drop_checks, options={"check": True}))
    np.testing.assert_array_equal(f(np.array([1.0])), [2.0])
    with pytest.raises(CheckError, match="the reference backend computed the function, but the reference evaluator "
                                         "failed on the graph before rewriting: ValueError: x must be positive"):
        f(np.array([-1.0]))


def test_a_stabilized_result_may_be_finite_where_the_plain_graph_overflows():
    def stabilize(fgraph: FunctionGraph) -> None:  # log(exp(x)) -> x
        out = fgraph.outputs[0]
        fgraph.replace(out, out.owner.inputs[0].owner.inputs[0])

    x = ac.dvector("x")
    f = ac.function([x], ac.log(ac.exp(x)), mode=Mode(rewriter=stabilize, options={"check": True}))
    np.testing.assert_array_equal(f(np.array([1.0, 1000.0])), [1.0, 1000.0])


def test_the_nan_guard_stops_at_the_first_node_making_nan_from_finite_values():
    x = ac.dvector("x")
    f = ac.function([x], ac.exp(ac.log(x - 1)) * 2, mode=GUARDED)
    np.testing.assert_allclose(f(np.array([2.0, 3.0])), [2.0, 4.0])
    with pytest.raises(NonFiniteError) as error:
        f(np.array([2.0, 0.0, 1.0]))
    message = str(error.value)
    assert message.startswith("Elemwise{log}: output 0 has 2 non-finite value(s) of 3 from finite inputs: "
                              "at (1,): nan (Elemwise{subtract} = -1.0); at (2,): -inf (Elemwise{subtract} = 0.0)")
    assert "test_checking.py" in message and "ac.log(x - 1)" in message
    assert isinstance(error.value, FloatingPointError)


def test_the_nan_guard_lets_nan_from_the_inputs_through():
    x = ac.dvector("x")
    f = ac.function([x], ac.exp(x) + 1, mode=GUARDED)
    assert np.isnan(f(np.array([np.nan, 0.0]))[0])


def test_check_and_nan_guard_together():
    x = ac.dvector("x")
    f = ac.function([x], ac.sqrt(x), mode=Mode(options={"check": True, "nan_guard": True}))
    np.testing.assert_array_equal(f(np.array([4.0])), [2.0])
    with pytest.raises(NonFiniteError, match="Elemwise{sqrt}"):
        f(np.array([-1.0]))


class _Recorder:
    def __init__(self):
        self.seen = []

    def before(self, node, inputs):
        return [np.copy(v) for v in inputs]

    def after(self, node, state, outputs, in_place):
        self.seen.append((str(node.op), state, list(outputs), dict(in_place)))


def test_the_reference_program_tells_an_observer_of_every_node_in_order():
    x = ac.dvector("x")
    fgraph = FunctionGraph([x], [ac.exp(x * 2).sum()])
    program = ReferenceProgram(fgraph)
    recorder = _Recorder()
    program.set_observer(recorder)
    (total,) = program([np.array([0.0, 1.0])])
    assert [op for op, *_ in recorder.seen] == [str(n.op) for n in fgraph.toposort()]
    op, inputs, outputs, in_place = recorder.seen[0]
    np.testing.assert_array_equal(inputs[0], [0.0, 1.0])
    np.testing.assert_array_equal(outputs[0], [0.0, 2.0])
    assert in_place == {} and total == pytest.approx(1 + np.exp(2.0))
    program.set_observer(None)
    program([np.array([0.0, 1.0])])
    assert len(recorder.seen) == len(fgraph.toposort())


def test_a_backend_that_cannot_be_observed_is_refused():
    class Opaque:
        name = "opaque"

        def compile(self, fgraph, mode):
            program = ReferenceProgram(fgraph)
            return lambda values: program(values)

    x = ac.dvector("x")
    with pytest.raises(TypeError, match="the opaque backend cannot be checked: its executable takes no step "
                                        "observer"):
        ac.function([x], x * 2, mode=Mode(backend=Opaque(), options={"check": True}))


@pytest.mark.parametrize(("got", "want", "problem"), [
    (np.float32([1.0, 2.0]) * np.float32(1 + 2e-6), np.float32([1.0, 2.0]), None),
    (np.float32([1.0, 2.0]) * np.float32(1 + 1e-4), np.float32([1.0, 2.0]), "2 of 2 values differ"),
    (np.array([1e-14, 5.0]), np.array([0.0, 5.0]), None),  # a cancelling sum, within atol of the largest value
    (np.array([np.nan, 1.0]), np.array([np.nan, 1.0]), None),
    (np.array([1.0, 1.0]), np.array([np.nan, 1.0]), "at (0,): 1.0, expected nan"),
    (np.array([np.inf]), np.array([-np.inf]), "1 of 1 values differ"),
    (np.array([3, 4]), np.array([3, 5]), "at (1,): 4, expected 5"),
    (np.zeros(2, np.float32), np.zeros(2), "dtype float32, expected float64"),
    (np.zeros((2, 1)), np.zeros(2), "shape (2, 1), expected (2,)"),
])
def test_difference_is_dtype_aware(got, want, problem):
    found = difference(got, want)
    assert found is None if problem is None else problem in found


def test_a_condition_known_when_the_graph_is_built_is_no_check():
    x = ac.dvector("x")
    assert check(x, "never", True, ac.constant(np.array(True))) is x
    with pytest.raises(ValueError, match="always"):
        check(x, "always", ac.constant(np.array(False)))
    assert isinstance(check(x, "at run time", ac.lscalar("n") > 0).owner.op, ac.CheckAndRaise)


def test_a_run_time_check_raises_the_error_it_names():
    n = ac.lscalar("n")
    guarded = check(n * 2, "index -1 is out of bounds", n > 0, error="IndexError")
    f = ac.function([n], guarded)
    assert f(3) == 6
    with pytest.raises(IndexError, match="out of bounds"):
        f(0)
    with pytest.raises(ValueError, match="must hold"):
        ac.function([n], check(n, "n must hold", n > 0))(0)
    with pytest.raises(ValueError, match="one of"):
        ac.CheckAndRaise("message", "KeyError")
