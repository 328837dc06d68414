"""The fuzzer's oracle: NumPy's values node by node, where a failure is the call's only if an output or an update
needs it: a failure only an untaken ``ifelse`` branch needs is none (Theano's ifelse is lazy), and of several
failures the earliest node's is the call's."""

from __future__ import annotations

import numpy as np
import pytest

from arignote_fuzz import twin
from arignote_fuzz.campaign import check_case
from arignote_fuzz.ir import Case, Graph, Input, Node, Value
from arignote_fuzz.oracle import evaluate_call
from arignote_fuzz.worker import Worker

Y, Z = Input("y", "float64", (None, None, None)), Input("z", "float64", (None,))
#: fuzz case 7122026:2253: ``ifelse(any(z), y, inc_subtensor(y[[3], :], -1))``, its update out of bounds for y
LAZY = Graph((Y, Z), (
    Node("v2", "inc_subtensor", ("y",), "{m}.inc_subtensor({0}[np.array([3]), :], -1)",
         "inc_subtensor({0}, np.s_[np.array([3]), :], -1)", ("inc_subtensor",)),
    Node("v3", "ifelse", ("z", "y", "v2"), "ar.ifelse(ar.any({0}), {1}, {2})", "ifelse(np.any({0}), {1}, {2})",
         ("ifelse",)),
), ("v3",))
SMALL_Y = np.zeros((1, 1, 1))


def test_a_failure_only_the_untaken_branch_needs_is_none() -> None:
    taken_then = evaluate_call(LAZY, {"y": SMALL_Y, "z": np.array([1.0])})
    assert taken_then.failure is None and taken_then.outputs is not None
    np.testing.assert_array_equal(taken_then.outputs[0], SMALL_Y)
    assert "v2" not in taken_then.values
    taken_else = evaluate_call(LAZY, {"y": SMALL_Y, "z": np.array([0.0])})
    assert taken_else.failure is not None and taken_else.failure.kind == "IndexError"


def test_the_earliest_failure_reaching_an_output_is_the_calls() -> None:
    x = Input("x", "float64", (None,))
    graph = Graph((x,), (Node("a", "test", ("x",), "{0}[5]"), Node("b", "test", ("x",), "{0}.reshape(7)"),
                         Node("c", "test", ("b", "a"), "({0} + {1})")), ("c",))
    result = evaluate_call(graph, {"x": np.ones(3)})
    assert result.failure is not None and result.failure.kind == "IndexError"


def test_a_lazy_branch_that_would_fail_is_no_finding_in_any_mode(worker: Worker) -> None:
    calls = ({"y": Value(SMALL_Y), "z": Value(np.array([1.0]))}, {"y": Value(SMALL_Y), "z": Value(np.array([0.0]))})
    case = Case("lazy", LAZY, calls)
    assert check_case(worker, case, ("reference", "fast_compile", "fast_run"), 120).findings == []


def test_the_twins_increment_refuses_a_python_integer_its_dtype_cannot_hold_as_numpy_does() -> None:
    """``x[idx] += -1`` on uint8 raises OverflowError where ``np.add.at`` wraps to 255 (fuzz case 4242:5886)."""
    index = (np.array([-5]), slice(None))
    x = np.zeros((5, 5), np.uint8)
    with pytest.raises(OverflowError) as numpy_error:
        x[index] += -1
    with pytest.raises(OverflowError) as twin_error:
        twin.inc_subtensor(x, index, -1)
    assert str(twin_error.value) == str(numpy_error.value)
    np.testing.assert_array_equal(twin.inc_subtensor(x, index, 3)[0], [3] * 5)
    np.testing.assert_array_equal(twin.inc_subtensor(x.astype(np.int8), index, -1)[0], [-1] * 5)
