"""The named modes of the full stack, found by graph-core's ``function`` through ``arignote.modes``.

- ``fast_run``: every standard rewrite, then the C backend (the default of :func:`arignote.function`);
- ``fast_compile``: only the canonicalizing rewrites, then the reference evaluator;
- ``reference``: no rewrite, the reference evaluator (graph-core's own);
- ``debug``: ``fast_run`` checked as it runs: every node of the compiled program against its reference
  ``perform`` (values, inputs left unchanged, no undeclared views), the function against its graph before
  rewriting (the mode option ``check``; a mismatch raises ``arignote_core.checking.CheckError``);
- ``nan_guard``: ``fast_run`` stopping at the first node that makes NaN or infinity out of finite inputs (the
  mode option ``nan_guard``; raises ``arignote_core.checking.NonFiniteError``);
- ``c``: the C backend with its own defaults (from codegen-c); ``cuda`` when codegen-cuda is installed.
"""

from __future__ import annotations

import importlib
from typing import Any

from arignote_core import Mode

from .config import Config, from_environment


def backend_options(config: Config) -> dict[str, Any]:
    """Mode options that come from the session's Config."""
    options: dict[str, Any] = {}
    if config.cache_dir is not None:
        options["cache_dir"] = config.cache_dir
    if config.threads is not None:
        options["threads"] = config.threads
    return options


def fast_run(config: Config | None = None) -> Mode:
    """All standard rewrites (canonicalize, stabilize, specialize, fuse), compiled to C."""
    from arignote_c import CBackend  # noqa: PLC0415  (codegen-c and graph-opt load when a mode needs them)
    from arignote_opt import standard_rewriter  # noqa: PLC0415

    config = config or from_environment()
    rewriter = standard_rewriter(exclude=CBackend.skipped_rewrites, fast_math=config.fast_math,
                                 strict=config.strict_rewrites)
    return Mode(backend=CBackend(), rewriter=rewriter, options=backend_options(config))


def fast_compile(config: Config | None = None) -> Mode:
    """Few rewrites, no compiler: the quickest way to a first result."""
    from arignote_opt import standard_rewriter  # noqa: PLC0415  (graph-opt loads when a mode needs it)

    config = config or from_environment()
    return Mode(backend="reference", rewriter=standard_rewriter(exclude=("specialize", "fuse"),
                                                                fast_math=config.fast_math,
                                                                strict=config.strict_rewrites))


def debug(config: Config | None = None) -> Mode:
    """``fast_run``, every node checked against its reference ``perform`` and the function against its graph
    before rewriting (Theano's DebugMode): slow, for finding what a rewrite or a kernel gets wrong."""
    return fast_run(config).with_options(check=True)


def nan_guard(config: Config | None = None) -> Mode:
    """``fast_run``, stopping at the first node that makes NaN or infinity out of finite inputs."""
    return fast_run(config).with_options(nan_guard=True)


#: the modes this package names (also registered under ``arignote.modes`` for graph-core's ``function``)
OWN_MODES = {"fast_run": fast_run, "fast_compile": fast_compile, "debug": debug, "nan_guard": nan_guard}

#: the packages each named mode compiles with, beyond graph-core
_MODE_PACKAGES = {"fast_run": ("arignote_opt", "arignote_c"), "c": ("arignote_c",), "fast_compile": ("arignote_opt",),
                  "debug": ("arignote_opt", "arignote_c"), "nan_guard": ("arignote_opt", "arignote_c")}


def preload(mode: str) -> None:
    """Import what ``mode`` compiles with, at ``import arignote`` rather than inside the first ``function``
    call (graph-opt and codegen-c take tens of milliseconds to import; the default mode needs both)."""
    for package in _MODE_PACKAGES.get(mode, ()):
        importlib.import_module(package)
