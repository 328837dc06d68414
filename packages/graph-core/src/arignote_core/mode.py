"""Modes: which rewrites run and which backend compiles, as an explicit object passed to ``function``.

Backends and named modes come from installed packages through the entry-point groups ``arignote.backends``
and ``arignote.modes``; graph-core itself provides the ``reference`` backend (NumPy, no rewrites).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from .fgraph import FunctionGraph
from .plugins import entry_points_in

#: What a backend produces: called with the values of ``fgraph.inputs``, returns those of ``fgraph.outputs``.
Executable = Callable[[Sequence[Any]], list[Any]]


class Backend(Protocol):
    """Turns a (rewritten) FunctionGraph into an executable. A backend may also name, in ``local_options``, the
    option keys that describe the compiling machine rather than the function (paths); a pickled function leaves
    them out. One that times its own nodes under the mode option ``profile`` says ``profiles = True``; for the
    others ``function`` times them (:mod:`arignote_core.profiling`)."""

    name: str

    def compile(self, fgraph: FunctionGraph, mode: Mode) -> Executable: ...


@dataclass(frozen=True)
class Mode:
    """How to compile: a backend (by name or object), a rewriter run on the graph first, backend options."""

    backend: Any = "reference"
    rewriter: Callable[[FunctionGraph], Any] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def with_options(self, **options: Any) -> Mode:
        return replace(self, options={**self.options, **options})

    def resolve_backend(self) -> Backend:
        if not isinstance(self.backend, str):
            return self.backend
        return get_backend(self.backend)


#: Backends built into graph-core, by name: each registers itself when its module is imported (the reference
#: evaluator does), so that this module imports no backend.
_BUILT_IN: dict[str, Callable[[], Backend]] = {}


def register_backend(name: str, make: Callable[[], Backend]) -> None:
    """Make ``get_backend(name)`` return ``make()``; installed packages register through the entry-point group
    ``arignote.backends`` instead."""
    _BUILT_IN[name] = make


def get_backend(name: str) -> Backend:
    """The backend registered under ``name`` (``reference`` is built in)."""
    if name in _BUILT_IN:
        return _BUILT_IN[name]()
    found = {ep.name: ep for ep in entry_points_in("arignote.backends")}
    if name not in found:
        raise ValueError(f"no backend named {name!r}; available: {', '.join([*_BUILT_IN, *sorted(found)])}")
    backend = found[name].load()
    return backend() if isinstance(backend, type) or callable(backend) and not hasattr(backend, "compile") \
        else backend


def get_mode(mode: Mode | str | None) -> Mode:
    """A Mode from a Mode, a mode or backend name, or None (the reference evaluator)."""
    if mode is None:
        return Mode()
    if isinstance(mode, Mode):
        return mode
    named = {ep.name: ep for ep in entry_points_in("arignote.modes")}
    if mode in named:
        found = named[mode].load()
        return found() if callable(found) and not isinstance(found, Mode) else found
    return Mode(backend=mode)
