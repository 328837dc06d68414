"""Checking a function while it runs: every node against its reference ``perform`` (the mode option ``check``,
Theano's DebugMode) and the first NaN or infinity made from finite values (the mode option ``nan_guard``).

The checks see the real compiled program: an executable that supports them takes a :class:`StepObserver`
(``set_observer``) and calls it around each node it computes, with the same rewrites, kernels, memory plan and
in-place decisions as without checking. With ``check`` the function as a whole is also compared with the
reference evaluator run on the graph as it was before rewriting, which catches a rewrite (or a memory plan) that
changed the result, and run once more on strided copies of its inputs, which catches a kernel that assumes
contiguous memory.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .evaluator import ReferenceProgram, describe_inputs
from .fgraph import FunctionGraph
from .graph import Apply, Variable
from .mode import Executable, Mode
from .tensors.type import TensorType, format_shape

#: (rtol, atol) by dtype: a value agrees when it is within rtol of the expected one, or within atol times the
#: largest expected magnitude of that output (at least 1), which allows a sum or product that cancels to zero
#: to differ in its last bits. Loose enough for another summation order or vector math (a few ulp of the terms),
#: tight enough that a wrong kernel or a clobbered buffer shows.
TOLERANCES: Mapping[str, tuple[float, float]] = {
    "float16": (5e-3, 1e-3), "float32": (1e-5, 1e-5), "float64": (1e-10, 1e-9),
    "complex64": (1e-5, 1e-5), "complex128": (1e-10, 1e-9)}

#: Where a value is compared with one computed by other means: the function against its graph before rewriting
#: (stabilized, fused and reordered arithmetic accumulates more rounding than one kernel).
FUNCTION_TOLERANCES: Mapping[str, tuple[float, float]] = {
    "float16": (5e-2, 1e-2), "float32": (1e-3, 1e-4), "float64": (1e-7, 1e-8),
    "complex64": (1e-3, 1e-4), "complex128": (1e-7, 1e-8)}

#: how many differing values an error message shows
SHOWN = 5


class CheckError(Exception):
    """A checked function broke the reference's contract: a node's result differs from its ``perform``, it
    changed an input it had no right to, or an output shares memory it should not; or the function's result
    differs from the graph before rewriting."""


class NonFiniteError(FloatingPointError):
    """A node made NaN or infinity out of finite inputs (the mode option ``nan_guard``)."""


class StepObserver(Protocol):
    """Told of every node an executable computes, in the order it computes them.

    ``before`` gets the node's input values (in ``node.inputs`` order) before the node runs and returns what
    ``after`` needs (the executable keeps it, so one observer serves reentrant and concurrent calls). ``after``
    gets the output values and ``in_place``: output index -> the input whose buffer the backend was allowed to
    compute that output into (a memory-plan decision; the output shares the input's memory when it did).
    """

    def before(self, node: Apply, inputs: Sequence[Any]) -> Any: ...

    def after(self, node: Apply, state: Any, outputs: Sequence[Any], in_place: Mapping[int, int]) -> None: ...


# ---------------------------------------------------------------------------------------------------------
# values


def snapshot(value: Any) -> Any:
    """An independent copy of ``value`` (arrays by ``copy``, immutable scalars as they are)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, np.generic | int | float | complex | bool | str | bytes) or value is None:
        return value
    return copy.deepcopy(value)


def as_declared(value: Any, var: Variable) -> Any:
    """A Python number as an array of the variable's dtype (as backends return it); anything else unchanged."""
    dtype = getattr(var.type, "dtype", None)
    if dtype is not None and isinstance(value, int | float | complex | bool):
        return np.asarray(value, dtype=dtype)
    return value


