"""``function``: compile symbolic outputs (and shared-variable updates) into a Python callable."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MethodType
from typing import Any

import numpy as np

from .checking import Checks
from .fgraph import FunctionGraph
from .graph import Constant, Variable, clone_replace, graph_inputs, install_compiler
from .interop import host_array
from .locking import SharedAccess
from .mode import Mode, get_mode
from .profiling import NodeTimer, ProfiledExecutable, wants_generic_profile
from .shared import SharedVariable, host_value
from .tensors.basic import as_tensor
from .tensors.checks import specify_shape
from .tensors.type import TensorType

_NO_DEFAULT = object()


@dataclass
class In:
    """A function input with options: a default ``value`` and a keyword ``name``."""

    variable: Variable
    value: Any = _NO_DEFAULT
    name: str | None = None

    @property
    def keyword(self) -> str | None:
        return self.name if self.name is not None else self.variable.name

    @property
    def has_default(self) -> bool:
        return self.value is not _NO_DEFAULT


def _as_in(item: Any, position: int) -> In:
    spec = item if isinstance(item, In) else In(item)
    var = spec.variable
    if not isinstance(var, Variable):
        raise TypeError(f"function input {position} must be a symbolic variable, got {type(var).__name__}")
    if isinstance(var, Constant):
        raise TypeError(f"function input {position} ({var}) is a constant; constants cannot be inputs")
    if isinstance(var, SharedVariable):
        raise TypeError(f"function input {position} ({var}) is a shared variable; shared variables are implicit "
                        "inputs, don't list them")
    if var.owner is not None:
        raise TypeError(f"function input {position} ({var}) is computed by {var.owner.op}; inputs must be "
                        "variables that nothing computes (use givens to substitute an intermediate)")
    return spec


def _pairs(mapping: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | None) -> list[tuple[Any, Any]]:
    if mapping is None:
        return []
    return list(mapping.items()) if isinstance(mapping, Mapping) else [tuple(p) for p in mapping]


def _check_updates(updates: list[tuple[Any, Any]]) -> list[tuple[SharedVariable, Variable]]:
    checked: list[tuple[SharedVariable, Variable]] = []
    seen: set[SharedVariable] = set()
    for target, expr in updates:
        if not isinstance(target, SharedVariable):
            raise TypeError(f"updates can only change shared variables; {target} is not one")
        if target in seen:
            raise ValueError(f"shared variable {target} is updated twice")
        seen.add(target)
        expr = expr if isinstance(expr, Variable) else as_tensor(expr)
        if not target.type.is_compatible(expr.type):
            raise TypeError(f"update of {target} ({target.type}) by {expr} of type {expr.type}: the update must "
                            "have the shared variable's dtype and a compatible shape; cast it with "
                            f".astype('{target.type.dtype}')")
        checked.append((target, expr))
    return checked


def function(inputs: Sequence[Any], outputs: Any = None, *, updates: Any = None, givens: Any = None,
             mode: Mode | str | None = None, trust_input: bool = False, allow_input_downcast: bool = False,
             on_unused_input: str = "raise", name: str | None = None, no_default_updates: bool = False,
             profile: bool = False) -> Function:
    """Compile ``outputs`` as a function of ``inputs``.

    ``updates`` (a dict or pairs) gives new values for shared variables, all applied after the outputs are
    computed; ``givens`` substitutes variables of the graph before compiling. A shared variable the graph uses
    that has a ``default_update`` (a random stream's state) gets it unless ``updates`` says otherwise or
    ``no_default_updates`` is set. ``mode`` picks rewrites and the
    backend (default: the reference evaluator). ``profile=True`` asks the backend to time every node (the mode
    option ``profile``; a backend that keeps no profile of its own is timed by graph-core, see
    :mod:`arignote_core.profiling`); ``f.report()`` then gives the table.
    """
    specs = [_as_in(item, i) for i, item in enumerate(inputs)]
    single = outputs is not None and not isinstance(outputs, list | tuple)
    out_list = [] if outputs is None else [o if isinstance(o, Variable) else as_tensor(o)
                                          for o in ([outputs] if single else outputs)]
    update_pairs = _check_updates(_pairs(updates))
    replacements = {old: _given(old, new) for old, new in _pairs(givens)}
    if not no_default_updates:
        update_pairs += _default_updates(out_list + [expr for _, expr in update_pairs], update_pairs)
    all_outputs = out_list + [expr for _, expr in update_pairs]
    if replacements:
        all_outputs, _ = clone_replace(all_outputs, replacements)
    explicit = [s.variable for s in specs]
    used = {id(v) for v in graph_inputs(all_outputs, stop_at=explicit)}
    unused = [v for v in explicit if id(v) not in used]
    if unused and on_unused_input == "raise":
        raise ValueError(f"input {unused[0]} is not used to compute the outputs; remove it or pass "
                         "on_unused_input='ignore'")
    shared_inputs = [v for v in graph_inputs(all_outputs, stop_at=explicit) if isinstance(v, SharedVariable)]
    for target, _ in update_pairs:
        if target not in shared_inputs:
            shared_inputs.append(target)
    fgraph = FunctionGraph([*explicit, *shared_inputs], all_outputs, clone=True)
    fgraph.updates = {len(out_list) + j: len(explicit) + shared_inputs.index(target)
                      for j, (target, _) in enumerate(update_pairs)}
    resolved = get_mode(mode)
    if profile:
        resolved = resolved.with_options(profile=True)
    return Function(specs, shared_inputs, [t for t, _ in update_pairs], len(out_list), single, fgraph,
                    resolved, trust_input, allow_input_downcast, name)


class Function:
    """A compiled function: call it with input values; shared-variable updates apply after each call."""

    def __init__(self, specs: list[In], shared_inputs: list[SharedVariable], update_targets: list[SharedVariable],
                 n_outputs: int, single: bool, fgraph: FunctionGraph, mode: Mode, trust_input: bool,
                 allow_input_downcast: bool, name: str | None) -> None:
        self.specs = specs
        self.shared_inputs = shared_inputs
        self.update_targets = update_targets
        self.n_outputs = n_outputs
        self.single = single
        self.fgraph = fgraph
        self.mode = mode
        self.trust_input = trust_input
        self.allow_input_downcast = allow_input_downcast
        self.name = name
        self._setup()

    def _setup(self) -> None:
        checks = Checks.of(self.mode)
        # checking compares the function with the graph as it was before the rewriter changed it
        original = self.fgraph.clone() if checks.check else None
        labels = self._output_labels() if checks.active else []
        if self.mode.rewriter is not None:
            self.mode.rewriter(self.fgraph)
        self.backend = self.mode.resolve_backend()
        self.executable = self.backend.compile(self.fgraph, self.mode)
        # a backend with memory of its own (a GPU's) may take its own arrays as inputs as they are; checking modes
        # compare with the reference evaluator, which reads host memory only
        accepts = getattr(self.executable, "accepts_device_input", None)
        self._accepts_device_input = accepts if not checks.active else None
        # a profile the backend does not keep itself: graph-core times the calls, and the nodes where it can
        profiled = wants_generic_profile(self.mode, self.backend, self.executable)
        timer = NodeTimer() if profiled and hasattr(self.executable, "set_observer") else None
        if checks.active:
            self.executable = checks.instrument(self.executable, self.backend.name, original, labels,
                                                [timer] if timer is not None else [])
        elif timer is not None:
            self.executable.set_observer(timer)  # type: ignore[attr-defined]
        if profiled:
            self.executable = ProfiledExecutable(self.executable, timer, self.backend.name, self.fgraph)
        self._keywords = {s.keyword: i for i, s in enumerate(self.specs) if s.keyword is not None}
        self._types = [s.variable.type for s in self.specs]
        self._fast_checks = [_fast_check(t) for t in self._types]
        # a call reads every shared variable and updates some: atomic against calls touching the same ones
        self._access = SharedAccess(reads=[v.lock for v in self.shared_inputs],
                                    writes=[v.lock for v in self.update_targets])
        self._copy_outputs = _outputs_to_copy(self.fgraph.outputs[: self.n_outputs])
        self._copies = any(self._copy_outputs)
        # an executable that checks its inputs itself (in C) takes our filter for values that do not fit as they
        # are: its errors then name the input as ours do, and the call path skips the Python checks
        set_filter = getattr(self.executable, "set_input_filter", None)
        if set_filter is not None:
            set_filter(self._convert_input)
        self._check_in_python = set_filter is None and not self.trust_input
        # positional values straight to the executable and its outputs straight back: no Python-side checks,
        # shared values, updates or copies to interleave (the common case of a pure function; W5's overhead)
        self._direct = not (self._check_in_python or self.shared_inputs or self._copies)
        entry = getattr(self.executable, "entry", None)
        if self._direct and entry is not None:
            self.__class__ = _class_calling(entry(self.single, MethodType(Function.__call__, self)))

    @property
    def inputs(self) -> list[Variable]:
        return [s.variable for s in self.specs]

    def _output_labels(self) -> list[str]:
        """A name for each output of the graph (before rewriting): the function's outputs, then the updates."""
        outputs = [f"output {k} ({var})" for k, var in enumerate(self.fgraph.outputs[: self.n_outputs])]
        return outputs + [f"the update of {target}" for target in self.update_targets]

    def _bind(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> list[Any]:
        n = len(self.specs)
        if len(args) > n:
            raise TypeError(f"{self._label()} takes {n} inputs, got {len(args)}")
        values: list[Any] = list(args) + [_NO_DEFAULT] * (n - len(args))
        for key, value in kwargs.items():
            if key not in self._keywords:
                raise TypeError(f"{self._label()} has no input named {key!r}; inputs: "
                                f"{', '.join(map(str, self._keywords)) or 'none by name'}")
            i = self._keywords[key]
            if values[i] is not _NO_DEFAULT:
                raise TypeError(f"{self._label()} got input {key!r} both by position and by name")
            values[i] = value
        for i, value in enumerate(values):
            if value is _NO_DEFAULT:
                spec = self.specs[i]
                if not spec.has_default:
                    raise TypeError(f"{self._label()}: missing input {self._describe(i)}")
                values[i] = spec.value
        return values

    def _describe(self, i: int) -> str:
        var = self.specs[i].variable
        return f"'{self.specs[i].keyword}' (argument {i})" if self.specs[i].keyword else f"argument {i} ({var})"

    def _label(self) -> str:
        return f"function {self.name!r}" if self.name else "function"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        values: Sequence[Any]
        if not kwargs and len(args) == len(self.specs):
            if self._direct:
                results = self.executable(args)
                return results[0] if self.single else results
            values = args
        else:
            values = self._bind(args, kwargs)
        if self._check_in_python:
            checks = zip(values, self._fast_checks, strict=True)
            values = [v if check(v) else self._filter(i, v) for i, (v, check) in enumerate(checks)]
        if self.shared_inputs:
            with self._access:  # outputs that view a shared value are copied before another call updates it
                results = self._run(values)
        else:
            results = self._run(values)
        return results[0] if self.single else results

    def _run(self, values: Sequence[Any]) -> list[Any]:
        """The outputs for input ``values`` (checked), with the shared values read and updated."""
        shared_values = [shared._value for shared in self.shared_inputs]
        if self._accepts_device_input is None:  # values a backend keeps on a device, for one that reads the host
            shared_values = [host_value(value) for value in shared_values]
        results = self.executable([*values, *shared_values])
        n = self.n_outputs
        for target, value in zip(self.update_targets, results[n:], strict=True):
            target.store(value)
        results = results[:n]
        if self._copies:
            results = [o.copy() if copy else o for o, copy in zip(results, self._copy_outputs, strict=True)]
        return results

    def report(self) -> str:
        """What the backend compiled, what fell back to Python, and (when profiled) where the time went."""
        report = getattr(self.executable, "report", None)
        if report is None:
            return f"{self._label()}: the {self.backend.name} backend keeps no report"
        return str(report())

    def _convert_input(self, i: int, value: Any) -> Any:
        """Input ``i`` of the compiled graph (the explicit inputs, then the shared variables) converted."""
        if i < len(self.specs):
            return self._filter(i, value)
        return self.fgraph.inputs[i].type.filter(value)

    def _filter(self, i: int, value: Any) -> Any:
        if self._accepts_device_input is not None and self._accepts_device_input(value):
            return value  # the executable's own device array: it checks the dtype and dimensions itself
        try:  # another library's array in host memory is viewed, not copied (DLPack, the array interfaces)
            return self._types[i].filter(host_array(value), allow_downcast=self.allow_input_downcast)
        except TypeError as exc:
            raise TypeError(f"bad input {self._describe(i)} to {self._label()}: {exc}") from None

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        # rebuilt as a plain Function (not the class of one instance that _class_calling may have given it)
        return _new_function, (), self.__getstate__()

    def __getstate__(self) -> dict[str, Any]:
        return self._state(portable_mode(self.mode, self.backend))

    def __deepcopy__(self, memo: dict[int, Any]) -> Function:
        # a copy stays in this process, so it keeps the options that describe this machine (a pickle does not)
        new = _new_function()
        memo[id(self)] = new
        new.__setstate__(copy.deepcopy(self._state(replace(self.mode, rewriter=None)), memo))
        return new

    def _state(self, mode: Mode) -> dict[str, Any]:
        state = self.__dict__.copy()
        for key in ("backend", "executable", "_keywords", "_types", "_fast_checks", "_access", "_copy_outputs",
                    "_copies", "_check_in_python", "_direct"):
            state.pop(key, None)
        state["mode"] = mode
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._setup()

    def copy(self) -> Function:
        """An independent copy with its own shared variables."""
        return copy.deepcopy(self)


def _given(old: Variable, new: Any) -> Variable:
    """``new`` to stand for ``old`` (givens): of a compatible type, and stated to have the static sizes ``old``
    has where ``new`` leaves them unknown (checked when the function runs, as PyTensor does), so that the graph
    built on ``old``'s sizes (``squeeze`` of an axis of size 1) still holds."""
    new = as_tensor(new) if not isinstance(new, Variable) else new
    if not old.type.is_compatible(new.type):
        raise TypeError(f"givens: {old} of type {old.type} cannot be replaced by {new} of type {new.type}")
    if not isinstance(old.type, TensorType):
        return new
    stated = [size if have is None else None for size, have in zip(old.type.shape, new.type.shape, strict=True)]
    return specify_shape(new, stated) if any(s is not None for s in stated) else new


def _default_updates(outputs: list[Variable], explicit: list[tuple[SharedVariable, Variable]]
                     ) -> list[tuple[SharedVariable, Variable]]:
    """(shared, default_update) for the shared variables ``outputs`` use that have one and no explicit update."""
    updated = {target for target, _ in explicit}
    found: list[tuple[SharedVariable, Variable]] = []
    pending = list(outputs)
    while pending:
        new = [(var, var.default_update) for var in graph_inputs(pending)
               if isinstance(var, SharedVariable) and var.default_update is not None and var not in updated]
        updated.update(var for var, _ in new)
        found += new
        pending = [expr for _, expr in new]  # a default update may use further shared variables
    return _check_updates(found)


def _new_function() -> Function:
    """An empty Function for unpickling and copying; ``__setstate__`` fills it in."""
    return Function.__new__(Function)


def _class_calling(entry: Callable[..., Any]) -> type[Function]:
    """A subclass of Function, for one instance, whose ``__call__`` is ``entry``: an executable's own callable
    taking the input values as arguments (and deferring to ``Function.__call__`` for any other call). A callable
    that is not a descriptor is called without the instance, so ``f(x)`` goes from the interpreter straight into
    the executable, with no Python frame in between: W5's call overhead."""
    namespace = {"__call__": entry, "__slots__": (), "__module__": Function.__module__,
                 "__qualname__": Function.__qualname__, "__doc__": Function.__doc__}
    return type(Function.__name__, (Function,), namespace)


def _fast_check(t: Any) -> Callable[[Any], bool]:
    """A cheap test that a value is already exactly of type ``t`` (the common case needs no conversion)."""
    if not isinstance(t, TensorType):
        return lambda value: False
    dtype, ndim = np.dtype(t.dtype), t.ndim
    static = [(axis, size) for axis, size in enumerate(t.shape) if size is not None]

    def check(value: Any) -> bool:
        return (type(value) is np.ndarray and value.dtype is dtype and value.ndim == ndim
                and all(value.shape[axis] == size for axis, size in static))

    return check


def _outputs_to_copy(outputs: Sequence[Variable]) -> list[bool]:
    """Which outputs a call copies, so that no output shares memory with an input, a shared value, a constant
    or another output (writing into one returned array must change no other): those whose memory may come from
    outside the graph, and those whose memory may be an earlier output's (the same variable twice, or views of
    one buffer, such as ``[v, v.T]``)."""
    copy: list[bool] = []
    seen: set[Variable] = set()
    for var in outputs:
        roots = _memory_roots(var)
        outside = any(root.owner is None for root in roots)
        copy.append(outside or not seen.isdisjoint(roots))
        if not outside:
            seen |= roots
    return copy


def _memory_roots(var: Variable) -> set[Variable]:
    """The variables whose buffers ``var``'s memory may be: ``var`` itself, or through views (``view_map``) the
    roots of the inputs it views."""
    roots: set[Variable] = set()
    pending = [var]
    while pending:
        var = pending.pop()
        owner = var.owner
        viewed = owner.op.view_map.get(var.index or 0, ()) if owner is not None else ()
        if owner is not None and viewed:
            pending += [owner.inputs[i] for i in viewed]
        else:
            roots.add(var)
    return roots


def portable_mode(mode: Mode, backend: Any) -> Mode:
    """The mode a pickled function keeps: without its rewriter (the graph is already rewritten), and without the
    options its backend names in ``local_options`` (a cache directory, a compiler: facts of the pickling machine),
    so that the loading process compiles it with its own."""
    local = set(getattr(backend, "local_options", ()))
    return replace(mode, rewriter=None, options={k: v for k, v in mode.options.items() if k not in local})


install_compiler(function)  # Variable.eval compiles with it
