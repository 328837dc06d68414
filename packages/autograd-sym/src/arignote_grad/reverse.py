"""Reverse mode: ``grad`` and ``Lop``.

The engine walks, in reverse topological order, only the nodes that lie between ``wrt`` and the cost (or the
variables with known gradients), asks each node's pullback for its inputs' gradients and sums the
contributions of every use of a variable.

Integer and boolean variables carry no gradient. Where a gradient reaches one, it is followed back (through
integer arithmetic) to the op that made an integer from floats, which decides: a step function (comparison,
cast to an integer, ``isnan``...) has derivative zero, so nothing flows on; an op whose rule declares the
derivative undefined (``argmax``) makes an undefined gradient, which names the op and the input and raises
only if it reaches a variable the user asked about.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from arignote_core import Apply, TensorVariable, Variable, as_tensor, toposort
from arignote_core.tensors.math import add

from .connectivity import probe_inputs
from .errors import DisconnectedInputError, GradientRuleError, MissingRuleError, UndefinedGrad, UndefinedGradientError
from .registry import pullback_rule
from .tensor_utils import cast_to, is_differentiable, is_real_float, ones_like, value_kind, zeros_like


class _ReachesInteger:
    """A gradient reached this integer (or boolean) variable; where it came from decides what it means."""

    def __repr__(self) -> str:
        return "REACHES_INTEGER"


REACHES_INTEGER = _ReachesInteger()

Grad = Variable | UndefinedGrad | _ReachesInteger | None

_DISCONNECTED_CHOICES = ("raise", "warn", "ignore")


def as_variable_list(value: Any, what: str) -> tuple[list[Variable], bool]:
    """A list of variables from one variable or a sequence of them; also whether a single one was given."""
    if isinstance(value, Variable):
        return [value], True
    if isinstance(value, list | tuple):
        items = list(value)
        for k, item in enumerate(items):
            if not isinstance(item, Variable):
                raise TypeError(f"{what}[{k}] must be a symbolic variable, got {type(item).__name__} {item!r:.60}")
        return items, False
    raise TypeError(f"{what} must be a symbolic variable or a list of them, got {type(value).__name__}")


def missing_rule(node: Apply, kind: str) -> MissingRuleError:
    cls = type(node.op).__name__
    where = f" (created at {node.source.short()})" if node.source else ""
    method = "pullback(node, output_grads)" if kind == "pullback" else "pushforward(node, input_tangents)"
    return MissingRuleError(f"{node.op}{where} has no {kind} rule: register one with "
                            f"arignote_grad.register_{kind}({cls}), or give {cls} a method {method}")


def check_rule_result(node: Apply, index: int, value: Any, kind: str, target: Variable) -> Grad:
    """A rule's entry for ``target`` (input or output ``index`` of ``node``), checked and cast to its dtype."""
    if value is None:
        return None
    if isinstance(value, UndefinedGrad):
        return value.at(node)
    label = "input" if kind == "pullback" else "output"
    if not isinstance(value, Variable):
        raise GradientRuleError(f"the {kind} of {node.op} returned {type(value).__name__} for {label} {index}; "
                                "expected a symbolic variable, None, or undefined_grad(...)")
    if not is_differentiable(target):
        return REACHES_INTEGER
    want, got = target.type, value.type
    if getattr(got, "ndim", None) != getattr(want, "ndim", None) or not all(
            a is None or b is None or a == b for a, b in zip(got.shape, want.shape, strict=True)):
        raise GradientRuleError(f"the {kind} of {node.op} returned {value} of type {got} for {label} {index} "
                                f"({target}), which has type {want}")
    return cast_to(value, target)


def sum_grads(terms: Sequence[Grad]) -> Grad:
    """The sum of the contributions to one variable's gradient (an undefined one wins)."""
    present = [t for t in terms if t is not None]
    for t in present:
        if isinstance(t, UndefinedGrad):
            return t
    if not present or present[0] is REACHES_INTEGER:
        return present[0] if present else None
    total = present[0]
    for t in present[1:]:
        # a tensor's contributions are added by ``add``; another type's (a sparse matrix's) by its own ``+``
        total = add(total, t) if isinstance(total, TensorVariable) else total + t  # type: ignore[operator]
    return total


