"""Defaults from the environment, read once at import into an immutable object.

``ARIGNOTE_MODE`` (default ``fast_run``), ``ARIGNOTE_CACHE_DIR`` (the C backend's compile cache),
``ARIGNOTE_FLOATX`` (``float64`` or ``float32``: the dtype of constructors without a type prefix) and
``ARIGNOTE_THREADS`` (threads for compiled loops; default: the CPUs this process may use), ``ARIGNOTE_FAST_MATH``
(``1``: rewrites may assume finite values, so ``x - x`` is 0 even where x is inf; default ``0``, IEEE results)
and ``ARIGNOTE_STRICT_REWRITES`` (``1``: a rewrite rule that fails is an error, not a warning; the test suites
set it). Nothing inside the
compiler reads these: they become the default ``Mode`` of :func:`arignote.function`, and a function can always
be given its own (codegen-c's options read ``ARIGNOTE_CACHE_DIR`` and ``ARIGNOTE_THREADS`` too, as the defaults
of its named mode ``"c"``; reading them here keeps ``import arignote`` from loading codegen-c in other modes).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_FLOATX = ("float64", "float32")


@dataclass(frozen=True)
class Config:
    """The defaults a session starts with."""

    mode: str = "fast_run"
    cache_dir: Path | None = None
    floatX: str = "float64"  # noqa: N815 (Theano's spelling)
    threads: int | None = None
    fast_math: bool = False
    strict_rewrites: bool = False


def from_environment(environ: Mapping[str, str] = os.environ) -> Config:
    """A Config from ``ARIGNOTE_*`` variables; a bad value is refused naming the variable."""
    floatx = environ.get("ARIGNOTE_FLOATX", "float64")
    if floatx not in _FLOATX:
        raise ValueError(f"ARIGNOTE_FLOATX must be one of {', '.join(_FLOATX)}, got {floatx!r}")
    threads_text = environ.get("ARIGNOTE_THREADS")
    threads = None
    if threads_text is not None:
        if not threads_text.isdigit() or int(threads_text) < 1:
            raise ValueError(f"ARIGNOTE_THREADS must be a positive integer, got {threads_text!r}")
        threads = int(threads_text)
    cache = environ.get("ARIGNOTE_CACHE_DIR")
    return Config(mode=environ.get("ARIGNOTE_MODE", "fast_run"), cache_dir=Path(cache) if cache else None,
                  floatX=floatx, threads=threads, fast_math=_flag(environ, "ARIGNOTE_FAST_MATH"),
                  strict_rewrites=_flag(environ, "ARIGNOTE_STRICT_REWRITES"))


def _flag(environ: Mapping[str, str], name: str) -> bool:
    text = environ.get(name, "0")
    if text not in ("0", "1"):
        raise ValueError(f"{name} must be 0 or 1, got {text!r}")
    return text == "1"
