"""Forward mode: ``Rop``, with each op's own pushforward rule (not the double-reverse trick).

Tangents travel in topological order from ``wrt`` to the outputs through the nodes between them. Integer and
boolean outputs have no tangent (step functions: zero), except where the op declares its derivative undefined
(``argmax``): that output carries an undefined marker, which raises only if it reaches a requested output
through an input the consuming op really depends on (an index, a condition or a shape does not count) — the
same places where reverse mode raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Variable, as_tensor, toposort

from .connectivity import probe_inputs
from .errors import DisconnectedOutputError, GradientRuleError, UndefinedGrad, UndefinedGradientError
from .registry import pushforward_rule
from .reverse import Grad, as_variable_list, check_rule_result, missing_rule
from .tensor_utils import cast_to, is_differentiable, value_kind, zeros_like


def _seed_tangents(wrt: list[Variable], points: list[Any]) -> dict[Variable, Grad]:
    tangents: dict[Variable, Grad] = {}
    for k, (w, point) in enumerate(zip(wrt, points, strict=True)):
        if not is_differentiable(w):
            raise TypeError(f"Rop: wrt[{k}] ({w}) is {value_kind(w)} ({w.type}); tangents need float inputs")
        p = as_tensor(point)
        if p.ndim != w.type.ndim:
            raise TypeError(f"Rop: eval_points[{k}] has type {p.type}, but wrt[{k}] ({w}) has type {w.type}")
        tangents[w] = cast_to(p, w)
    return tangents


def propagate_tangents(wrt: list[Variable], points: list[Any], outputs: Sequence[Variable]) \
        -> tuple[dict[Variable, Grad], set[Variable]]:
    """Tangents of every variable between ``wrt`` and ``outputs``, and the set of variables depending on wrt."""
    tangents = _seed_tangents(wrt, points)
    reach: set[Variable] = set(wrt)
    for node in toposort(outputs):
        if not any(v in reach for v in node.inputs):
            continue
        reach.update(node.outputs)
        in_tangents: list[Any] = [tangents.get(v) for v in node.inputs]
        if all(t is None for t in in_tangents):
            continue
        fresh = [o for o in node.outputs if o not in tangents]
        undefined = [i for i, t in enumerate(in_tangents) if isinstance(t, UndefinedGrad)]
        discrete = [o for o in fresh if not is_differentiable(o)]
        probes = probe_inputs(node) if undefined or discrete else []
        if undefined:
            hit = next((in_tangents[i] for i in undefined if probes[i] is not None), None)
            if hit is not None:
                tangents.update((o, hit) for o in fresh)
                continue
            for i in undefined:
                in_tangents[i] = None
            if all(t is None for t in in_tangents):
                continue
        if discrete:
            declared = next((p for p, t in zip(probes, in_tangents, strict=True)
                             if isinstance(p, UndefinedGrad) and t is not None), None)
            if declared is not None:
                tangents.update((o, declared.at(node)) for o in discrete)
        if len(discrete) == len(node.outputs):
            continue
        rule = pushforward_rule(node.op)
        if rule is None:
            raise missing_rule(node, "pushforward")
        out_tangents = list(rule(node.op, node, in_tangents))
        if len(out_tangents) != len(node.outputs):
            raise GradientRuleError(f"the pushforward of {node.op} returned {len(out_tangents)} tangents for "
                                    f"{len(node.outputs)} outputs")
        for j, (out, t) in enumerate(zip(node.outputs, out_tangents, strict=True)):
            if out in fresh and is_differentiable(out):
                checked = check_rule_result(node, j, t, "pushforward", out)
                if checked is not None:
                    tangents[out] = checked
    return tangents, reach


def Rop(f: Variable | Sequence[Variable], wrt: Variable | Sequence[Variable], eval_points: Any,
        disconnected_outputs: str = "raise") -> Any:
    """Jacobian-vector product: the derivative of ``f`` in the direction ``eval_points`` (one per ``wrt``).

    ``disconnected_outputs``: 'raise' or 'ignore' (zeros) for an output that does not depend on ``wrt``.
    """
    if disconnected_outputs not in ("raise", "ignore"):
        raise ValueError(f"disconnected_outputs must be 'raise' or 'ignore', got {disconnected_outputs!r}")
    outputs, single = as_variable_list(f, "f")
    wrt_list, single_wrt = as_variable_list(wrt, "wrt")
    points = [eval_points] if single_wrt else list(eval_points)
    if len(points) != len(wrt_list):
        raise ValueError(f"Rop: got {len(points)} eval_points for {len(wrt_list)} wrt variables")
    tangents, reach = propagate_tangents(wrt_list, points, outputs)
    results = []
    for k, out in enumerate(outputs):
        t = tangents.get(out)
        if isinstance(t, UndefinedGrad):
            raise UndefinedGradientError(f"the directional derivative of {out} (f[{k}]) is undefined: it goes "
                                         f"through {t.describe()}")
        if t is None:
            if out not in reach and disconnected_outputs == "raise":
                raise DisconnectedOutputError(f"{out} (f[{k}]) does not depend on wrt; pass "
                                              "disconnected_outputs='ignore' to get zeros for it")
            t = zeros_like(out)
        results.append(t)
    return results[0] if single else results

