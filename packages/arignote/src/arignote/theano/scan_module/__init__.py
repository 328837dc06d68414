"""``theano.scan_module``: ``scan`` and ``until`` (graph-core's, with Theano's API and semantics), and the
functional forms ``map``, ``reduce``, ``foldl``, ``foldr``."""

from arignote_core import scan, until
from arignote_core.control import foldl, foldr, map, reduce  # noqa: A004 (Theano's names)

__all__ = ["foldl", "foldr", "map", "reduce", "scan", "until"]
