"""A mode's result against the oracle: findings, by class, and the mismatches the exclusions explain.

Classes:

- ``crash``, ``hang``: the worker died, or ran out of time;
- ``compile_error``: ``ar.function`` raised;
- ``spurious_error``: a call (or, in the pseudo-mode ``build``, the graph's construction) raised where NumPy
  computes; ``missing_error``: NumPy raises, the mode returns;
- ``internal_error``: an exception that is not a clear refusal (not a ValueError, TypeError, IndexError or
  OverflowError);
- ``dtype``, ``shape``, ``value``, ``nan`` (NaN where NumPy has none, or the reverse);
- ``update``: a shared variable's value after a call;
- ``input_modified``; ``aliased``: an output shares memory with an input; ``aliased_outputs``: two outputs
  share memory (writing into one changes the other); ``clobbered``: an output the caller kept changed at the
  next call;
- ``warning``: a rewrite rule raised, or there is no C compiler;
- ``grad``, ``grad_error``: the gradient against central differences, or its failure;
- ``fuzzer_error``: the fuzzer's own fault, never hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from .exclusions import Mismatch, ancestors, excluded_by, singular_gradient, zero_up_to_rounding
from .ir import Case, Node
from .oracle import (
    PLAIN,
    STABLE,
    CallOracle,
    FiniteDifferences,
    Variant,
    evaluate,
    evaluate_call,
    finite_differences,
    with_zero_sign,
)
from .quotients import dividend_and_divisor, operands
from .results import CallResult, ModeResult
from .tolerance import Tolerance, mismatches, nan_only

#: the pseudo-mode of findings in the graph's construction (which every mode shares)
BUILD = "build"
GRAD_RTOL = 1e-4


@dataclass(frozen=True)
class Finding:
    mode: str
    kind: str
    detail: str


@dataclass
class Verdict:
    """The findings of a case (one per mode and class) and the exclusions that applied (name per mode)."""

    findings: list[Finding] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)

    def add(self, mode: str, kind: str, detail: str) -> None:
        if not any(f.mode == mode and f.kind == kind for f in self.findings):
            self.findings.append(Finding(mode, kind, detail))


class Oracle:
    """NumPy's results for a case: its own sequence of calls, and any call evaluated from a mode's shared state
    (a mode whose update went wrong, or was excluded, is judged on its later calls from where it stands), in
    the plain twin or a variant of the exclusions; finite differences when the gradient is checked."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.calls = evaluate(case)
        self._cache: dict[tuple[object, ...], CallOracle] = {}
        self._fd: FiniteDifferences | None = None

    def at(self, index: int, state: Mapping[str, np.ndarray], variant: str = "plain") -> CallOracle:
        """Call ``index`` from shared ``state``; variants: "+0", "-0" (every zero of that sign), "stable"."""
        key = (index, variant, tuple((n, v.dtype.str, v.shape, v.tobytes()) for n, v in sorted(state.items())))
        if key not in self._cache:
            how = VARIANTS[variant]
            inputs = {n: v.data for n, v in self.case.calls[index].items()} | dict(state)
            result = evaluate_call(self.case.graph, inputs, how)
            after = {n: result.shared_after.get(n, v) if result.failure is None else v for n, v in state.items()}
            result.shared_after = {n: np.array(v, copy=True) for n, v in after.items()}
            self._cache[key] = result
        return self._cache[key]

    def fd(self) -> FiniteDifferences:
        if self._fd is None:
            self._fd = finite_differences(self.case)
        return self._fd


VARIANTS: dict[str, Variant] = {"plain": PLAIN, "+0": with_zero_sign(1.0), "-0": with_zero_sign(-1.0),
                                "stable": STABLE}


def judge(case: Case, oracle: Oracle, result: ModeResult, verdict: Verdict) -> None:
    """Add ``result``'s findings (and applied exclusions) to ``verdict``."""
    mode = result.mode
    if result.dead is not None:
        kind = result.dead if result.dead in ("crash", "hang") else "fuzzer_error"
        verdict.add(mode, kind, result.dead_detail)
        return
    all_refused = all(c.failure is not None for c in oracle.calls)
    if result.build_failure is not None:
        failure = result.build_failure
        if not failure.user:
            verdict.add(BUILD, "internal_error", f"building the graph raised {failure.kind}: {failure.message}")
        elif not all_refused:
            verdict.add(BUILD, "spurious_error", f"building the graph raised {failure.kind}: {failure.message}")
        return
    for warning in result.warnings:
        verdict.add(mode, "warning", warning)
    if result.compile_failure is not None:
        failure = result.compile_failure
        if not (all_refused and failure.user):
            verdict.add(mode, "compile_error", f"ar.function raised {failure.kind}: {failure.message}")
    state: Mapping[str, np.ndarray] = case.shared_values
    for index, got in enumerate(result.calls):
        _judge_call(case, oracle, index, state, got, mode, verdict)
        state = got.shared_after
    for text in result.clobbered:
        verdict.add(mode, "clobbered", text)
    if case.grad_output is not None and oracle.calls[0].failure is None:
        _judge_grad(case, oracle, result, verdict)


