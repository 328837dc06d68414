"""The oracle: a case evaluated with NumPy directly, node by node, call after call (shared variables carry their
state from one call to the next; a call that raises changes nothing)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from . import twin
from .ir import Case, Graph, Node
from .quotients import dividend_and_divisor

NAMESPACE: dict[str, Any] = {"np": np, **twin.HELPERS}


@lru_cache(maxsize=4096)
def _code(source: str) -> Any:
    return compile(source, "<twin>", "eval")


def evaluate_node(node: Node, env: Mapping[str, Any], stable: bool = False) -> np.ndarray:
    """The node's NumPy value from its arguments' values in ``env`` (with ``stable``, the stabilized formula's);
    NumPy's warnings are silenced."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(eval(_code(node.source("np", stable)), NAMESPACE, dict(env)))


@dataclass(frozen=True)
class Failure:
    """An exception, as far as comparing it goes: its type's name, whether it is a user error, its message."""

    kind: str
    user: bool
    message: str

    @staticmethod
    def of(error: BaseException) -> Failure:
        return Failure(type(error).__name__, is_user_error(error), str(error).splitlines()[0][:300] if str(error)
                       else "")


#: the exception types a clear refusal of bad input may have (and their subclasses: AxisError, UFuncTypeError)
USER_ERRORS = (ValueError, TypeError, IndexError, OverflowError)


def is_user_error(error: BaseException) -> bool:
    return isinstance(error, USER_ERRORS)


@dataclass
class CallOracle:
    """One call's expected result: the outputs, or the failure; the shared values after it; every needed node's
    value (for the exclusions)."""

    outputs: list[np.ndarray] | None = None
    failure: Failure | None = None
    shared_after: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, np.ndarray] = field(default_factory=dict)


Transform = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Variant:
    """How the twin departs from plain NumPy for an exclusion: ``transform`` applied to every node's value (the
    signed-zero variants), ``stable`` formulas computed as the stabilizing rewrites compute them."""

    transform: Transform | None = None
    stable: bool = False


PLAIN = Variant()


@dataclass(frozen=True)
class _Failed:
    """A node's value where computing it, or an argument it needs, raised: the failure of the earliest failing
    node (in the graph's order) behind it."""

    failure: Failure
    order: int


def _failed_argument(node: Node, env: Mapping[str, Any]) -> _Failed | None:
    """The earliest failure among the arguments ``node`` needs: an ``ifelse`` needs its condition and the branch
    it takes (Theano's ifelse is lazy: the other branch is never computed, so its failure is no failure)."""
    args = node.args
    if node.op == "ifelse":
        condition = env[args[0]]
        if isinstance(condition, _Failed):
            return condition
        with np.errstate(all="ignore"):
            args = (args[1] if np.any(condition) else args[2],)
    failed = [env[a] for a in args if isinstance(env[a], _Failed)]
    return min(failed, key=lambda f: f.order) if failed else None


def evaluate_call(graph: Graph, inputs: Mapping[str, np.ndarray], variant: Variant = PLAIN) -> CallOracle:
    """One call of ``graph`` on ``inputs`` (explicit and shared values). Every needed node is computed in the
    graph's order; a failure is the call's where it reaches an output or an update, the earliest such, so a
    failure only an untaken ``ifelse`` branch needs is none."""
    needed = graph.needed()
    env: dict[str, Any] = {name: np.asarray(v) for name, v in inputs.items()}
    for order, node in enumerate(graph.nodes):
        if node.name not in needed:
            continue
        failed = _failed_argument(node, env)
        if failed is not None:
            env[node.name] = failed
            continue
        try:
            result = evaluate_node(node, env, variant.stable)
        except Exception as error:  # noqa: BLE001 (any NumPy error is the expected failure)
            env[node.name] = _Failed(Failure.of(error), order)
            continue
        env[node.name] = variant.transform(result) if variant.transform is not None else result
    values = {name: v for name, v in env.items() if not isinstance(v, _Failed)}
    ends = [env[name] for name in graph.outputs] + [env[expr] for _, expr in graph.updates]
    failures = [v for v in ends if isinstance(v, _Failed)]
    if failures:
        return CallOracle(failure=min(failures, key=lambda f: f.order).failure, values=values)
    outputs = [np.array(env[name], copy=True) for name in graph.outputs]
    shared_after = {target: np.array(env[expr], copy=True) for target, expr in graph.updates}
    return CallOracle(outputs=outputs, shared_after=shared_after, values=values)


