"""The errors of the module cache and of builds, shared by the cache, the compiler runner and the backend."""

from __future__ import annotations

import threading
import time


class CacheUnusable(OSError):
    """The cache directory cannot be used: it cannot be created, read or written, or it is unsafe. The backend
    then warns and compiles into a private temporary cache instead."""

    def __str__(self) -> str:
        return str(self.strerror) if self.strerror else super().__str__()  # the message, without "[Errno N]"


class UnsafeCacheDir(CacheUnusable, PermissionError):
    """The cache directory, or a directory above it, could be changed by another user (who could then plant code
    that this process would load)."""


class BuildTimeout(TimeoutError):
    """A build, or a wait for another process's build of the same module, ran past the ``build_timeout`` option."""


class BuildCancelled(Exception):
    """A build was stopped because its result is no longer wanted (the function it was for failed to build)."""


def stop_if_due(cancel: threading.Event | None, deadline: float, cancelled: str, timed_out: str) -> None:
    """Raise BuildCancelled (``cancelled``) when ``cancel`` is set, else BuildTimeout (``timed_out``) once the
    monotonic clock passes ``deadline``: the two ways a bounded build or wait stops."""
    if cancel is not None and cancel.is_set():
        raise BuildCancelled(cancelled)
    if time.monotonic() >= deadline:
        raise BuildTimeout(timed_out)
