"""Checking the compiled program as it runs (the mode options ``check`` and ``nan_guard``): the C executor tells
a step observer of every step, with the memory plan's in-place decisions; a wrong kernel, a kernel assuming
contiguous memory and a clobbering memory plan are caught; without an observer the direct call path is kept."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest

import arignote_c.program as program_module
import arignote_core as ac
from arignote_c import CKernel
from arignote_core import Apply, CheckError, Function, NonFiniteError, Op, as_tensor, function, shared, tensor
from arignote_opt.tensor.memory import InPlace, MemoryPlan, plan_memory


@dataclass(frozen=True)
class _Doubled(Op):
    """2 * x for float64 vectors, with C code that is wrong on purpose: ``factor`` times x, or x read as if it
    were contiguous (``ignore_strides``)."""

    factor: float = 2.0
    ignore_strides: bool = False

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [2.0 * inputs[0]]

    def c_code(self, node: Apply) -> CKernel:
        stride = "(int64_t)sizeof(double)" if self.ignore_strides else "in[0].strides[0]"
        return CKernel(body=f"""
    for (int64_t i = 0; i < in[0].shape[0]; ++i)
        ((double *)out[0].data)[i] = {self.factor!r} * *(const double *)(in[0].data + i * {stride});
    return 0;""")


class _Recorder:
    """A step observer keeping what it is told: (op, inputs, outputs, in_place) per step."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, list[Any], list[Any], dict[int, int]]] = []

    def before(self, node: Apply, inputs: Sequence[Any]) -> list[Any]:
        return list(inputs)

    def after(self, node: Apply, state: list[Any], outputs: Sequence[Any], in_place: dict[int, int]) -> None:
        self.seen.append((type(node.op).__name__, state, list(outputs), dict(in_place)))


def test_a_wrong_kernel_is_caught_naming_the_op_and_the_line(fast_mode) -> None:
    x = tensor("float64", (None,), "x")
    value = np.array([1.0, 2.0, 3.0])
    unchecked = function([x], _Doubled(factor=3.0)(x) + 1, mode=fast_mode)
    np.testing.assert_array_equal(unchecked(value), [4.0, 7.0, 10.0])  # silently wrong without checking
    f = function([x], _Doubled(factor=3.0)(x) + 1, mode=fast_mode.with_options(check=True))
    with pytest.raises(CheckError) as error:
        f(value)
    message = str(error.value)
    assert message.startswith("_Doubled: output 0 computed by the c backend differs from the reference perform: "
                              "3 of 3 values differ: at (0,): 3.0, expected 2.0")
    assert "x (float64, shape (3,))" in message and "test_checking.py" in message
    right = function([x], _Doubled()(x) + 1, mode=fast_mode.with_options(check=True))
    np.testing.assert_array_equal(right(value), [3.0, 5.0, 7.0])


def test_a_kernel_assuming_contiguous_inputs_is_caught_by_the_strided_run(fast_mode) -> None:
    x = tensor("float64", (None,), "x")
    value = np.array([1.0, 2.0, 3.0])
    assert np.array_equal(function([x], _Doubled(ignore_strides=True)(x), mode=fast_mode)(value), 2 * value)
    f = function([x], _Doubled(ignore_strides=True)(x), mode=fast_mode.with_options(check=True))
    with pytest.raises(CheckError, match="_Doubled: output 0 computed by the c backend differs from the reference "
                                         "perform: 2 of 3 values differ"):
        f(value)


