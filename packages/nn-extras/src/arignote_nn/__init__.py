"""Arignote nn-extras: neural-network building blocks on top of graph-core and autograd-sym."""

from ._version import __version__

__all__ = ["__version__"]