def _judge_call(case: Case, oracle: Oracle, index: int, state: Mapping[str, np.ndarray], got: CallResult,
                mode: str, verdict: Verdict) -> None:
    expected = oracle.at(index, state)
    where = f"call {index}"
    if got.failure is not None and not got.failure.user:
        verdict.add(mode, "internal_error", f"{where} raised {got.failure.kind}: {got.failure.message}")
    elif expected.failure is not None and got.failure is None:
        verdict.add(mode, "missing_error", f"{where}: NumPy raises {expected.failure.kind}: "
                                           f"{expected.failure.message}; the mode returns")
    elif expected.failure is None and got.failure is not None:
        verdict.add(mode, "spurious_error", f"{where} raised {got.failure.kind}: {got.failure.message}")
    for name in got.inputs_changed:
        verdict.add(mode, "input_modified", f"{where} changed input {name}")
    for text in got.aliases:
        verdict.add(mode, "aliased", f"{where}: {text}")
    for text in got.shared_outputs:
        verdict.add(mode, "aliased_outputs", f"{where}: {text}")
    if expected.failure is not None or got.outputs is None:
        return
    assert expected.outputs is not None
    for position, (name, want, have) in enumerate(zip(case.graph.outputs, expected.outputs, got.outputs,
                                                      strict=True)):
        variant = _variant_getter(oracle, index, state, lambda c, p=position: c.outputs[p] if c.outputs else None)
        _compare(case, index, f"{where} output {position} ({name})", name, want, have, expected,
                 (variant, _variant_tolerance(case, oracle, index, state, name)), mode, verdict, "")
    for target, expr in case.graph.updates:
        want, have = expected.shared_after[target], got.shared_after.get(target)
        if have is None:
            continue
        variant = _variant_getter(oracle, index, state, lambda c, t=target: c.shared_after.get(t))
        _compare(case, index, f"{where} shared {target} after the update", expr, want, have, expected,
                 (variant, _variant_tolerance(case, oracle, index, state, expr)), mode, verdict, "update")


def _variant_getter(oracle: Oracle, index: int, state: Mapping[str, np.ndarray],
                    pick: Callable[[CallOracle], np.ndarray | None]) -> Callable[[str], np.ndarray | None]:
    def get(name: str) -> np.ndarray | None:
        call = oracle.at(index, state, name)
        return None if call.failure is not None else pick(call)

    return get


def _variant_tolerance(case: Case, oracle: Oracle, index: int, state: Mapping[str, np.ndarray],
                       expression: str) -> Callable[[str], Tolerance | None]:
    """The tolerance of ``expression`` in a variant of the twin, from the values that variant computed (a stable
    formula's finite terms where the plain one's are infinite)."""
    def get(name: str) -> Tolerance | None:
        call = oracle.at(index, state, name)
        return None if call.failure is not None else _tolerance(case, expression, call)

    return get


def _compare(case: Case, index: int, label: str, expression: str, want: np.ndarray, have: np.ndarray,
             expected: CallOracle,
             variant: tuple[Callable[[str], np.ndarray | None], Callable[[str], Tolerance | None]], mode: str,
             verdict: Verdict, kind: str) -> None:
    want, have = np.asarray(want), np.asarray(have)
    if want.dtype != have.dtype:
        verdict.add(mode, kind or "dtype", f"{label}: dtype {have.dtype}, NumPy {want.dtype}")
        return
    if want.shape != have.shape:
        verdict.add(mode, kind or "shape", f"{label}: shape {have.shape}, NumPy {want.shape}")
        return
    tolerance = _tolerance(case, expression, expected)
    mask = mismatches(have, want, tolerance)
    if not mask.any():
        return
    excluded = excluded_by(Mismatch(case, index, expression, have, want, mask, expected, *variant, tolerance))
    if excluded is not None:
        verdict.excluded.append((mode, excluded))
        return
    first = tuple(int(i) for i in np.argwhere(mask)[0])
    detail = (f"{label}: {int(mask.sum())} of {mask.size} elements differ; at {first}: {have[first]!r}, "
              f"NumPy {want[first]!r}")
    verdict.add(mode, kind or ("nan" if nan_only(have, want, mask) else "value"), detail)


