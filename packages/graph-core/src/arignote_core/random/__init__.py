"""Random numbers: ``RandomStream`` (NumPy ``Generator``'s distributions as symbolic draws) on a counter-based
Philox4x64-10 generator, so that every backend can reproduce the same numbers element by element."""

from __future__ import annotations

from .ops import STATE_TYPE, RandomVariable
from .philox import philox4x64
from .stream import RandomStream

__all__ = ["STATE_TYPE", "RandomStream", "RandomVariable", "philox4x64"]