def type_problem(value: Any, var: Variable) -> str | None:
    """What keeps ``value`` from being a value of ``var``'s tensor type exactly (dtype, rank, static sizes)."""
    t = var.type
    if not isinstance(t, TensorType):
        return None
    if not isinstance(value, np.ndarray | np.generic):
        return f"a {type(value).__name__}, not an array"
    if value.dtype.name != t.dtype:
        return f"dtype {value.dtype}, the graph declares {t.dtype}"
    if value.ndim != t.ndim or any(want not in (None, got) for want, got in zip(t.shape, value.shape, strict=True)):
        return f"shape {format_shape(value.shape)}, the graph declares {format_shape(t.shape)}"
    return None


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _show(value: Any) -> str:
    return repr(np.asarray(value).item())


def difference(got: Any, want: Any, tolerances: Mapping[str, tuple[float, float]] = TOLERANCES,
               accept_finite_for_nonfinite: bool = False) -> str | None:
    """None when ``got`` agrees with ``want``: the same dtype and shape, integers and booleans equal, floats
    within the dtype's tolerance with NaN (and each infinity) at the same places; otherwise what differs, with
    the first few differing values and their positions. ``accept_finite_for_nonfinite`` lets a finite value
    stand for an expected NaN or infinity (a stabilizing rewrite avoids an overflow the plain graph makes)."""
    if hasattr(want, "toarray") and hasattr(got, "toarray"):  # sparse matrices: their format, then their values
        if getattr(got, "format", None) != getattr(want, "format", None):
            return f"a {getattr(got, 'format', '?')} matrix, expected a {getattr(want, 'format', '?')} one"
        return difference(got.toarray(), want.toarray(), tolerances, accept_finite_for_nonfinite)
    if not isinstance(want, np.ndarray | np.generic):
        return None if np.array_equal(got, want) else f"{got!r}, expected {want!r}"
    g, w = np.asarray(got), np.asarray(want)
    if g.dtype != w.dtype:
        return f"dtype {g.dtype}, expected {w.dtype}"
    if g.shape != w.shape:
        return f"shape {format_shape(g.shape)}, expected {format_shape(w.shape)}"
    if w.dtype.kind in "fc":
        rtol, atol = tolerances.get(w.dtype.name, (0.0, 0.0))
        finite = np.isfinite(w)
        scale = max(1.0, float(np.abs(w[finite]).max())) if finite.any() else 1.0
        with np.errstate(invalid="ignore", over="ignore"):
            ok = np.isclose(g, w, rtol=rtol, atol=atol * scale, equal_nan=True)
        if accept_finite_for_nonfinite:
            ok |= ~finite & np.isfinite(g)
    elif w.dtype.kind in "biumM":
        ok = g == w
    else:
        return None if np.array_equal(g, w) else "the values differ"
    if ok.all():
        return None
    bad = np.flatnonzero(~np.asarray(ok).ravel())
    shown = "; ".join(f"at {_index(i, w.shape)}: {_show(g.flat[i])}, expected {_show(w.flat[i])}" for i in bad[:SHOWN])
    more = f" (first {SHOWN} shown)" if len(bad) > SHOWN else ""
    return f"{len(bad)} of {w.size} values differ{more}: {shown}"


def strided_copy(value: Any) -> Any:
    """A copy of an array whose last axis is strided (every other element of a buffer twice as long), for
    running a kernel on memory laid out otherwise; other values unchanged."""
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return value
    buffer = np.empty(value.shape[:-1] + (2 * value.shape[-1],), value.dtype)
    view = buffer[..., ::2]
    view[...] = value
    return view


def shares_memory(a: Any, b: Any) -> bool:
    """Whether two arrays overlap in memory (exactly where that is cheap to decide, else by their bounds)."""
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or not np.may_share_memory(a, b):
        return False
    try:
        # a bounded search (NumPy's stubs admit only -1 and 0, but any positive effort is documented)
        return bool(np.shares_memory(a, b, max_work=10_000))  # type: ignore[arg-type]
    except np.exceptions.TooHardError:
        return True


