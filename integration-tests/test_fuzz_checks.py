"""The fuzzer's checks against backends with planted faults: each fault is reported as its class, in its mode
only, and a crash or a hang in a worker does not stop the run."""

from __future__ import annotations

import numpy as np
import pytest

from arignote_fuzz.campaign import check_case
from arignote_fuzz.ir import Case, Graph, Input, Node, Value
from arignote_fuzz.worker import Worker


def node(name: str, template: str, *args: str) -> Node:
    return Node(name, "test", args, template)


X = Input("x", "float64", (None,))
EXP = Case("exp", Graph((X,), (node("e", "{m}.exp({0})", "x"), node("s", "({0} * 2)", "e")), ("s",)),
           ({"x": Value(np.array([0.0, 1.0, -2.0]))}, {"x": Value(np.array([0.5, 1.5, 2.0]), "reversed")}))
PLUS = Case("plus", Graph((X,), (node("p", "({0} + 0.5)", "x"),), ("p",)),
            ({"x": Value(np.array([1.0, 2.0]))}, {"x": Value(np.array([3.0, 4.0]))}))
SAME = Case("same", Graph((X,), (node("p", "({0} * 1.0)", "x"),), ("p",)), ({"x": Value(np.array([1.0, 2.0]))},))
REFUSED = Case("refused", Graph((X, Input("y", "float64", (None,))), (node("s", "({0} + {1})", "x", "y"),), ("s",)),
               ({"x": Value(np.ones(3)), "y": Value(np.ones(2))},))
UPDATE = Case("update", Graph((X, Input("W", "float64", (2,), shared=True)), (node("u", "({0} * {1})", "W", "x"),),
                              ("u",), (("W", "u"),)),
              ({"x": Value(np.array([2.0, 3.0]))}, {"x": Value(np.array([0.5, 1.0]))}), {"W": np.array([1.0, -1.0])})


def findings(worker: Worker, case: Case, mode: str, timeout: float = 60) -> set[tuple[str, str]]:
    return {(f.mode, f.kind) for f in check_case(worker, case, ("reference", mode), timeout).findings}


@pytest.mark.parametrize(("fault", "case", "kind"), [
    ("wrong_exp", EXP, "value"),
    ("segfault", PLUS, "crash"),
    ("writes_input", PLUS, "input_modified"),
    ("returns_input", SAME, "aliased"),
    ("clobbers", PLUS, "clobbered"),
    ("float32_outputs", PLUS, "dtype"),
    ("swallows_errors", REFUSED, "missing_error"),
    ("key_error", PLUS, "internal_error"),
    ("wrong_update", UPDATE, "update"),
])
def test_a_planted_fault_is_found_in_its_mode(worker: Worker, fault: str, case: Case, kind: str) -> None:
    assert findings(worker, case, f"fuzz_faults:{fault}") == {(f"fuzz_faults:{fault}", kind)}


def test_a_hang_is_stopped_and_the_next_case_runs(worker: Worker) -> None:
    assert findings(worker, PLUS, "fuzz_faults:hang", timeout=5) == {("fuzz_faults:hang", "hang")}
    assert findings(worker, EXP, "reference") == set()


def test_a_crash_does_not_stop_the_run(worker: Worker) -> None:
    assert findings(worker, PLUS, "fuzz_faults:segfault") == {("fuzz_faults:segfault", "crash")}
    assert findings(worker, PLUS, "reference") == set()


def test_a_graph_without_faults_has_no_finding_in_any_mode(worker: Worker) -> None:
    modes = ("reference", "fast_compile", "fast_run_ref", "fast_run")
    for case in (EXP, PLUS, SAME, REFUSED, UPDATE):
        assert check_case(worker, case, modes, 120).findings == []
