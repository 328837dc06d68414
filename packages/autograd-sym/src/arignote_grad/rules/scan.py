"""``Scan``: backpropagation through time as a loop running backwards, and the pushforward as a loop forwards.

The pullback is a ``Scan`` over the steps from the last to the first (``truncate_gradient=k``: the last ``k``
only), whose step is the pullback of the forward step (the forward step rebuilt on the values it read, then
differentiated by the reverse engine). It reads, per step, what the forward step read (each tap of each sequence
and state, the carried values) and the gradients of that step's outputs, and carries:

- per state, a window of ``max_lag`` pending gradients: entry ``d`` is what the later steps sent back to the
  state's value ``d + 1`` steps before the current one; after the first step it holds the gradients of the values
  before the loop (the buffer, reversed);
- per carried value, its gradient (seeded with that of its last value);
- per non-sequence, the sum of its gradients over the steps.

Where the step's derivative uses a value the step computes for a state (``tanh``'s uses its output), it reads
the value the forward loop recorded in the state's stack instead of computing the forward step again.

The gradients of the sequences' taps are its outputs, added into place after the loop. A while loop (``until``)
has no derivative here. A loop reading its carried values (a random generator's state, a gradient accumulator
of a first derivative) is run once more forwards to record them, since the node gives only their last values.

The pushforward is one loop computing the forward step and its pushforward together: every state and carried
value gets a tangent carried beside it, every output a tangent stacked beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import (
    Apply,
    TensorType,
    TensorVariable,
    Variable,
    add,
    as_tensor,
    concatenate,
    minimum,
    stack,
    where,
)
from arignote_core.control.scan_build import Loop, build_scan
from arignote_core.control.scan_info import StepInputs
from arignote_core.control.scan_op import Scan
from arignote_core.graph import ancestors, clone_replace, toposort
from arignote_core.tensors.basic import Shape
from arignote_core.tensors.shape_inference import infer_shape, shape_vector
from arignote_core.tensors.subtensor_update import inc_subtensor

from ..errors import UndefinedGrad, undefined_grad
from ..forward import propagate_tangents
from ..registry import register_pullback, register_pushforward
from ..reverse import REACHES_INTEGER, backpropagate
from ..tensor_utils import is_differentiable, zeros_like


def _reversed(x: Any) -> Any:
    return x[::-1]


@register_pullback(Scan)
def scan_pullback(op: Scan, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    info = op.info
    if info.as_while:
        reason = "a while loop (scan with until) has no derivative: its number of steps depends on the values"
        return [None, *[undefined_grad(op, i, reason) for i in range(1, len(node.inputs))]]
    return _Backward(op, node, list(output_grads)).gradients()


class _Backward:
    """The pieces of one scan node's pullback, built in order by :meth:`gradients`."""

    def __init__(self, op: Scan, node: Apply, output_grads: list[Any]) -> None:
        self.op, self.node, self.info = op, node, op.info
        n_steps, self.outer = self.info.split_outer_inputs(node.inputs)
        self.n_steps = as_tensor(n_steps)
        grads = self.info.split_outer_outputs(output_grads)
        self.state_grads, self.output_grads, self.final_grads = grads.states, grads.outputs, grads.carried
        # a loop going backwards reads its sequences reversed, at the taps negated, forwards
        back = self.info.go_backwards
        self.sequences = [as_tensor(_reversed(s) if back else s) for s in self.outer.sequences]
        self.seq_taps = [tuple(-k for k in taps) if back else taps for taps in self.info.seq_taps]
        truncate = self.info.truncate_gradient
        self.steps_back = self.n_steps if truncate < 0 else minimum(self.n_steps, truncate)

    def gradients(self) -> list[Any]:
        info, step = self.info, self.op.step
        n_inputs = len(self.node.inputs)
        # the step's inputs, one placeholder each, and the forward step rebuilt on them
        reads = [v.type.make_variable(name=v.name) for v in step.inputs]
        read = info.split_inner_inputs(reads)
        new, _ = info.split_inner_outputs(step.expand(step.outputs, reads))
        windows = [as_tensor(buffer.type.make_variable(name=f"d{buffer} window")) if is_differentiable(buffer)
                   else None for buffer in self.outer.states]
        carried_grads = [o.type.make_variable(name=f"d{o}") if is_differentiable(o) else None
                         for o in self.node.outputs[info.n_states + info.n_outputs:]]
        step_grads = [_row_variable(g) if g is not None else None for g in [*self.state_grads, *self.output_grads]]
        seeds: dict[Variable, Variable] = {}
        for out, window, g in zip(new.states, windows, step_grads[: info.n_states], strict=True):
            _seed(seeds, out, [x for x in (g, window[0] if window is not None else None) if x is not None])
        for out, g in [*zip(new.outputs, step_grads[info.n_states:], strict=True),
                       *zip(new.carried, carried_grads, strict=True)]:
            _seed(seeds, out, [g] if g is not None else [])
        if not seeds:
            return [None] * n_inputs
        wrt = [v for v in reads if is_differentiable(v)]
        found = dict(zip(wrt, backpropagate(seeds, wrt), strict=True))
        if any(g is not None and g is not REACHES_INTEGER and not isinstance(g, Variable) for g in found.values()):
            reason = "the step's derivative is undefined (an op of the step has none)"
            return [None, *[undefined_grad(self.op, i, reason) for i in range(1, n_inputs)]]
        grad_of, recorded = _reading_recorded_states(
            {v: g for v, g in found.items() if isinstance(g, Variable)}, new.states)
        loop = self._loop(read, grad_of, windows, carried_grads, step_grads)
        for j, placeholder in recorded.items():
            loop.sequences.append((as_tensor(self.node.outputs[j])[: self.n_steps], (0,), [placeholder]))
        results = build_scan(loop, self.steps_back, go_backwards=True, name=f"grad of {self.op.name or 'scan'}")
        gradients = self._gradients(results, read, grad_of, windows, carried_grads)
        return self._mark_integers(gradients, read, set(ancestors(list(seeds))))

    def _loop(self, read: StepInputs[Variable], grad_of: dict[Variable, Variable], windows: list[Any],
              carried_grads: list[Any], step_grads: list[Any]) -> Loop:
        """The backward loop: over the steps from the last, reading what each step read and its outputs'
        gradients, giving the gradients of the sequences' taps and carrying the windows and sums."""
        info, outer, T = self.info, self.outer, self.n_steps
        loop = Loop()
        for seq, taps, tap_vars in zip(self.sequences, self.seq_taps, read.sequences, strict=True):
            for k, v in zip(taps, tap_vars, strict=True):
                start = k - min(taps)
                loop.sequences.append((seq[start: start + T], (0,), [v]))
                if v in grad_of:
                    loop.outputs.append(grad_of[v])
        for j, (buffer, tap_vars) in enumerate(zip(outer.states, read.states, strict=True)):
            history = concatenate([buffer, self.node.outputs[j]])
            for k, v in zip(info.state_taps[j], tap_vars, strict=True):
                start = info.max_lag(j) + k
                loop.sequences.append((history[start: start + T], (0,), [v]))
        for g, v in zip([*self.state_grads, *self.output_grads], step_grads, strict=True):
            if v is not None:
                loop.sequences.append((g, (0,), [v]))
        for j, window in enumerate(windows):
            if window is not None:
                loop.carried.append((zeros_like(outer.states[j]), window,
                                     _shifted(window, info.state_taps[j], read.states[j], grad_of)))
        finals = self.node.outputs[info.n_states + info.n_outputs:]
        for m, (g_var, final) in enumerate(zip(carried_grads, finals, strict=True)):
            if g_var is not None:
                seed = self.final_grads[m]
                loop.carried.append((seed if seed is not None else zeros_like(final), g_var,
                                     _or_zeros(grad_of.get(read.carried[m]), read.carried[m])))
        for value, v in zip(outer.non_sequences, read.non_sequences, strict=True):
            if v in grad_of:
                total = v.type.make_variable(name=f"sum d{v}")
                loop.carried.append((zeros_like(value), total, total + grad_of[v]))
        loop.non_sequences = list(zip(outer.non_sequences, read.non_sequences, strict=True))
        used = set(ancestors([*loop.outputs, *[n for *_, n in loop.carried]]))
        if any(c in used for c in read.carried):
            for stacked, v in zip(self._recorded_carried(), read.carried, strict=True):
                loop.sequences.append((stacked, (0,), [v]))
        return loop

    def _recorded_carried(self) -> list[Variable]:
        """The carried values each step read (the node gives only the last ones): the forward loop run again,
        stacking them as outputs."""
        info, step, outer = self.info, self.op.step, self.outer
        taps = info.split_inner_inputs(step.inputs)
        new, _ = info.split_inner_outputs(step.outputs)
        replay = Loop(sequences=list(zip(outer.sequences, info.seq_taps, taps.sequences, strict=True)),
                      states=list(zip(outer.states, info.state_taps, taps.states, new.states, strict=True)),
                      outputs=list(taps.carried),
                      carried=list(zip(outer.carried, taps.carried, new.carried, strict=True)),
                      non_sequences=list(zip(outer.non_sequences, taps.non_sequences, strict=True)))
        results = build_scan(replay, self.n_steps, go_backwards=info.go_backwards,
                             name=f"replay of {self.op.name or 'scan'}")
        return results[info.n_states: info.n_states + info.n_carried]

    def _gradients(self, results: list[Variable], read: StepInputs[Variable], grad_of: dict[Variable, Variable],
                   windows: list[Any], carried_grads: list[Any]) -> list[Any]:
        """The node's inputs' gradients from the backward loop's outputs."""
        info, T, n = self.info, self.n_steps, self.steps_back
        n_tap_grads = sum(v in grad_of for taps in read.sequences for v in taps)
        tap_grads, finals = iter(results[:n_tap_grads]), iter(results[n_tap_grads:])
        seq_grads: list[Any] = []
        for seq, taps, tap_vars in zip(self.sequences, self.seq_taps, read.sequences, strict=True):
            total = None
            for k, v in zip(taps, tap_vars, strict=True):
                if v in grad_of:  # step t's gradient is the backward loop's output T - 1 - t
                    start = T - n + k - min(taps)
                    total = inc_subtensor((zeros_like(seq) if total is None else total)[start: start + n],
                                          _reversed(next(tap_grads)))
            seq_grads.append(_reversed(total) if total is not None and info.go_backwards else total)
        # a truncated gradient that stopped before the first step sends nothing to the initial values
        whole = None if info.truncate_gradient < 0 else T <= info.truncate_gradient
        state_grads = [None if w is None else _if_whole(whole, _reversed(next(finals))) for w in windows]
        carried = [None if g is None else _if_whole(whole, next(finals)) for g in carried_grads]
        non_seqs = [next(finals) if v in grad_of else None for v in read.non_sequences]
        return [None, *seq_grads, *state_grads, *carried, *non_seqs]

    def _mark_integers(self, gradients: list[Any], read: StepInputs[Variable], used: set[Variable]) -> list[Any]:
        """``gradients`` with zeros for the integer inputs the differentiated outputs depend on: the reverse engine
        follows a gradient reaching an integer to where it came from (a step function, or an undefined
        derivative), as through any other op."""
        reads = [*read.sequences, *read.states, *[[v] for v in read.carried], *[[v] for v in read.non_sequences]]
        marked: list[Any] = [None]
        for g, value, vs in zip(gradients[1:], self.node.inputs[1:], reads, strict=True):
            integer = g is None and not is_differentiable(value) and any(v in used for v in vs)
            marked.append(zeros_like(value) if integer else g)
        return marked