def changed(before: Any, after: Any) -> str | None:
    """How an array input differs from its copy taken before the step (bit for bit), or None."""
    if not isinstance(before, np.ndarray):
        return None
    if before.shape != after.shape or before.dtype != after.dtype:
        return f"it is now {after.dtype} of shape {format_shape(after.shape)}"
    if before.dtype.hasobject:
        return None if np.array_equal(before, after) else "its values changed"
    if before.tobytes() == after.tobytes():
        return None
    return difference(after, before, {}) or "its bits changed (the same values, another sign of zero or NaN)"


def _where(node: Apply) -> str:
    return f"\nThe node was created at:\n  {node.source}" if node.source else ""


def _fail(node: Apply, inputs: Sequence[Any], problem: str, error: type[Exception] = CheckError) -> Exception:
    return error(f"{node.op}: {problem}\ninputs: {describe_inputs(node, inputs)}{_where(node)}")


# ---------------------------------------------------------------------------------------------------------
# observers


class DebugChecker:
    """Checks every step against the node's reference ``perform`` run on copies of the same inputs: equal
    results (``TOLERANCES``), inputs unchanged unless the backend computed an output in place into them, outputs
    sharing memory with an input only where the op declares a view (``view_map``) or the backend computed in
    place, and outputs not sharing memory with each other unless both are views of one input."""

    def __init__(self, computed_by: str) -> None:
        #: who computed the values being checked, for messages ("the c backend")
        self.computed_by = computed_by

    def before(self, node: Apply, inputs: Sequence[Any]) -> tuple[list[Any], list[Any]]:
        return list(inputs), [snapshot(v) for v in inputs]

    def after(self, node: Apply, state: tuple[list[Any], list[Any]], outputs: Sequence[Any],
              in_place: Mapping[int, int]) -> None:
        inputs, copies = state
        outputs = [as_declared(v, var) for v, var in zip(outputs, node.outputs, strict=True)]
        try:
            expected = node.op.perform(node, [snapshot(v) for v in copies])
        except Exception as exc:
            raise _fail(node, copies, f"{self.computed_by} computed it, but its reference perform failed: "
                        f"{type(exc).__name__}: {exc}") from exc
        for o, (got, want, var) in enumerate(zip(outputs, expected, node.outputs, strict=True)):
            want = as_declared(want, var)
            problem = type_problem(want, var)
            if problem is not None:
                raise _fail(node, copies, f"the op's reference perform gives output {o} as {problem}")
            problem = type_problem(got, var) or difference(got, want)
            if problem is not None:
                raise _fail(node, copies, f"output {o} computed by {self.computed_by} differs from the reference "
                            f"perform: {problem}")
        self._check_inputs(node, inputs, copies, outputs, in_place)
        self._check_aliasing(node, inputs, copies, outputs, in_place)

    def _check_inputs(self, node: Apply, inputs: list[Any], copies: list[Any], outputs: list[Any],
                      in_place: Mapping[int, int]) -> None:
        """Only buffers an output was computed into may change (with the inputs sharing them)."""
        overwritten = [inputs[i] for o, i in in_place.items() if shares_memory(outputs[o], inputs[i])]
        for i, (value, before) in enumerate(zip(inputs, copies, strict=True)):
            problem = changed(before, value)
            if problem is not None and not any(shares_memory(value, buffer) for buffer in overwritten):
                raise _fail(node, copies, f"{self.computed_by} changed input {i} ({node.inputs[i]}) without "
                            f"computing an output into it: {problem}")

    def _check_aliasing(self, node: Apply, inputs: list[Any], copies: list[Any], outputs: list[Any],
                        in_place: Mapping[int, int]) -> None:
        """Outputs share memory only with the inputs they are declared views of (or were computed into)."""
        allowed = [{*node.op.view_map.get(o, ()), *([in_place[o]] if o in in_place else [])}
                   for o in range(len(outputs))]
        for o, out in enumerate(outputs):
            for i, value in enumerate(inputs):
                if i in allowed[o] or not shares_memory(out, value):
                    continue
                if any(shares_memory(value, inputs[j]) for j in allowed[o]):
                    continue  # input i overlaps an input the output may share (the caller passed aliases)
                raise _fail(node, copies, f"output {o} shares memory with input {i} ({node.inputs[i]}), but the "
                            f"op declares no view of it (view_map {dict(node.op.view_map)}) and {self.computed_by} "
                            "computed no output in place into it")
            for p in range(o):
                if shares_memory(out, outputs[p]) and not allowed[o] & allowed[p]:
                    raise _fail(node, copies, f"outputs {p} and {o} share memory, but they are not views of one "
                                "input")


