"""The lowering rules of graph-core's ops, one module per kind of kernel; importing this package installs them
(``registry.py``)."""

from . import control, elementwise, gemm, indexing, random, rows

__all__ = ["control", "elementwise", "gemm", "indexing", "random", "rows"]