def _reading_recorded_states(grad_of: dict[Variable, Variable], states: Sequence[Variable]) \
        -> tuple[dict[Variable, Variable], dict[int, Variable]]:
    """The step's gradients reading the values the forward loop recorded for its states (the node's state
    stacks, which the backward loop reads anyway for the taps) where they use the values the step computes
    (``tanh``'s derivative uses its output): the backward step then does not compute the forward step again.
    Returns the gradients and, by state, the placeholder each reads its recorded row through."""
    placeholders = {state: state.type.make_variable(name=f"{state.name or 'state'}[t] recorded") for state in states}
    keys = list(grad_of)
    replacements: dict[Variable, Variable] = dict(placeholders)
    # the shapes the derivative takes of values the step computes (where a broadcast is summed back) from the
    # shapes of what the step reads: else they keep the forward step's computation (its products) in the loop
    for node in toposort([grad_of[v] for v in keys]):
        if isinstance(node.op, Shape) and node.inputs[0].owner is not None:
            replacements[node.outputs[0]] = shape_vector(infer_shape(node.inputs[0]))
    replaced, _ = clone_replace([grad_of[v] for v in keys], replacements)
    used = set(ancestors(replaced))
    recorded = {j: p for j, p in enumerate(placeholders.values()) if p in used}
    return dict(zip(keys, replaced, strict=True)), recorded