def backpropagate(seeds: Mapping[Variable, Variable], wrt: Sequence[Variable],
                  consider_constant: Iterable[Variable] = ()) -> list[Grad]:
    """The gradients reaching each of ``wrt`` from ``seeds`` (gradients of given variables)."""
    constants = set(consider_constant)
    order = toposort(list(seeds))
    reach: set[Variable] = set(wrt)
    for node in order:
        if any(v in reach and v not in constants for v in node.inputs):
            reach.update(node.outputs)
    contributions: dict[Variable, list[Grad]] = {v: [g] for v, g in seeds.items()}
    totals: dict[Variable, Grad] = {}

    def total(var: Variable) -> Grad:
        if var not in totals:
            totals[var] = None if var in constants else sum_grads(contributions.pop(var, []))
        return totals[var]

    for node in reversed(order):
        wanted = [v in reach and v not in constants for v in node.inputs]
        if not any(wanted):
            continue
        output_grads = [total(o) for o in node.outputs]
        if all(g is None for g in output_grads):
            continue
        undefined = next((g for g in output_grads if isinstance(g, UndefinedGrad)), None)
        if undefined is not None:
            for inp, want, probe in zip(node.inputs, wanted, probe_inputs(node), strict=True):
                if want and probe is not None:
                    contributions.setdefault(inp, []).append(undefined)
            continue
        if all(g is None or g is REACHES_INTEGER for g in output_grads):
            _reach_integer_inputs(node, wanted, contributions)
            continue
        output_grads = [None if g is REACHES_INTEGER else g for g in output_grads]
        rule = pullback_rule(node.op)
        if rule is None:
            raise missing_rule(node, "pullback")
        input_grads = list(rule(node.op, node, output_grads))
        if len(input_grads) != len(node.inputs):
            raise GradientRuleError(f"the pullback of {node.op} returned {len(input_grads)} gradients for "
                                    f"{len(node.inputs)} inputs")
        for i, (inp, want, g) in enumerate(zip(node.inputs, wanted, input_grads, strict=True)):
            if want:
                checked = check_rule_result(node, i, g, "pullback", inp)
                if checked is not None:
                    contributions.setdefault(inp, []).append(checked)
    return [total(w) for w in wrt]


def _reach_integer_inputs(node: Apply, wanted: list[bool], contributions: dict[Variable, list[Grad]]) -> None:
    """A gradient reached only integer outputs of ``node``: follow it into integer inputs; float inputs get
    nothing (a step function), or an undefined gradient where the op declares one."""
    for inp, want, probe in zip(node.inputs, wanted, probe_inputs(node), strict=True):
        if not want or probe is None:
            continue
        if isinstance(probe, UndefinedGrad):
            contributions.setdefault(inp, []).append(probe.at(node))
        elif not is_differentiable(inp):
            contributions.setdefault(inp, []).append(REACHES_INTEGER)


def _seeds(cost: Any, known_grads: Mapping[Variable, Any] | None) -> dict[Variable, Variable]:
    seeds: dict[Variable, Variable] = {}
    if cost is not None:
        if not isinstance(cost, Variable):
            raise TypeError(f"grad: cost must be a symbolic variable, got {type(cost).__name__}")
        if getattr(cost.type, "ndim", None) != 0:
            raise TypeError(f"grad: cost must be a scalar (0-d), got {cost} of type {cost.type}; use jacobian "
                            "for a tensor output, or Lop to start from a given gradient")
        if not is_real_float(cost):
            raise TypeError(f"grad: cost {cost} is {value_kind(cost)} ({cost.type}); differentiate a real float "
                            "cost (of a complex value, its real part or its absolute value, say)")
        seeds[cost] = ones_like(cost)
    for var, value in (known_grads or {}).items():
        if not isinstance(var, Variable):
            raise TypeError(f"known_grads keys must be symbolic variables, got {type(var).__name__}")
        if not is_differentiable(var):
            raise TypeError(f"known_grads: {var} is {value_kind(var)} ({var.type}) and cannot carry a gradient")
        g = as_tensor(value)
        if g.ndim != var.type.ndim:
            raise TypeError(f"known_grads: the gradient given for {var} ({var.type}) has type {g.type}")
        g = cast_to(g, var)
        seeds[var] = add(seeds[var], g) if var in seeds else g
    if not seeds:
        raise ValueError("grad needs a cost, or known_grads to start from")
    return seeds


