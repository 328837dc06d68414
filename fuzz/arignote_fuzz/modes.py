"""The modes every case runs in, by name, and how a worker makes them.

``fast_run_ref`` is fast_run's rewriter on the reference evaluator: with ``fast_run`` beside it, a wrong result
is located in the rewrites (both wrong) or in the C backend (only ``fast_run``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

#: the modes in the order they run (cheapest first: the shrinker uses the first one that shows a finding)
MODES = ("reference", "fast_compile", "fast_run_ref", "fast_run")
#: threads for the C backend's loops: two, so that large arrays reach its parallel loops on any machine
THREADS = 2


def make_mode(name: str, cache_dir: Path | None) -> Any:
    """The ``ar.Mode`` for ``name``; a ``module:function`` name is a mode factory (the fuzzer's own tests)."""
    import arignote as ar

    if name == "reference":
        return "reference"
    if name == "fast_compile":
        return ar.fast_compile()
    if name == "fast_run_ref":
        return ar.Mode(backend="reference", rewriter=ar.fast_run().rewriter)
    if name == "fast_run":
        options: dict[str, Any] = {"threads": THREADS}
        if cache_dir is not None:
            options["cache_dir"] = str(cache_dir)
        return ar.fast_run().with_options(**options)
    module, _, factory = name.partition(":")
    if not factory:
        raise ValueError(f"unknown mode {name!r}: one of {', '.join(MODES)} or module:function")
    return getattr(importlib.import_module(module), factory)()