def _row_variable(stacked: Variable) -> Variable:
    """A placeholder for one step's entry of the stack ``stacked``."""
    return TensorType(stacked.type.dtype, stacked.type.shape[1:]).make_variable(name=f"d{stacked}[t]")


def _seed(seeds: dict[Variable, Variable], out: Variable, terms: list[Variable]) -> None:
    for g in terms:
        seeds[out] = add(seeds[out], g) if out in seeds else g


def _or_zeros(g: Variable | None, like: Variable) -> Variable:
    return g if g is not None else zeros_like(like)


def _shifted(window: TensorVariable, taps: tuple[int, ...], tap_vars: list[Variable],
             grad_of: dict[Variable, Variable]) -> Variable:
    """The window for the step before: entry ``d`` is the window's entry ``d + 1`` plus what this step sends to
    the value ``d + 1`` steps back (tap ``-(d + 1)``)."""
    max_lag = -min(taps)
    sent = {-k: grad_of.get(v) for k, v in zip(taps, tap_vars, strict=True)}
    rows: list[Variable] = []
    for d in range(max_lag):
        terms = [t for t in (window[d + 1] if d + 1 < max_lag else None, sent.get(d + 1)) if t is not None]
        rows.append(add(terms[0], terms[1]) if len(terms) == 2 else terms[0] if terms else zeros_like(window[0]))
    return stack(rows)