def _sgd(mode: Any) -> tuple[Function, Any, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    w0, x, g = rng.standard_normal((20, 30)), rng.standard_normal((7, 20)), rng.standard_normal((7, 30))
    w = shared(w0.copy(), name="w")
    xs, gs = tensor("float64", (None, 20), "x"), tensor("float64", (None, 30), "g")
    return function([xs, gs], [], updates=[(w, w - 0.01 * (xs.T @ gs))], mode=mode), w, w0, x, g


def test_an_in_place_decision_is_told_to_the_observer_and_not_flagged(fast_mode) -> None:
    f, w, w0, x, g = _sgd(fast_mode)
    buffer = w.get_value(borrow=True)
    recorder = _Recorder()
    f.executable.set_observer(recorder)
    f(x, g)
    (gemm,) = [seen for seen in recorder.seen if seen[0] == "Gemm"]
    _, inputs, outputs, in_place = gemm
    assert in_place == {0: 0} and outputs[0] is inputs[0] is buffer  # the update accumulated into w itself

    checked, w, w0, x, g = _sgd(fast_mode.with_options(check=True))
    buffer = w.get_value(borrow=True)
    checked(x, g)
    assert w.get_value(borrow=True) is buffer
    np.testing.assert_allclose(buffer, w0 - 0.01 * (x.T @ g), rtol=1e-12)


def _clobbering_plan(fgraph: Any, destroyable: Any = None) -> MemoryPlan:
    """graph-opt's plan, plus every GEMM accumulating into its bias whether or not the bias is still needed."""
    plan = plan_memory(fgraph, destroyable)
    extra = tuple(InPlace(node, 0, 0, False) for node in plan.order
                  if type(node.op).__name__ == "Gemm" and not plan.in_place_for(node))
    return replace(plan, in_place=plan.in_place + extra)


def test_a_memory_plan_clobbering_a_live_value_is_caught_by_the_whole_function_check(fast_mode, monkeypatch):
    monkeypatch.setattr(program_module, "plan_memory", _clobbering_plan)
    x, a, w = (tensor("float64", (None, None), name) for name in "xaw")
    h = ac.tanh(x)
    h.name = "h"
    f = function([x, a, w], [h, h + ac.dot(a, w)], mode=fast_mode.with_options(check=True))
    assert [s.in_place for s in f.executable.compiled.info.steps if type(s.node.op).__name__ == "Gemm"] == [{0: 0}]
    rng = np.random.default_rng(0)
    with pytest.raises(CheckError, match=r"output 0 \(h\) computed by the c backend differs from the reference "
                                         r"evaluator on the graph before rewriting"):
        f(*(rng.standard_normal((8, 8)) for _ in range(3)))


def test_the_direct_call_path_is_kept_unless_the_whole_function_is_checked(fast_mode) -> None:
    x = tensor("float64", (None,), "x")
    plain = function([x], x + 1, mode=fast_mode)
    assert type(plain.__call__).__name__ == "Entry"
    checked = function([x], x + 1, mode=fast_mode.with_options(check=True))
    assert type(checked) is Function and not checked._direct
    np.testing.assert_array_equal(checked(np.zeros(2)), [1.0, 1.0])
    guarded = function([x], ac.log(x), mode=fast_mode.with_options(nan_guard=True))
    assert type(guarded.__call__).__name__ == "Entry"  # the guard runs inside the program's own entry
    np.testing.assert_array_equal(guarded(np.ones(2)), [0.0, 0.0])
    with pytest.raises(NonFiniteError, match=r"Elemwise\{log\}: output 0 has 1 non-finite value\(s\) of 2 from finite "
                                             r"inputs: at \(1,\): -inf \(x = 0.0\)"):
        guarded(np.array([1.0, 0.0]))


def test_the_observer_sees_node_inputs_fallbacks_and_can_be_removed(c_mode) -> None:
    x = tensor("float64", (None,), "x")
    f = function([x], ac.sort(x + 1), mode=c_mode)
    recorder = _Recorder()
    f.executable.set_observer(recorder)
    np.testing.assert_array_equal(f(np.array([2.0, 0.0])), [1.0, 3.0])
    (add, add_inputs, add_outputs, _), (sort, sort_inputs, _, _) = recorder.seen
    assert (add, sort) == ("Elemwise", "Sort")  # the Python fallback (Sort) is observed too
    assert add_inputs[1] == 1 and len(add_inputs) == 2  # the constant the kernel inlines is passed as well
    assert sort_inputs[0] is add_outputs[0]
    f.executable.set_observer(None)
    f(np.zeros(2))
    assert len(recorder.seen) == 2


def test_an_observer_error_stands_and_the_program_stays_usable(c_mode) -> None:
    class Failing:
        def __init__(self, program: Any) -> None:
            self.program = program

        def before(self, node: Apply, inputs: Sequence[Any]) -> None:
            self.program.set_observer(None)  # removing itself while it runs is allowed
            raise KeyError("observer failed")

    x = tensor("float64", (None,), "x")
    f = function([x], ac.exp(x) * 2, mode=c_mode)
    f.executable.set_observer(Failing(f.executable))
    with pytest.raises(KeyError, match="observer failed"):
        f(np.zeros(2))
    np.testing.assert_array_equal(f(np.zeros(2)), [2.0, 2.0])


def test_checked_functions_are_garbage_collected(fast_mode) -> None:
    x = tensor("float64", (None,), "x")
    f = function([x], ac.exp(x) + 1, mode=fast_mode.with_options(check=True, nan_guard=True))
    f(np.zeros(3))
    ref = weakref.ref(f)
    del f
    gc.collect()
    assert ref() is None
