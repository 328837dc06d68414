"""The reference loop of a ``Scan`` node: the step graph run once per step by the reference evaluator, its
results written into stacks allocated once. Every other backend is checked against it.

A sequence of length ``L`` with taps ``K`` is read at step ``t`` at ``t + k - min(K)`` for each tap ``k``, or,
going backwards, at ``L - 1 - max(K) + k - t`` (Theano's: the sequence reversed, then read forwards). A state
with buffer ``B`` of ``max_lag`` rows reads ``B[max_lag - l + t]`` for a lag ``l`` (tap ``-l``) before step
``l``, then the value step ``t - l`` computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from ..evaluator import raise_with_context
from ..graph import Apply, unaliased
from ..tensors.type import format_shape
from .inner import GraphRunner
from .scan_info import ScanInfo

if TYPE_CHECKING:
    from .scan_op import Scan


def run_scan(op: Scan, node: Apply, inputs: Sequence[Any], run: GraphRunner) -> list[Any]:
    """The node's outputs: the states' and outputs' stacks, then the carried values' last values; ``run`` runs
    the step graph."""
    info = op.info
    n_steps_value, outer = info.split_outer_inputs(inputs)
    n_steps = int(n_steps_value)
    _check_lengths(op, info, n_steps, outer.sequences, outer.states)
    states = [np.empty((n_steps, *np.shape(b)[1:]), dtype=v.type.dtype)
              for b, v in zip(outer.states, node.outputs[: info.n_states], strict=True)]
    outputs: list[np.ndarray | None] = [None] * info.n_outputs
    carried = list(outer.carried)
    done = n_steps
    for t in range(n_steps):
        args = _step_inputs(info, t, outer.sequences, outer.states, states, carried, outer.non_sequences)
        try:
            results = run(op.step, args)
        except Exception as exc:
            _raise_step_error(op, exc, t, n_steps, args)
        new, condition = info.split_inner_outputs(results)
        for j, value in enumerate(new.states):
            _store(op, states[j], t, value, n_steps, f"state {j}")
        for j, value in enumerate(new.outputs):
            stack = outputs[j]
            if stack is None:
                stack = outputs[j] = np.empty((n_steps, *np.shape(value)), node.outputs[info.n_states + j].type.dtype)
            _store(op, stack, t, value, n_steps, f"output {j}")
        carried = new.carried
        if condition is not None and bool(condition):
            done = t + 1
            break
    filled = [o for o in outputs if o is not None]
    if len(filled) < len(outputs):  # no step ran
        shapes = _zero_step_shapes(op, outer.sequences, outer.states, carried, outer.non_sequences, run)
        filled = [np.empty((0, *s), node.outputs[info.n_states + j].type.dtype) for j, s in enumerate(shapes)]
    stacks = [s[:done] if done < n_steps else s for s in [*states, *filled]]
    return [*stacks, *unaliased(carried, inputs)]


def _check_lengths(op: Scan, info: ScanInfo, n_steps: int, sequences: list[Any], buffers: list[Any]) -> None:
    if n_steps < 0:
        raise ValueError(f"{_label(op)} was asked for {n_steps} steps; the number of steps cannot be negative "
                         "(go_backwards=True runs the sequences backwards)")
    for i, seq in enumerate(sequences):
        need = n_steps + info.span(i)
        if len(seq) < need:
            raise ValueError(f"{_label(op)}: sequence {i} has {len(seq)} entries (shape {format_shape(seq.shape)}), "
                             f"but {n_steps} steps at taps {list(info.seq_taps[i])} read {need}")
    for j, buffer in enumerate(buffers):
        if len(buffer) != info.max_lag(j):
            raise ValueError(f"{_label(op)}: the initial value of state {j} has {len(buffer)} entries along its "
                             f"first axis, but its taps {list(info.state_taps[j])} read {info.max_lag(j)} values "
                             "before the first step")


def _step_inputs(info: ScanInfo, t: int, sequences: list[Any], buffers: list[Any], stacks: list[np.ndarray],
                 carried: list[Any], non_sequences: list[Any]) -> list[Any]:
    args: list[Any] = []
    for seq, taps in zip(sequences, info.seq_taps, strict=True):
        if info.go_backwards:
            start = len(seq) - 1 - max(taps) - t
            args += [seq[start + k] for k in taps]
        else:
            args += [seq[t + k - min(taps)] for k in taps]
    for j, (buffer, stack) in enumerate(zip(buffers, stacks, strict=True)):
        max_lag = info.max_lag(j)
        args += [stack[t + k] if t + k >= 0 else buffer[max_lag + k + t] for k in info.state_taps[j]]
    return [*args, *carried, *non_sequences]


def _store(op: Scan, stack: np.ndarray, t: int, value: Any, n_steps: int, what: str) -> None:
    if np.shape(value) != stack.shape[1:]:
        before = "its initial value has" if what.startswith("state") else "step 0 gave it"
        raise ValueError(f"{_label(op)}: step {t} of {n_steps} gave {what} of shape {format_shape(np.shape(value))},"
                         f" but {before} shape {format_shape(stack.shape[1:])}; a scan's values keep their shape "
                         "from step to step")
    stack[t] = value


def _zero_step_shapes(op: Scan, sequences: list[Any], buffers: list[Any], carried: list[Any],
                      non_sequences: list[Any], run: GraphRunner) -> list[tuple[int, ...]]:
    """The shapes of a step's outputs for a loop that ran no step: those of a step on zeros (a sequence's entry
    and a state's value have their shape from the node's inputs), or the static ones with 0 where unknown."""
    info = op.info
    outs, _ = info.split_inner_outputs(op.step.outputs)
    args: list[Any] = []
    for seq, taps in zip(sequences, info.seq_taps, strict=True):
        args += [np.zeros(np.shape(seq)[1:], np.asarray(seq).dtype)] * len(taps)
    for buffer, taps in zip(buffers, info.state_taps, strict=True):
        args += [np.zeros(np.shape(buffer)[1:], np.asarray(buffer).dtype)] * len(taps)
    try:
        with np.errstate(all="ignore"):
            results = info.split_inner_outputs(run(op.step, [*args, *carried, *non_sequences]))[0].outputs
        return [np.shape(r) for r in results]
    except Exception:  # noqa: BLE001 (a step refusing zeros: only the shapes were wanted)
        return [tuple(s or 0 for s in o.type.shape) for o in outs.outputs]


def _label(op: Scan) -> str:
    where = f" (made at {op.source.short()})" if op.source else ""
    return f"scan {op.name!r}{where}" if op.name else f"scan{where}"


def _raise_step_error(op: Scan, exc: Exception, t: int, n_steps: int, args: Sequence[Any]) -> NoReturn:
    """Re-raise an error of step ``t``, naming the scan, the step and the shapes the step was given."""
    described = ", ".join(f"{var} ({np.asarray(v).dtype}, shape {format_shape(np.shape(v))})"
                          for var, v in zip(op.step.inputs, args, strict=True))
    raise_with_context(exc, f"in step {t} of {n_steps} of {_label(op)}, whose step was given: {described}")
