"""The ``c`` backend: the entry point that graph-core's ``function`` finds under ``arignote.backends``.

How faults degrade: a cache directory that cannot be used gives a CacheWarning and a private temporary cache
(cache_site); no compiler, or one that cannot build any extension module (probe), gives a CompilerWarning and
the reference evaluator; a module that alone fails to compile is a CompileError (a bug to report), and a build
past its timeout a BuildTimeout.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

from arignote_core.evaluator import ReferenceProgram
from arignote_core.fgraph import FunctionGraph
from arignote_core.mode import Mode
from arignote_opt import standard_rewriter

from .build import Builder, CompileError
from .cache import ModuleCache
from .cache_site import cache_site
from .errors import CacheUnusable
from .lowering import InnerCompiler
from .options import COptions
from .probe import include_dirs, known_problem, toolchain_problem
from .program import link
from .runtime import PendingRuntime
from .toolchain import CompilerNotFound, Toolchain, load_toolchain


class CompilerWarning(UserWarning):
    """No usable C compiler: the function runs on the reference evaluator."""


def c_mode() -> Mode:
    """The named mode ``"c"``: graph-opt's standard rewrites (fusion included), then this backend."""
    return Mode(backend=CBackend(), rewriter=standard_rewriter(exclude=CBackend.skipped_rewrites))


class CBackend:
    """Compiles a FunctionGraph into C kernels (one module per function) run by the C executor.

    Ops without a C lowering run their NumPy ``perform`` inside the compiled program; the executable's
    ``report()`` lists them, and with ``Mode(options={"profile": True})`` times every node.
    """

    name = "c"
    #: graph-opt rules a mode for this backend leaves out: they would lower ops it has whole kernels for
    #: (softmax and log-softmax over one axis, see ``lowering.rows``)
    skipped_rewrites = ("lower_softmax", "lower_log_softmax")
    #: options that describe the compiling machine, not the function: a pickled function leaves them out, so that
    #: it compiles with the loading process's own cache and compiler (graph-core's ``Function.__getstate__``)
    local_options = ("cache_dir", "cc")
    #: the executor times every step itself under the option ``profile`` (graph-core's generic profile is not
    #: added: see ``arignote_core.profiling``)
    profiles = True

    def compile(self, fgraph: FunctionGraph, mode: Mode) -> Any:
        options = COptions.from_mapping(mode.options)
        site = cache_site(options.cache_dir)
        try:
            while True:
                cache = site.current()
                try:
                    return _compile_with(fgraph, options, cache, functools.partial(self.compile_inner, mode=mode))
                except CacheUnusable as exc:
                    if not site.give_up(cache, exc):
                        raise
        except CacheUnusable as exc:
            return _on_reference(fgraph, f"no module cache can be used: {exc}", "Fix the cache directory, or choose "
                                 "another with ARIGNOTE_CACHE_DIR or Mode(options={'cache_dir': ...})")
        except CompilerNotFound as exc:
            return _on_reference(fgraph, str(exc), "Install gcc, or name the compiler with CC or "
                                 "Mode(options={'cc': ...})")


    def compile_inner(self, inner: FunctionGraph, mode: Mode) -> Any:
        """An inner graph of a control-flow node (a scan's step, a branch) compiled as a program of its own: a
        copy rewritten by the mode's rewriter (once, not per call), then compiled as any graph."""
        fgraph = inner.clone()
        if mode.rewriter is not None:
            mode.rewriter(fgraph)
        return self.compile(fgraph, mode)


def _compile_with(fgraph: FunctionGraph, options: COptions, cache: ModuleCache,
                  compile_inner: InnerCompiler | None = None) -> Any:
    toolchain = load_toolchain(options.cc, options.native, cache)
    problem = known_problem(toolchain)
    if problem is not None:
        return _on_reference(fgraph, *_unusable_toolchain(toolchain, problem))
    builder = Builder(toolchain, cache, options.build_timeout)
    runtime = PendingRuntime(builder, options.prebuilt_runtime)
    try:
        # the function's threads build its kernels, but for one building the runtime meanwhile (if it is)
        return link(fgraph, options, builder, runtime.wait, max(1, options.threads - runtime.building),
                    compile_inner)
    except CompileError:
        runtime.cancel()
        problem = toolchain_problem(builder)
        if problem is None:
            raise
        return _on_reference(fgraph, *_unusable_toolchain(toolchain, problem))
    except BaseException:
        runtime.cancel()
        raise


def _unusable_toolchain(toolchain: Toolchain, problem: str) -> tuple[str, str]:
    return (f"the C compiler {' '.join(toolchain.command)} cannot build Python extension modules here: {problem} "
            f"(headers searched in {include_dirs()})", "Install what is missing (Python.h comes with your Python's "
            "development files, e.g. Debian's python3-dev), or name another compiler with CC or "
            "Mode(options={'cc': ...})")


def _on_reference(fgraph: FunctionGraph, reason: str, advice: str) -> ReferenceProgram:
    warnings.warn(f"{reason}: this function runs on the reference evaluator (NumPy), not compiled C. {advice}",
                  CompilerWarning, stacklevel=4)
    return ReferenceProgram(fgraph)