def _if_whole(whole: Any, g: Variable) -> Variable:
    """``g``, or zeros where a truncated gradient stopped before the first step."""
    return g if whole is None else where(whole, g, zeros_like(g))


@register_pushforward(Scan)
def scan_pushforward(op: Scan, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    info, step = op.info, op.step
    _, given = info.split_outer_inputs(list(tangents))
    _, outer = info.split_outer_inputs(node.inputs)
    taps = info.split_inner_inputs(step.inputs)
    new, condition = info.split_inner_outputs(step.outputs)
    # a tangent beside each step input that may carry one: a state's and a carried value's always (its
    # tangent may become nonzero along the loop), a sequence's or non-sequence's where one is given
    seq_t = [[_tangent(v) if g is not None else None for v in vs] for vs, g in zip(taps.sequences,
                                                                                 given.sequences, strict=True)]
    state_t = [[_tangent(v) for v in vs] for vs in taps.states]
    carried_t = [_tangent(v) for v in taps.carried]
    non_seq_t = [_tangent(v) if g is not None else None for v, g in zip(taps.non_sequences, given.non_sequences,
                                                                       strict=True)]
    pairs = [(v, t) for v, t in zip(step.inputs, [*[t for ts in seq_t for t in ts], *[t for ts in state_t for t in ts],
                                                  *carried_t, *non_seq_t], strict=True) if t is not None]
    found, _ = propagate_tangents([v for v, _ in pairs], [t for _, t in pairs], list(step.outputs))
    undefined = next((t for t in found.values() if isinstance(t, UndefinedGrad)), None)
    if undefined is not None:
        return [undefined] * len(node.outputs)

    def tangent_of(v: Variable) -> Variable:
        t = found.get(v)
        return t if isinstance(t, Variable) else zeros_like(v)

    loop = Loop(outputs=[*new.outputs, *[tangent_of(o) for o in new.outputs]], condition=condition)
    for seq, seq_tangent, k, vs, ts in zip(outer.sequences, given.sequences, info.seq_taps, taps.sequences, seq_t,
                                           strict=True):
        loop.sequences.append((seq, k, vs))
        if seq_tangent is not None:
            loop.sequences.append((seq_tangent, k, [t for t in ts if t is not None]))
    loop.states = list(zip(outer.states, info.state_taps, taps.states, new.states, strict=True))
    for j, (buffer, ts, nxt) in enumerate(zip(outer.states, state_t, new.states, strict=True)):
        if ts[0] is not None:
            start = given.states[j]
            loop.states.append((start if start is not None else zeros_like(buffer), info.state_taps[j],
                                [t for t in ts if t is not None], tangent_of(nxt)))
    loop.carried = list(zip(outer.carried, taps.carried, new.carried, strict=True))
    for m, (init, t, nxt) in enumerate(zip(outer.carried, carried_t, new.carried, strict=True)):
        if t is not None:
            start = given.carried[m]
            loop.carried.append((start if start is not None else zeros_like(init), t, tangent_of(nxt)))
    loop.non_sequences = [*zip(outer.non_sequences, taps.non_sequences, strict=True),
                          *[(g, t) for g, t in zip(given.non_sequences, non_seq_t, strict=True) if t is not None]]
    results = build_scan(loop, node.inputs[0], go_backwards=info.go_backwards,
                         name=f"pushforward of {op.name or 'scan'}")
    # the new loop's outputs: the states then their tangents, the outputs then theirs, the carried values then theirs
    n_states = len(loop.states)
    state_tangents = iter(results[info.n_states: n_states])
    carried_tangents = iter(results[n_states + 2 * info.n_outputs + info.n_carried:])
    return [*[next(state_tangents) if ts[0] is not None else None for ts in state_t],
            *results[n_states + info.n_outputs: n_states + 2 * info.n_outputs],
            *[next(carried_tangents) if t is not None else None for t in carried_t]]


def _tangent(v: Variable) -> Variable | None:
    """A tangent placeholder for the step input ``v``, or None for one that carries none (integers)."""
    return v.type.make_variable(name=f"d{v}") if is_differentiable(v) else None