def _nonfinite(value: Any) -> np.ndarray | None:
    """The mask of NaN and infinities of a float or complex array, None for other values."""
    if isinstance(value, np.ndarray | np.generic) and value.dtype.kind in "fc":
        return ~np.isfinite(value)
    return None


def _inputs_at(node: Apply, inputs: Sequence[Any], index: tuple[int, ...], shape: tuple[int, ...]) -> str:
    """The values at ``index`` of the inputs that broadcast to the output's ``shape`` (elementwise inputs)."""
    found = []
    for var, value in zip(node.inputs, inputs, strict=True):
        sizes = np.shape(value)
        if isinstance(value, np.ndarray | np.generic) and len(sizes) == len(shape) \
                and all(size in (1, want) for size, want in zip(sizes, shape, strict=True)):
            at = tuple(0 if size == 1 else i for i, size in zip(index, sizes, strict=True))
            found.append(f"{var} = {_show(np.asarray(value)[at])}")
    return f" ({', '.join(found)})" if found else ""


class NanGuard:
    """Raises ``NonFiniteError`` at the first node that makes NaN or infinity out of finite inputs (inputs are
    looked at before the node runs, since it may compute in place into them)."""

    def before(self, node: Apply, inputs: Sequence[Any]) -> list[Any] | None:
        finite = all(mask is None or not mask.any() for mask in map(_nonfinite, inputs))
        return list(inputs) if finite else None

    def after(self, node: Apply, state: list[Any] | None, outputs: Sequence[Any],
              in_place: Mapping[int, int]) -> None:
        if state is None:
            return
        for o, value in enumerate(outputs):
            mask = _nonfinite(value)
            if mask is None or not mask.any():
                continue
            bad = np.flatnonzero(np.asarray(mask).ravel())
            shape = np.shape(value)
            shown = "; ".join(f"at {_index(i, shape)}: {_show(np.asarray(value).flat[i])}"
                              f"{_inputs_at(node, state, _index(i, shape), shape)}" for i in bad[:SHOWN])
            raise _fail(node, state, f"output {o} has {len(bad)} non-finite value(s) of {np.size(value)} from "
                        f"finite inputs: {shown}", NonFiniteError)


class Observers:
    """Several observers as one, called in order."""

    def __init__(self, observers: Sequence[StepObserver]) -> None:
        self.observers = tuple(observers)

    def before(self, node: Apply, inputs: Sequence[Any]) -> list[Any]:
        return [o.before(node, inputs) for o in self.observers]

    def after(self, node: Apply, state: list[Any], outputs: Sequence[Any], in_place: Mapping[int, int]) -> None:
        for observer, own in zip(self.observers, state, strict=True):
            observer.after(node, own, outputs, in_place)


# ---------------------------------------------------------------------------------------------------------
# the function as a whole


