"""Arignote autograd-sym: symbolic differentiation of Arignote graphs.

Reverse and forward mode (grad, jacobian, hessian, Rop, Lop), per-op derivative rules and verify_grad.
"""

from ._version import __version__

__all__ = ["__version__"]
