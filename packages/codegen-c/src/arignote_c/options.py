"""The C backend's options, read from ``Mode.options`` once at compile time and passed on explicitly."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .cache import DEFAULT_BUILD_TIMEOUT_S, default_cache_dir
from .toolchain import default_compiler


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_threads(environ: Mapping[str, str] = os.environ) -> int:
    """``$ARIGNOTE_THREADS`` (a positive integer), else the CPUs this process may use: every mode compiling to
    C, the named mode ``"c"`` included, honours the variable the meta-package documents."""
    text = environ.get("ARIGNOTE_THREADS")
    if text is None:
        return _available_cpus()
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"ARIGNOTE_THREADS must be a positive integer, got {text!r}")
    return int(text)


#: ``platform.machine()`` of the CPUs whose floating-point control the runtime can set to flush subnormals
FLUSH_MACHINES = frozenset({"x86_64", "amd64", "i386", "i686", "x86"})


@dataclass(frozen=True)
class COptions:
    """Options of the ``c`` backend (keys of ``Mode.options``; other keys are left to other components).

    - ``cache_dir``: where compiled modules are kept (default ``$ARIGNOTE_CACHE_DIR`` or ``~/.cache/arignote/c``);
    - ``cc``: the compiler, possibly with leading arguments (default ``$CC``, else gcc, then cc, on PATH);
    - ``native``: compile for this CPU (``-march=native``; part of the cache key);
    - ``threads``: threads of the runtime's pool for large loops, products and user kernels (default: the CPUs
      ``$ARIGNOTE_THREADS``, else the CPUs this process may use);
    - ``parallel_threshold``: loops over fewer elements run on one thread;
    - ``gil_threshold``: loops over at least this many elements release the GIL;
    - ``profile``: time every step (see ``executable.report()``);
    - ``build_timeout``: seconds a compiler run, or a wait for another process building the same module, may last
      before it fails with BuildTimeout (the compiler is killed);
    - ``prebuilt_runtime``: use the runtime built when the package was installed, when there is one (False: build
      it into the cache like any module);
    - ``flush_denormals``: run each call with subnormal numbers flushed to zero (x86's FTZ and DAZ, on every
      thread of the call), as XLA does by default: arithmetic that meets subnormals (gradients that decay over
      a long loop) runs at full speed, and values below ``finfo.tiny`` become 0 where NumPy keeps them. Off by
      default: NumPy's results are the contract.

    ``cache_dir`` and ``cc`` describe this machine: a pickled function leaves them out (``local_options`` of the
    backend) and compiles with the loading process's own.
    """

    cache_dir: Path
    cc: str | None = None
    native: bool = True
    threads: int = 1
    parallel_threshold: int = 1 << 16
    gil_threshold: int = 1 << 15
    profile: bool = False
    build_timeout: float = DEFAULT_BUILD_TIMEOUT_S
    prebuilt_runtime: bool = True
    flush_denormals: bool = False

    def __post_init__(self) -> None:
        if self.flush_denormals and platform.machine().lower() not in FLUSH_MACHINES:
            raise ValueError(f"the flush_denormals option needs an x86 CPU (its MXCSR control), not "
                             f"{platform.machine()!r}")
        timeout = self.build_timeout
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise ValueError(f"the build_timeout option must be a positive number of seconds, got {timeout!r}")

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> COptions:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in options.items() if k in known}
        values["cache_dir"] = Path(values.get("cache_dir") or default_cache_dir())
        values.setdefault("threads", default_threads())
        values["cc"] = values.get("cc") or default_compiler()
        return cls(**values)

    def runtime_tuple(self) -> tuple[int, int, int, bool, bool]:
        """What the C Program takes: (threads, parallel threshold, GIL threshold, profile, flush denormals)."""
        return (max(1, int(self.threads)), int(self.parallel_threshold), int(self.gil_threshold), bool(self.profile),
                bool(self.flush_denormals))
