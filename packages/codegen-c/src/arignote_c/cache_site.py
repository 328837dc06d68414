"""Which module cache a configured directory stands for in this process: the directory itself while it can be
used, else a private temporary cache, after a warning that says where and why.

A cache that cannot be used (no home directory, a directory that cannot be created or written, a read-only one,
one another user could change) must not make compiling fail: the process warns once and goes on with a
temporary cache of its own, removed at exit. Only when even that cannot be made does CacheUnusable reach the
backend, which then runs the function on the reference evaluator.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
import warnings
from pathlib import Path

from .cache import ModuleCache
from .errors import CacheUnusable


class CacheWarning(UserWarning):
    """The configured cache directory cannot be used: this process compiles into a temporary cache instead."""


class CacheSite:
    """The cache for one configured directory, in this process."""

    def __init__(self, configured: Path) -> None:
        self.configured = configured
        self._cache: ModuleCache | None = None
        self._temporary = False
        self._lock = threading.Lock()

    def current(self) -> ModuleCache:
        """The cache to use now (opening the configured one the first time)."""
        with self._lock:
            if self._cache is None:
                try:
                    self._cache = ModuleCache(self.configured)
                except CacheUnusable as exc:
                    self._cache = self._replace(exc)
            return self._cache

    def give_up(self, cache: ModuleCache, problem: CacheUnusable) -> bool:
        """Stop using ``cache``, which failed with ``problem``: True when a temporary cache takes its place (or
        already has), False when ``cache`` is the temporary one itself."""
        with self._lock:
            if cache is not self._cache:
                return True
            if self._temporary:
                return False
            self._cache = self._replace(problem)
            return True

    def _replace(self, problem: CacheUnusable) -> ModuleCache:
        try:
            root = Path(tempfile.mkdtemp(prefix="arignote-c-"))
        except OSError as exc:
            raise CacheUnusable(exc.errno, f"{problem}; and no temporary directory could be made for a private "
                                f"cache instead: {exc}") from exc
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        cache = ModuleCache(root)
        self._temporary = True
        warnings.warn(f"the C module cache {self.configured} cannot be used: {problem}. This process compiles into a "
                      f"private temporary cache ({root}, removed at exit) instead, so nothing it compiles is kept "
                      "for the next one. Fix the directory, or choose another with ARIGNOTE_CACHE_DIR or "
                      "Mode(options={'cache_dir': ...})", CacheWarning, stacklevel=4)
        return cache


_SITES: dict[Path, CacheSite] = {}
_SITES_LOCK = threading.Lock()


def cache_site(configured: Path) -> CacheSite:
    """The process's site for the cache directory ``configured``."""
    key = Path(os.path.abspath(os.path.expanduser(configured)))  # no error here for "~" without a home directory
    with _SITES_LOCK:
        if key not in _SITES:
            _SITES[key] = CacheSite(Path(configured))
        return _SITES[key]
