"""Arignote graph-opt: the rewrite engine (reusable for any op set) and the standard tensor rewrites.

Rewrites are registered per op class in named rule sets (canonicalize, stabilize, specialize, fuse, memory).
"""

from ._version import __version__

__all__ = ["__version__"]