def evaluate(case: Case, variant: Variant = PLAIN) -> list[CallOracle]:
    """Every call of ``case`` in order, shared state carried along."""
    state = {name: np.array(v, copy=True) for name, v in case.shared_values.items()}
    results = []
    for call in case.calls:
        inputs = {name: value.data for name, value in call.items()} | state
        result = evaluate_call(case.graph, inputs, variant)
        if result.failure is None:
            state = {name: result.shared_after.get(name, v) for name, v in state.items()}
        result.shared_after = {name: np.array(v, copy=True) for name, v in state.items()}
        results.append(result)
    return results


def with_zero_sign(sign: float) -> Variant:
    """Every floating zero given the sign of ``sign`` (the signed-zero exclusion's variants)."""

    def transform(value: np.ndarray) -> np.ndarray:
        if value.dtype.kind != "f":
            return value
        return np.where(value == 0, np.copysign(np.zeros((), value.dtype), sign), value).astype(value.dtype)

    return Variant(transform=transform)


#: the twin with the stabilizing rewrites' formulas (the stabilized exclusion)
STABLE = Variant(stable=True)


GRAD_COST = "{m}.sum({m}.sin({0}))"


def cost(case: Case, inputs: Mapping[str, np.ndarray]) -> float:
    """The gradient check's scalar cost, ``sum(sin(output))``, at ``inputs`` (NaN where the graph raises)."""
    return _cost_of(case, evaluate_call(case.graph, inputs))


def _cost_of(case: Case, result: CallOracle) -> float:
    assert case.grad_output is not None
    if result.failure is not None:
        return float("nan")
    value = result.values[case.grad_output]
    with np.errstate(all="ignore"):
        return float(np.sum(np.sin(value)))


@dataclass(frozen=True)
class FiniteDifferences:
    """Central differences of the cost at the first call's values, per explicit input; NaN marks a coordinate
    that is not checked: near a kink (the forward and backward differences disagree), where the derivative is
    unbounded (central differences with a ten times larger step disagree: cbrt at 0), where the cost is not
    finite, at a coordinate beyond LARGEST_CHECKED, or where the cost does not change at all while an
    intermediate beyond LARGEST_RESOLVED rounds the step away."""

    gradients: dict[str, np.ndarray]
    cost: float


#: coordinates larger than this are not checked: sin(output) varies on a scale of 1, far below their step
LARGEST_CHECKED = 1e4


#: intermediates larger than this round away a perturbation of 1e-6: an unchanged cost says nothing there
LARGEST_RESOLVED = 1e8


def _largest_intermediate(values: Mapping[str, Any]) -> float:
    arrays = [np.asarray(v) for v in values.values()]
    magnitudes = [np.max(np.abs(v[np.isfinite(v)]), initial=0.0) for v in arrays if v.dtype.kind in "fiu"]
    return float(max(magnitudes, default=0.0))


def _period_below_the_step(case: Case, values: Mapping[str, Any], step: float) -> bool:
    """Whether a floor division or remainder has a divisor smaller than the step: its sawtooth (x % 1e-300)
    jumps many times inside one difference, which then measures nothing."""
    for node in case.graph.nodes:
        operands = dividend_and_divisor(node, values)
        if operands is not None:
            divisor = np.abs(operands[1][np.isfinite(operands[1])])
            if divisor.size and float(np.min(divisor)) < 1e3 * step:
                return True
    return False


def finite_differences(case: Case, step: float = 1e-6, kink: float = 1e-3) -> FiniteDifferences:
    base = {name: np.array(v.data, dtype=np.float64) for name, v in case.calls[0].items()}
    at_base = evaluate_call(case.graph, base)
    center = _cost_of(case, at_base)
    unresolved = _largest_intermediate(at_base.values) > LARGEST_RESOLVED
    if _period_below_the_step(case, at_base.values, step):
        return FiniteDifferences({name: np.full(np.shape(v), np.nan) for name, v in base.items()}, center)
    gradients = {}
    for name, data in base.items():
        grad = np.full(data.shape, np.nan)
        for index in np.ndindex(data.shape):
            if not abs(data[index]) <= LARGEST_CHECKED:
                continue
            h = step * max(1.0, abs(data[index]))
            plus, minus = data.copy(), data.copy()
            plus[index] += h
            minus[index] -= h
            up, down = cost(case, base | {name: plus}), cost(case, base | {name: minus})
            forward, backward, central = (up - center) / h, (center - down) / h, (up - down) / (2 * h)
            plus[index] += 9 * h
            minus[index] -= 9 * h
            coarse = (cost(case, base | {name: plus}) - cost(case, base | {name: minus})) / (20 * h)
            if unresolved and up == center == down:
                continue  # y + 1e308 rounds the step away: the cost looks constant, its derivative is not 0
            agree = [abs(forward - backward), abs(coarse - central)]
            if np.isfinite([forward, backward, coarse]).all() and max(agree) <= kink * (1 + abs(central)):
                grad[index] = central
        gradients[name] = grad
    return FiniteDifferences(gradients, center)