def finish_gradient(w: Variable, g: Grad, position: int, disconnected_inputs: str,
                    return_disconnected: str) -> Variable | None:
    """The user-facing gradient for ``w``: raises for undefined ones, handles disconnected ones."""
    if g is REACHES_INTEGER or (g is not None and not is_differentiable(w)):
        raise UndefinedGradientError(f"{w} (wrt[{position}]) is {value_kind(w)} ({w.type}): gradients are "
                                     "defined for float variables only")
    if isinstance(g, UndefinedGrad):
        raise UndefinedGradientError(f"the gradient with respect to {w} (wrt[{position}]) is undefined: it goes "
                                     f"through {g.describe()}. Wrap the variable where that path starts in "
                                     "disconnected_grad() if it should not count")
    if g is not None:
        return g  # type: ignore[return-value]
    message = (f"the cost does not depend on {w} (wrt[{position}]): its gradient is disconnected. Pass "
               "disconnected_inputs='ignore' to get zeros for it, or 'warn' to be told and get zeros")
    if disconnected_inputs == "raise":
        raise DisconnectedInputError(message)
    if disconnected_inputs == "warn":
        warnings.warn(message, stacklevel=3)
    return None if return_disconnected == "none" else zeros_like(w)


def grad(cost: Variable | None, wrt: Variable | Sequence[Variable],
         consider_constant: Iterable[Variable] | None = None,
         known_grads: Mapping[Variable, Any] | None = None, disconnected_inputs: str = "raise",
         return_disconnected: str = "zero") -> Any:
    """Symbolic gradient of the scalar ``cost`` with respect to ``wrt`` (a variable or a list of them).

    ``consider_constant``: variables treated as constants (no gradient flows through them). ``known_grads``:
    gradients of given variables to start from, added to (or instead of, with ``cost=None``) the cost's.
    ``disconnected_inputs``: 'raise', 'warn' or 'ignore' when the cost does not depend on some of ``wrt``;
    their gradient is then zeros, or None with ``return_disconnected='none'``.
    """
    if disconnected_inputs not in _DISCONNECTED_CHOICES:
        raise ValueError(f"disconnected_inputs must be one of {_DISCONNECTED_CHOICES}, got {disconnected_inputs!r}")
    if return_disconnected not in ("zero", "none"):
        raise ValueError(f"return_disconnected must be 'zero' or 'none', got {return_disconnected!r}")
    wrt_list, single = as_variable_list(wrt, "wrt")
    seeds = _seeds(cost, known_grads)
    raw = backpropagate(seeds, wrt_list, consider_constant or ())
    results = [finish_gradient(w, g, k, disconnected_inputs, return_disconnected)
               for k, (w, g) in enumerate(zip(wrt_list, raw, strict=True))]
    return results[0] if single else results


def Lop(f: Variable | Sequence[Variable], wrt: Variable | Sequence[Variable], eval_points: Any,
        consider_constant: Iterable[Variable] | None = None, disconnected_inputs: str = "raise") -> Any:
    """Vector-Jacobian product: ``eval_points`` (one per output in ``f``) times the Jacobian of ``f`` with
    respect to ``wrt``; the gradients of ``wrt`` when ``eval_points`` are the gradients of ``f``."""
    outputs, single_f = as_variable_list(f, "f")
    points = [eval_points] if single_f else list(eval_points)
    if len(points) != len(outputs):
        raise ValueError(f"Lop: got {len(points)} eval_points for {len(outputs)} outputs")
    known: dict[Variable, Any] = {}
    for out, point in zip(outputs, points, strict=True):
        known[out] = add(known[out], point) if out in known else point
    return grad(None, wrt, consider_constant, known_grads=known, disconnected_inputs=disconnected_inputs)
