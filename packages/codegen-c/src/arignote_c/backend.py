"""The ``c`` backend: the entry point that graph-core's ``function`` finds under ``arignote.backends``."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from arignote_core.evaluator import ReferenceProgram
from arignote_core.fgraph import FunctionGraph
from arignote_core.mode import Mode

from .build import Builder
from .cache import ModuleCache
from .options import COptions
from .program import link
from .runtime import start_runtime
from .toolchain import CompilerNotFound, load_toolchain


class CompilerWarning(UserWarning):
    """No C compiler: the function runs on the reference evaluator."""


_CACHES: dict[Path, ModuleCache] = {}


def module_cache(root: Path) -> ModuleCache:
    """The cache at ``root`` (checked once per process for ownership and permissions)."""
    root = Path(root).expanduser().absolute()
    if root not in _CACHES:
        _CACHES[root] = ModuleCache(root)
    return _CACHES[root]


def c_mode() -> Mode:
    """The named mode ``"c"``: graph-opt's standard rewrites (fusion included), then this backend."""
    from arignote_opt import standard_rewriter

    return Mode(backend=CBackend(), rewriter=standard_rewriter(exclude=CBackend.skipped_rewrites))


class CBackend:
    """Compiles a FunctionGraph into C kernels (one module per function) run by the C executor.

    Ops without a C lowering run their NumPy ``perform`` inside the compiled program; the executable's
    ``report()`` lists them, and with ``Mode(options={"profile": True})`` times every node.
    """

    name = "c"
    #: graph-opt rules a mode for this backend leaves out: they would lower ops it has whole kernels for
    #: (softmax and log-softmax over one axis, see ``lowering_special``)
    skipped_rewrites = ("lower_softmax", "lower_log_softmax")

    def compile(self, fgraph: FunctionGraph, mode: Mode) -> Any:
        options = COptions.from_mapping(mode.options)
        cache = module_cache(options.cache_dir)
        try:
            toolchain = load_toolchain(options.cc, options.native, cache.root)
        except CompilerNotFound as exc:
            warnings.warn(f"{exc}: this function runs on the reference evaluator (NumPy), not compiled C. Install "
                          "gcc, or pass the compiler with Mode(options={'cc': ...})", CompilerWarning, stacklevel=2)
            return ReferenceProgram(fgraph)
        builder = Builder(toolchain, cache)
        return link(fgraph, options, builder, start_runtime(builder))
