"""``scan``: loops over sequences with fed-back states, with Theano's (and PyTensor's) signature and semantics.

``fn`` is called once, on symbolic variables standing for one step: each tap of each sequence, each tap of each
fed-back output, then the non-sequences. It returns the step's outputs, and optionally a dictionary of updates of
shared variables and an :class:`until` condition. Shared variables it uses are implicit non-sequences; those it
updates, and random generators it draws from (their ``default_update``), are carried from step to step, and
their values after the last step come back in the updates ``scan`` returns, for ``function(...,
updates=updates)``. A shared variable that had a default update gets its value after the loop as its new default
update, so that a function compiled without those updates still advances the generators by the whole loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..dtypes import can_cast_safely
from ..graph import Constant, Variable, toposort
from ..shared import SharedVariable
from ..tensors.basic import as_tensor, cast, constant, shape
from ..tensors.elemwise import dimshuffle
from ..tensors.math import minimum
from ..tensors.type import TensorType, format_shape
from ..tensors.variable import TensorVariable
from .inner import free_variables
from .scan_build import Loop, build_scan
from .scan_op import Scan


@dataclass(frozen=True)
class until:  # noqa: N801 (Theano's name)
    """Returned by a step function (alone or with its outputs and updates): the loop stops after the first step
    where ``condition`` holds; ``n_steps`` is then a maximum."""

    condition: Any


def scan(fn: Callable[..., Any], sequences: Any = None, outputs_info: Any = None, non_sequences: Any = None,
         n_steps: Any = None, truncate_gradient: int = -1, go_backwards: bool = False, mode: Any = None,
         name: str | None = None, strict: bool = False, return_list: bool = False) -> tuple[Any, dict[Any, Any]]:
    """Run ``fn`` over ``sequences`` with fed-back ``outputs_info``; returns ``(outputs, updates)``.

    ``sequences``: variables, or ``dict(input=x, taps=[-2, 0, 1])`` (taps [0] by default). ``outputs_info``: per
    output of ``fn``, its initial value (fed back at tap -1), ``dict(initial=h0, taps=[-1, -3])`` (``h0``'s first
    axis holds the values before the first step, oldest first), or None for an output not fed back.
    ``non_sequences``: values every step reads. ``n_steps``: the number of steps (at most the sequences'
    lengths). ``go_backwards``: read the sequences from their end. ``truncate_gradient``: the gradient goes back
    that many steps (-1: all). ``strict``: every value ``fn`` uses from outside must be in ``non_sequences``.
    ``mode`` is accepted for Theano's signature: the loop runs in the mode of the function compiling it.
    ``outputs`` has one ``[n_steps, ...]`` stack per output of ``fn`` (without the initial values), one variable
    alone unless ``return_list``.
    """
    label = name or getattr(fn, "__name__", None) or "scan"
    seqs = [_sequence(label, k, s) for k, s in enumerate(_as_list(sequences))]
    infos = [_output_info(label, k, o) for k, o in enumerate(_as_list(outputs_info))]
    explicit = [v if isinstance(v, Variable) else as_tensor(v) for v in _as_list(non_sequences)]
    steps = _n_steps(label, n_steps, seqs)
    seq_taps = [[_tap_variable(seq, k, f"sequence{i}") for k in taps] for i, (seq, taps) in enumerate(seqs)]
    state_taps = [[] if info is None else [_state_variable(info[0], info[1], k, f"output{j}") for k in info[1]]
                  for j, info in enumerate(infos)]
    returned = fn(*[v for taps in seq_taps for v in taps], *[v for taps in state_taps for v in taps], *explicit)
    outputs, updates, condition = _parse_result(label, returned)
    if outputs_info is None:
        infos = [None] * len(outputs)
        state_taps = [[] for _ in outputs]
    if len(outputs) != len(infos):
        raise ValueError(f"scan {label!r}: fn returned {len(outputs)} outputs, but outputs_info has {len(infos)} "
                         "entries; give one per output (None for an output that is not fed back)")
    loop = Loop(sequences=[(seq, taps, inner) for (seq, taps), inner in zip(seqs, seq_taps, strict=True)])
    for j, (out, info, taps) in enumerate(zip(outputs, infos, state_taps, strict=True)):
        if info is None:
            loop.outputs.append(out)
        else:
            loop.states.append((_buffer(label, j, *info), info[1], taps, _fed_back(label, j, out, taps[0])))
    carried = _carried(label, updates, loop.step_outputs() + ([condition] if condition is not None else []),
                       set(loop.step_inputs()))
    loop.carried = [(target, target, new) for target, new in carried]
    loop.condition = condition
    targets = {target for target, _ in carried}
    loop.non_sequences = [(v, v) for v in dict.fromkeys(explicit) if not isinstance(v, Constant) and v not in targets]
    if strict:
        _check_strict(label, loop, explicit)
    stacks = build_scan(loop, steps, go_backwards=go_backwards, truncate_gradient=truncate_gradient, name=label)
    n_states = len(loop.states)
    states, outs, finals = stacks[:n_states], stacks[n_states:n_states + len(loop.outputs)], stacks[n_states +
                                                                                                    len(loop.outputs):]
    state_iter, out_iter = iter(states), iter(outs)
    ordered = [next(out_iter) if info is None else next(state_iter) for info in infos]
    new_values = {target: final for (target, _), final in zip(carried, finals, strict=True)}
    for target, final in new_values.items():
        if target.default_update is not None:  # a generator the step draws from: advanced by the whole loop
            target.default_update = final
    if return_list:
        return ordered, new_values
    return (ordered[0] if len(ordered) == 1 else ordered or None), new_values


# -- the arguments ---------------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _sequence(label: str, k: int, entry: Any) -> tuple[Variable, tuple[int, ...]]:
    if isinstance(entry, Mapping):
        unknown = set(entry) - {"input", "taps"}
        if "input" not in entry or unknown:
            raise ValueError(f"scan {label!r}: sequences[{k}] must have the keys 'input' and optionally 'taps', "
                             f"got {sorted(entry)}")
        var, taps = as_tensor(entry["input"]), _taps(label, f"sequences[{k}]", entry.get("taps", [0]))
    else:
        var, taps = as_tensor(entry), (0,)
    if var.ndim == 0:
        raise ValueError(f"scan {label!r}: sequences[{k}] ({var}) is a scalar; a sequence is read along its first "
                         "axis")
    return var, taps


def _output_info(label: str, k: int, entry: Any) -> tuple[TensorVariable, tuple[int, ...]] | None:
    if entry is None:
        return None
    if isinstance(entry, Mapping):
        unknown = set(entry) - {"initial", "taps"}
        if unknown:
            raise ValueError(f"scan {label!r}: outputs_info[{k}] may have the keys 'initial' and 'taps', got "
                             f"{sorted(entry)}")
        if entry.get("initial") is None:
            return None
        taps = _taps(label, f"outputs_info[{k}]", entry.get("taps", [-1]))
        if any(t >= 0 for t in taps):
            raise ValueError(f"scan {label!r}: outputs_info[{k}] has taps {list(taps)}; a fed-back output is read at "
                             "negative taps only (-1: the previous step)")
        return as_tensor(entry["initial"]), taps
    return as_tensor(entry), (-1,)


def _taps(label: str, what: str, taps: Any) -> tuple[int, ...]:
    values = _as_list(taps)
    if not values or not all(isinstance(t, int) for t in values) or len(set(values)) != len(values):
        raise ValueError(f"scan {label!r}: {what} needs distinct integer taps, got {taps!r}")
    return tuple(values)


def _n_steps(label: str, n_steps: Any, seqs: list[tuple[Variable, tuple[int, ...]]]) -> Variable:
    """The number of steps: ``n_steps`` and the sequences' lengths (less their taps' span), the least of them;
    a constant where all are known at build time."""
    lengths: list[Any] = []
    if n_steps is not None:
        given = as_tensor(n_steps)
        if given.ndim != 0 or given.type.dtype[0] not in "iu":
            raise TypeError(f"scan {label!r}: n_steps must be an integer scalar, got {n_steps!r}")
        if isinstance(given, Constant) and int(given.data) < 0:
            raise ValueError(f"scan {label!r}: n_steps is {int(given.data)}; it cannot be negative (go_backwards=True "
                             "reads the sequences from their end)")
        lengths.append(int(given.data) if isinstance(given, Constant) else cast(given, "int64"))
    for k, (seq, taps) in enumerate(seqs):
        span = max(taps) - min(taps)
        size = seq.type.shape[0]
        if size is not None and size < span:
            raise ValueError(f"scan {label!r}: sequences[{k}] has {size} entries, fewer than its taps {list(taps)} "
                             f"span ({span})")
        lengths.append(size - span if size is not None else shape(seq)[0] - span)
    if not lengths:
        raise ValueError(f"scan {label!r}: no sequences and no n_steps: give n_steps, the number of steps to run")
    static = [n for n in lengths if isinstance(n, int)]
    symbolic = [n for n in lengths if not isinstance(n, int)]
    result: Any = min(static) if static else None
    for n in symbolic:
        result = n if result is None else minimum(result, n)
    return constant(result, "int64") if isinstance(result, int) else as_tensor(result)


def _tap_variable(seq: Variable, tap: int, fallback: str) -> Variable:
    where = "t" if tap == 0 else f"t{tap:+d}"
    return TensorType(seq.type.dtype, seq.type.shape[1:]).make_variable(f"{seq.name or fallback}[{where}]")


def _state_variable(initial: Variable, taps: tuple[int, ...], tap: int, fallback: str) -> Variable:
    static = initial.type.shape if taps == (-1,) else initial.type.shape[1:]
    return TensorType(initial.type.dtype, static).make_variable(f"{initial.name or fallback}[t{tap:+d}]")


def _buffer(label: str, j: int, initial: TensorVariable, taps: tuple[int, ...]) -> Variable:
    """The values before the first step, oldest first: the initial value itself for taps [-1], else the first
    ``max_lag`` entries of its first axis."""
    if taps == (-1,):
        return dimshuffle(initial, ["x", *range(initial.ndim)])
    max_lag = -min(taps)
    if initial.ndim == 0:
        raise ValueError(f"scan {label!r}: outputs_info[{j}] has taps {list(taps)}, so its initial value needs a "
                         f"first axis of {max_lag} entries (the values before the first step); got the scalar "
                         f"{initial}")
    size = initial.type.shape[0]
    if size is not None and size < max_lag:
        raise ValueError(f"scan {label!r}: outputs_info[{j}] has taps {list(taps)}, so its initial value needs "
                         f"{max_lag} entries along its first axis; {initial} has {size}")
    return initial if size == max_lag else initial[:max_lag]


# -- what fn returned -----------------------------------------------------------------------------------------


def _parse_result(label: str, returned: Any) -> tuple[list[Variable], list[tuple[Any, Any]], Variable | None]:
    """fn's outputs, updates and condition, from any of Theano's forms: outputs, an updates dict, an ``until``,
    or a tuple of some of them in any order."""
    parts = list(returned) if isinstance(returned, tuple) else [returned]
    if isinstance(returned, tuple) and not any(_is_updates(p) or isinstance(p, until) for p in parts):
        parts = [list(returned)]
    outputs: list[Variable] = []
    updates: list[tuple[Any, Any]] = []
    condition: Variable | None = None
    for part in parts:
        if isinstance(part, until):
            condition = _condition(label, part.condition)
        elif _is_updates(part):
            updates += list(part.items()) if isinstance(part, Mapping) else [tuple(p) for p in part]
        elif part is not None:
            outputs += [_output(label, k, o) for k, o in enumerate(_as_list(part), start=len(outputs))]
    return outputs, updates, condition


def _is_updates(part: Any) -> bool:
    if isinstance(part, Mapping):
        return True
    return isinstance(part, list) and bool(part) and all(
        isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], SharedVariable) for p in part)


def _output(label: str, k: int, value: Any) -> Variable:
    try:
        return as_tensor(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"scan {label!r}: fn's output {k} is not a tensor: {value!r:.80} ({exc})") from None


def _condition(label: str, value: Any) -> Variable:
    condition = as_tensor(value)
    if condition.ndim != 0:
        raise ValueError(f"scan {label!r}: until's condition must be a scalar, got {condition} of type "
                         f"{condition.type}")
    return cast(condition, "bool")


def _fed_back(label: str, j: int, out: Variable, tap: Variable) -> Variable:
    """``out``, the next value of state ``j`` read as ``tap``: of the same number of dimensions and a dtype that
    casts to the state's without loss (Theano's strictness); cast to it."""
    want, got = tap.type, out.type
    problem = None
    if got.ndim != want.ndim:
        problem = f"{got.ndim} dimensions instead of {want.ndim}"
    elif any(a is not None and b is not None and a != b for a, b in zip(got.shape, want.shape, strict=True)):
        problem = "another static shape"
    elif not can_cast_safely(got.dtype, want.dtype):
        problem = (f"dtype {got.dtype}, which does not cast to {want.dtype} without loss; give outputs_info[{j}] "
                   f"the dtype {got.dtype}, or cast the output with .astype('{want.dtype}')")
    if problem is not None:
        raise TypeError(f"scan {label!r}: output {j} of fn is fed back (outputs_info[{j}]), so it must be like its "
                        f"initial value: expected {want.dtype} with shape {format_shape(want.shape)} per step, got "
                        f"{out} of type {got.dtype} with shape {format_shape(got.shape)}: {problem}")
    return cast(out, want.dtype)


def _carried(label: str, updates: list[tuple[Any, Any]], outputs: list[Variable], inner: set[Variable]
             ) -> list[tuple[SharedVariable, Variable]]:
    """The shared variables carried from step to step with their next values: those fn updates, then those the
    step uses that have a default update (a random generator's state) or that a scan inside the step updates."""
    carried: dict[SharedVariable, Variable] = {}
    for target, value in updates:
        if not isinstance(target, SharedVariable):
            raise TypeError(f"scan {label!r}: fn's updates can only change shared variables; {target} is not one")
        carried[target] = _update_value(label, target, value)
    pending = [*outputs, *carried.values()]
    while pending:
        found = _default_updates(pending, inner, carried)
        carried.update(found)
        pending = list(found.values())
    return list(carried.items())


def _update_value(label: str, target: SharedVariable, value: Any) -> Variable:
    new = as_tensor(value)
    want = target.type
    if new.ndim != want.ndim or not can_cast_safely(new.dtype, want.dtype):
        raise TypeError(f"scan {label!r}: fn updates {target} ({want}) with {new} of type {new.type}; the update "
                        f"must have its number of dimensions and a dtype casting to {want.dtype} without loss")
    return cast(new, want.dtype)


def _default_updates(outputs: list[Variable], inner: set[Variable], carried: dict[SharedVariable, Variable]
                     ) -> dict[SharedVariable, Variable]:
    found: dict[SharedVariable, Variable] = {}
    for node in toposort(outputs, stop_at=list(inner)):
        if isinstance(node.op, Scan):  # a scan in the step: what it updates advances with the outer loop
            _, parts = node.op.info.split_outer_inputs(node.inputs)
            finals = node.outputs[len(node.outputs) - len(parts.carried):]
            found.update((v, new) for v, new in zip(parts.carried, finals, strict=True)
                         if isinstance(v, SharedVariable) and v not in carried)
        for v in node.inputs:
            if isinstance(v, SharedVariable) and v.default_update is not None and v not in carried:
                found.setdefault(v, v.default_update)
    return found


def _check_strict(label: str, loop: Loop, explicit: list[Variable]) -> None:
    given = set(loop.step_inputs()) | set(explicit) | {c for _, c, _ in loop.carried}
    missing = [v for v in free_variables(loop.step_outputs(), stop_at=list(given)) if v not in given]
    if missing:
        raise ValueError(f"scan {label!r} is strict, but fn uses {', '.join(map(str, missing))} from outside; list "
                         "what it uses in non_sequences")