class CheckedExecutable:
    """An executable that also runs the reference evaluator on the graph before rewriting, on copies of the
    same inputs, and compares every output and update with it (``FUNCTION_TOLERANCES``); and runs the compiled
    executable a second time on copies laid out otherwise (every array strided, as Theano's DebugMode does), so
    that a kernel assuming contiguous memory shows. It has no ``entry`` and no input filter, so ``function``
    checks inputs in Python and calls it through the general path."""

    def __init__(self, compiled: Executable, reference: Executable, labels: Sequence[str],
                 original: FunctionGraph, computed_by: str) -> None:
        self.compiled = compiled
        self.reference = reference
        #: a name for each output, for messages ("output 0 (loss)", "the update of w")
        self.labels = list(labels)
        self.original = original
        self.computed_by = computed_by

    def __call__(self, values: Sequence[Any]) -> list[Any]:
        # converted as the compiled executable converts what does not fit (a caller may pass a list)
        copies = [snapshot(var.type.filter(v)) for var, v in zip(self.original.inputs, values, strict=True)]
        strided = [strided_copy(v) for v in copies]
        got = self.compiled(values)
        again = self.compiled(strided)
        try:
            want = self.reference(copies)
        except Exception as exc:
            raise CheckError(f"{self.computed_by} computed the function, but the reference evaluator failed on the "
                             f"graph before rewriting: {type(exc).__name__}: {exc}") from exc
        for k, w in enumerate(want):
            self._compare(k, got[k], w, copies, "")
            self._compare(k, again[k], w, copies, " from strided copies of the inputs")
        return got

    def _compare(self, k: int, got: Any, want: Any, inputs: list[Any], how: str) -> None:
        problem = difference(got, want, FUNCTION_TOLERANCES, accept_finite_for_nonfinite=True)
        if problem is None:
            return
        var = self.original.outputs[k]
        where = f"\nIt was created at:\n  {var.owner.source}" if var.owner and var.owner.source else ""
        described = ", ".join(f"{v} ({getattr(x, 'dtype', type(x).__name__)}, shape {np.shape(x)})"
                              for v, x in zip(self.original.inputs, inputs, strict=True))
        raise CheckError(f"{self.labels[k]} computed by {self.computed_by}{how} differs from the reference "
                         f"evaluator on the graph before rewriting: {problem}\nEvery node agreed with its own "
                         "reference perform, so a rewrite (or the memory plan) changed the result.\n"
                         f"inputs: {described}{where}")

    def report(self) -> str:
        inner: Callable[[], Any] | None = getattr(self.compiled, "report", None)
        text = str(inner()) if inner is not None else f"{self.computed_by} keeps no report"
        return f"{text}\nChecked: every node against its reference perform, the function against its graph " \
               "before rewriting."


@dataclass(frozen=True)
class Checks:
    """What a mode asks to check: its options ``check`` (every node against its reference perform, and the
    function against its graph before rewriting) and ``nan_guard`` (stop at the first NaN or infinity)."""

    check: bool = False
    nan_guard: bool = False

    @classmethod
    def of(cls, mode: Mode) -> Checks:
        return cls(bool(mode.options.get("check", False)), bool(mode.options.get("nan_guard", False)))

    @property
    def active(self) -> bool:
        return self.check or self.nan_guard

    def instrument(self, executable: Executable, backend: str, original: FunctionGraph | None,
                   labels: Sequence[str], also: Sequence[StepObserver] = ()) -> Executable:
        """``executable`` observed as asked; ``original`` is the graph before rewriting (needed for ``check``);
        ``also``: further observers (a profile's timer), called after the checks'."""
        set_observer = getattr(executable, "set_observer", None)
        if set_observer is None:
            raise TypeError(f"the {backend} backend cannot be checked: its executable takes no step observer "
                            "(set_observer); compile without the mode options check and nan_guard")
        computed_by = f"the {backend} backend"
        observers: list[StepObserver] = []
        if self.check:
            observers.append(DebugChecker(computed_by))
        if self.nan_guard:
            observers.append(NanGuard())
        observers += also
        set_observer(observers[0] if len(observers) == 1 else Observers(observers))
        if not self.check:
            return executable
        assert original is not None, "check needs the graph before rewriting"
        return CheckedExecutable(executable, ReferenceProgram(original), labels, original, computed_by)
