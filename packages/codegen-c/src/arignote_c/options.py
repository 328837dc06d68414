"""The C backend's options, read from ``Mode.options`` once at compile time and passed on explicitly."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .cache import default_cache_dir


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@dataclass(frozen=True)
class COptions:
    """Options of the ``c`` backend (keys of ``Mode.options``; other keys are left to other components).

    - ``cache_dir``: where compiled modules are kept (default ``$ARIGNOTE_CACHE_DIR`` or ``~/.cache/arignote/c``);
    - ``cc``: the compiler (default gcc, then cc, on PATH);
    - ``native``: compile for this CPU (``-march=native``; part of the cache key);
    - ``threads``: OpenMP threads for large loops (default: the CPUs this process may use);
    - ``parallel_threshold``: loops over fewer elements run on one thread;
    - ``gil_threshold``: loops over at least this many elements release the GIL;
    - ``profile``: time every step (see ``executable.report()``).
    """

    cache_dir: Path
    cc: str | None = None
    native: bool = True
    threads: int = 1
    parallel_threshold: int = 1 << 16
    gil_threshold: int = 1 << 15
    profile: bool = False

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> COptions:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in options.items() if k in known}
        values["cache_dir"] = Path(values.get("cache_dir") or default_cache_dir())
        values.setdefault("threads", _available_cpus())
        return cls(**values)

    def runtime_tuple(self) -> tuple[int, int, int, bool]:
        """What the C Program takes: (threads, parallel threshold, GIL threshold, profile)."""
        return (max(1, int(self.threads)), int(self.parallel_threshold), int(self.gil_threshold), bool(self.profile))