#: ops that add up many terms (the order of the additions is free): their terms' magnitude bounds the error
SUMMING_OPS = frozenset({"sum", "mean", "std", "var", "cumsum", "dot", "matmul", "logsumexp",
                         "softmax", "log_softmax", "inc_subtensor", "update", "log(sum(exp))", "exp/sum(exp)",
                         "log(softmax)"})


#: summing ops whose terms are products of their two operands' entries
PRODUCTS = frozenset({"dot", "matmul"})


def _largest_finite(value: np.ndarray) -> float:
    if value.dtype.kind not in "fiu" or not value.size:
        return 0.0
    magnitudes = np.abs(value.astype(np.float64))
    return float(np.max(magnitudes[np.isfinite(magnitudes)], initial=0.0))


#: functions whose result moves, relatively, by their argument's absolute error times this (|f'/f| at most):
#: exp(x + d) is exp(x) e^d; sinh and cosh alike. After a sum, whose result is known to a few ulp of its terms,
#: they scale that rounding up (sinh(sum(x)) of float32 terms of 5.6 summing to 28.4: case 120722:627)
GROWING = {"exp": 1.0, "expm1": 1.0, "sinh": 1.0, "cosh": 1.0, "exp2": float(np.log(2.0))}


#: ops that multiply many factors: where a partial product overflows depends on the order
MULTIPLYING_OPS = frozenset({"prod", "cumprod"})


def _product_may_overflow(node: Node, expected: CallOracle) -> bool:
    """Whether the factors larger than 1 multiply beyond the dtype's largest value (then some order of the
    products overflows and another does not)."""
    value = np.asarray(expected.values.get(node.args[0], 0.0))
    result = np.asarray(expected.values.get(node.name, 0.0)).dtype
    if value.dtype.kind not in "fiu" or result.kind != "f" or not value.size:
        return False
    with np.errstate(all="ignore"):
        magnitudes = np.abs(value.astype(np.float64))
        logs = np.log(magnitudes[np.isfinite(magnitudes) & (magnitudes > 1)])
    return bool(np.sum(logs) > np.log(float(np.finfo(result).max)))


#: elementwise products and quotients, which the rewrites collect and reorder (x * (y / z) is (x * y) / z)
PRODUCT_CHAIN = frozenset({"binary*", "binary/", "literal*", "literal/", "multiply", "true_divide", "divide"})


def _factors_may_overflow(node: Node, expected: CallOracle) -> bool:
    """Whether the operands' magnitudes multiply (or divide) beyond the dtype's largest value: then some order
    of a chain of such products overflows and another does not."""
    result = np.asarray(expected.values.get(node.name, 0.0)).dtype
    if result.kind != "f":
        return False
    pair = operands(node, expected.values)
    if pair is None:
        return False
    largest = float(np.finfo(result).max)
    magnitudes = []
    for value in pair:
        finite = np.abs(value[np.isfinite(value)])
        magnitudes.append(float(np.max(finite, initial=0.0)))
    with np.errstate(over="ignore", divide="ignore"):
        return bool(magnitudes[0] * magnitudes[1] > largest or
                    ("/" in node.op and magnitudes[0] > largest * min(1.0, magnitudes[1])))


#: periodic functions: their result moves by as much as their argument's rounding (radians)
PERIODIC = frozenset({"sin", "cos", "tan"})


def _argument_rounding(node: Node, expected: CallOracle) -> float:
    """A few units in the last place of a periodic function's largest argument: that much (in radians) the
    result may move as the argument's last bit or the library's argument reduction goes (cos(1e308 / 1.456) is
    0.93 or 0.82); nothing for arguments of ordinary size."""
    value = np.asarray(expected.values.get(node.args[0], 0.0))
    if value.dtype.kind != "f" or not value.size:
        return 0.0
    return 4 * _largest_finite(value) * float(np.finfo(value.dtype).eps)


