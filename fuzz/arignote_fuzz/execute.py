"""A case run in one mode, inside a worker process: build the graph with ``ar``, compile, call it once per call
of the case, and observe what a user could see (results, failures, changed inputs, aliasing, outputs changed
by a later call, shared values, rewrite and compiler warnings, the gradient)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .ir import Case, Value
from .modes import make_mode
from .oracle import Failure
from .render import build_lines, function_source, grad_source
from .results import CallResult, ModeResult

#: warnings that mean the compiler misbehaved (a rewrite rule raised; no C compiler)
REPORTED_WARNINGS = ("RewriteWarning", "CompilerWarning")


def _root(array: np.ndarray) -> np.ndarray:
    """The whole buffer behind an input view (the gaps of a strided layout included)."""
    return array if array.base is None else np.asarray(array.base)


def _shares(a: Any, b: np.ndarray) -> bool:
    a = np.asarray(a)
    return bool(np.may_share_memory(a, b) and np.shares_memory(a, b, max_work=10**6))


def run_case(case: Case, mode_name: str, cache_dir: Path | None) -> ModeResult:
    import arignote as ar

    result = ModeResult(mode_name)
    namespace: dict[str, Any] = {"ar": ar, "np": np, "SHARED": case.shared_values}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec("\n".join(build_lines(case.graph, lambda n: f"SHARED[{n!r}].copy()")), namespace)
        except Exception as error:  # noqa: BLE001 (the graph's construction refused it)
            result.build_failure = Failure.of(error)
            return result
        namespace["mode"] = make_mode(mode_name, cache_dir)
        try:
            function = eval(function_source(case.graph), namespace)
        except Exception as error:  # noqa: BLE001
            result.compile_failure = Failure.of(error)
        else:
            _run_calls(case, function, namespace, result)
        if case.grad_output is not None:
            _run_grad(case, namespace, result)
    result.warnings = sorted({f"{w.category.__name__}: {str(w.message).splitlines()[0][:300]}" for w in caught
                              if w.category.__name__ in REPORTED_WARNINGS})
    return result


def _run_calls(case: Case, function: Any, namespace: dict[str, Any], result: ModeResult) -> None:
    kept: list[tuple[int, list[Any], list[np.ndarray]]] = []
    for index, call in enumerate(case.calls):
        names = [i.name for i in case.graph.explicit]
        views = [call[name].view() for name in names]
        before = [_root(v).tobytes() for v in views]
        outcome = CallResult()
        try:
            outputs = function(*views)
        except Exception as error:  # noqa: BLE001 (compared with NumPy's refusal)
            outcome.failure = Failure.of(error)
        else:
            outcome.outputs = [np.array(o, copy=True) for o in outputs]
            outcome.aliases, outcome.shared_outputs = _aliases(case, outputs, names, views)
            kept.append((index, list(outputs), outcome.outputs))
        outcome.inputs_changed = [n for n, v, b in zip(names, views, before, strict=True) if _root(v).tobytes() != b]
        outcome.shared_after = {i.name: namespace[i.name].get_value() for i in case.graph.shared}
        result.calls.append(outcome)
    for index, outputs, copies in kept:
        for position, (output, copy) in enumerate(zip(outputs, copies, strict=True)):
            if np.asarray(output).tobytes() != copy.tobytes():
                result.clobbered.append(f"output {position} ({case.graph.outputs[position]}) of call {index} "
                                        "changed when the function was called again")


def _aliases(case: Case, outputs: list[Any], names: list[str], views: list[np.ndarray]
             ) -> tuple[list[str], list[str]]:
    """Outputs sharing memory with an input; outputs sharing memory with another output."""
    with_inputs, with_outputs = [], []
    for position, output in enumerate(outputs):
        label = f"output {position} ({case.graph.outputs[position]})"
        with_inputs += [f"{label} shares memory with input {n}" for n, v in zip(names, views, strict=True)
                        if _shares(output, _root(v))]
        with_outputs += [f"{label} shares memory with output {other} ({case.graph.outputs[other]})"
                         for other in range(position) if np.asarray(output).size and _shares(output, outputs[other])]
    return with_inputs, with_outputs


def _run_grad(case: Case, namespace: dict[str, Any], result: ModeResult) -> None:
    try:
        function = eval(grad_source(case.graph, str(case.grad_output)), namespace)
    except Exception as error:  # noqa: BLE001
        result.grad_build_failure = Failure.of(error)
        return
    values: list[Value] = [case.calls[0][i.name] for i in case.graph.explicit]
    try:
        result.grad = [np.array(g, copy=True) for g in function(*(v.view() for v in values))]
    except Exception as error:  # noqa: BLE001
        result.grad_failure = Failure.of(error)
