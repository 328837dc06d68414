"""Backends with one planted fault each, for the fuzzer's own tests: the fuzzer must report each as its class.

Each wraps the reference evaluator; the worker makes them from their ``fuzz_faults:<name>`` mode names.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from arignote_core import Mode, ReferenceBackend

Fault = Callable[[Any, Sequence[Any], Callable[[Sequence[Any]], list[Any]]], list[Any]]


class FaultyBackend:
    """The reference evaluator with ``fault(fgraph, inputs, run)`` in place of each call."""

    def __init__(self, name: str, fault: Fault) -> None:
        self.name = name
        self.fault = fault

    def compile(self, fgraph: Any, mode: Any) -> Callable[[Sequence[Any]], list[Any]]:
        program = ReferenceBackend().compile(fgraph, mode)
        return lambda inputs: self.fault(fgraph, inputs, program)


def _mode(name: str, fault: Fault) -> Mode:
    return Mode(backend=FaultyBackend(name, fault))


def _has_exp(fgraph: Any) -> bool:
    return any("exp" in str(node.op) for node in fgraph.apply_nodes)


def _plus_one(values: list[Any]) -> list[Any]:
    return [v + 1 if np.asarray(v).dtype.kind == "f" else v for v in values]


def wrong_exp() -> Mode:
    """Every float result off by one in graphs holding an exp."""
    return _mode("wrong_exp", lambda g, x, run: _plus_one(run(x)) if _has_exp(g) else run(x))


def segfault() -> Mode:
    return _mode("segfault", lambda g, x, run: os.kill(os.getpid(), signal.SIGSEGV) or run(x))


def hang() -> Mode:
    return _mode("hang", lambda g, x, run: time.sleep(3600) or run(x))


def writes_input() -> Mode:
    def fault(g: Any, inputs: Sequence[Any], run: Any) -> list[Any]:
        results = run(inputs)
        np.asarray(inputs[0]).flat[0] += 1
        return results

    return _mode("writes_input", fault)


def returns_input() -> Mode:
    """The first input itself as the first output (right values, the caller's buffer)."""
    return _mode("returns_input", lambda g, x, run: [x[0], *run(x)[1:]])


def clobbers() -> Mode:
    """Outputs written into buffers kept from the previous call."""
    buffers: dict[int, np.ndarray] = {}

    def fault(g: Any, inputs: Sequence[Any], run: Any) -> list[Any]:
        results = []
        for i, value in enumerate(run(inputs)):
            value = np.asarray(value)
            kept = buffers.get(i)
            if kept is None or kept.shape != value.shape or kept.dtype != value.dtype:
                kept = buffers[i] = np.empty_like(value)
            np.copyto(kept, value)
            results.append(kept)
        return results

    return _mode("clobbers", fault)


def float32_outputs() -> Mode:
    return _mode("float32_outputs", lambda g, x, run: [np.asarray(v, dtype=np.float32) for v in run(x)])


def swallows_errors() -> Mode:
    """A failing call returns empty arrays instead of raising."""
    def fault(g: Any, inputs: Sequence[Any], run: Any) -> list[Any]:
        try:
            return run(inputs)
        except Exception:  # noqa: BLE001 (the planted fault)
            return [np.zeros(0) for _ in g.outputs]

    return _mode("swallows_errors", fault)


def key_error() -> Mode:
    def fault(g: Any, inputs: Sequence[Any], run: Any) -> list[Any]:
        raise KeyError("planted")

    return _mode("key_error", fault)


def wrong_update() -> Mode:
    """Shared variables' new values off by one."""
    def fault(g: Any, inputs: Sequence[Any], run: Any) -> list[Any]:
        results = run(inputs)
        return [v + 1 if i in g.updates else v for i, v in enumerate(results)]

    return _mode("wrong_update", fault)