def _tolerance(case: Case, expression: str, expected: CallOracle) -> Tolerance:
    """The tolerance of ``expression``: the floats its nodes computed, the terms its sums added."""
    nodes = {n.name: n for n in case.graph.nodes}
    above = ancestors(case.graph, expression)
    dtypes = [np.asarray(v).dtype for name, v in expected.values.items() if name in above and name in nodes]
    terms = absolute = 0.0
    specials = reordered = False
    amplified = 1.0
    for name in above:
        if name in nodes and nodes[name].op in GROWING and nodes[name].args:
            summed = _tolerance(case, nodes[name].args[0], expected).terms
            amplified = max(amplified, GROWING[nodes[name].op] * summed)
        if name in nodes and nodes[name].op in MULTIPLYING_OPS and (
                _product_may_overflow(nodes[name], expected) or
                zero_up_to_rounding(nodes, expected.values, nodes[name].args[0])):
            absolute = np.inf  # overflow in some order, or a factor whose size is rounding's (then scaled up)
        if name in nodes and nodes[name].op in PRODUCT_CHAIN and _factors_may_overflow(nodes[name], expected):
            reordered = True
        if name in nodes and nodes[name].op in PERIODIC:
            absolute = max(absolute, _argument_rounding(nodes[name], expected))
        operands = dividend_and_divisor(nodes[name], expected.values) if name in nodes else None
        if operands is not None:
            # x % y is known to the divisor's rounding times the quotient: a few ulps of the dividend
            eps = float(np.finfo(np.asarray(expected.values.get(name, 0.0)).dtype).eps) \
                if np.asarray(expected.values.get(name, 0.0)).dtype.kind == "f" else 0.0
            finite = np.abs(operands[0][np.isfinite(operands[0])])
            absolute = max(absolute, 4 * eps * float(np.max(finite, initial=0.0)))
        if name not in nodes or nodes[name].op not in SUMMING_OPS:
            continue
        result = np.asarray(expected.values.get(name, 0.0)).dtype
        eps = float(np.finfo(result).eps) if result.kind == "f" else 0.0
        if nodes[name].op in PRODUCTS:
            # the terms of a matrix product are products of entries: a sum that cancels is known to a few ulp
            # of the largest of them, max|a| max|b| (case 120721:842: terms of 4e18 summing to 4e10)
            largest = [_largest_finite(np.asarray(expected.values.get(arg, 0.0))) for arg in nodes[name].args]
            if len(largest) == 2:
                with np.errstate(over="ignore"):
                    terms = max(terms, largest[0] * largest[1])
        for arg in nodes[name].args:
            value = np.asarray(expected.values.get(arg, 0.0))
            if value.dtype.kind in "fc" and not np.isfinite(value).all():
                specials = True  # terms with an infinity: inf, -inf or NaN as the order of the terms goes
            if value.dtype.kind in "fiu" and value.size:
                magnitudes = np.abs(value[np.isfinite(value)] if value.dtype.kind == "f" else value).astype(float)
                with np.errstate(over="ignore"):
                    total = float(np.sum(magnitudes))
                terms = max(terms, float(np.max(magnitudes, initial=0.0)))
                absolute = max(absolute, eps * value.size * total)
    tolerance = Tolerance.of(dtypes, terms, absolute, specials, reordered)
    return replace(tolerance, rtol=tolerance.rtol * amplified) if amplified > 1.0 else tolerance


#: the gradient check's tolerance when a float32 or float16 value lies on the way to the differentiated output:
#: central differences in float64 see its rounding (a float32 cast quantizes a 1e-6 step to a few ulps)
GRAD_RTOL_ROUNDED = {"float32": 1e-2, "float16": 1e-1}


def _grad_rtol(case: Case, oracle: Oracle) -> float:
    values = oracle.calls[0].values
    dtypes = {np.asarray(values[name]).dtype.name for name in ancestors(case.graph, case.grad_output or "")
              if name in values}
    return max([GRAD_RTOL, *(GRAD_RTOL_ROUNDED.get(d, 0.0) for d in dtypes)])


def _judge_grad(case: Case, oracle: Oracle, result: ModeResult, verdict: Verdict) -> None:
    mode = result.mode
    failure = result.grad_build_failure or result.grad_failure
    if failure is not None:
        verdict.add(mode, "grad_error", f"the gradient raised {failure.kind}: {failure.message}")
        return
    if result.grad is None:
        return
    fd = oracle.fd()
    if not np.isfinite(fd.cost):
        return
    for i, got in zip(case.graph.explicit, result.grad, strict=True):
        want = fd.gradients[i.name]
        got = np.asarray(got, dtype=np.float64)
        if got.shape != want.shape:
            verdict.add(mode, "grad", f"d cost / d {i.name}: shape {got.shape}, expected {want.shape}")
            return
        checked = ~np.isnan(want)
        with np.errstate(all="ignore"):
            wrong = checked & ~(np.abs(got - want) <= _grad_rtol(case, oracle) * (1 + np.abs(want)))
        if wrong.any() and singular_gradient(case, oracle.calls[0].values, got[wrong]):
            verdict.excluded.append((mode, "singular_gradient"))
            return
        if wrong.any():
            first = tuple(int(k) for k in np.argwhere(wrong)[0])
            verdict.add(mode, "grad", f"d sum(sin({case.grad_output})) / d {i.name} at {first}: {got[first]!r}, "
                                      f"central differences {want[first]!r}")
            return
