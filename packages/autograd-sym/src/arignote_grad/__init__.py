"""Arignote autograd-sym: symbolic differentiation of Arignote graphs.

Reverse and forward mode (grad, jacobian, hessian, Rop, Lop), per-op derivative rules and verify_grad.
"""

from . import rules
from ._version import __version__
from .errors import (
                     DisconnectedInputError,
                     DisconnectedOutputError,
                     GradientCheckError,
                     GradientRuleError,
                     MissingRuleError,
                     NothingToCheckError,
                     UndefinedGrad,
                     UndefinedGradientError,
                     undefined_grad,
)
from .forward import Rop
from .gradient_ops import disconnected_grad, grad_clip, grad_scale, zero_grad
from .higher import hessian, hessian_vector_product, jacobian
from .registry import ZERO, register_linear, register_pullback, register_pushforward, register_scalar_derivative
from .reverse import Lop, grad
from .verify import verify_grad, verify_rop

__all__ = ["DisconnectedInputError", "DisconnectedOutputError", "GradientCheckError", "GradientRuleError", "Lop",
           "MissingRuleError", "NothingToCheckError", "Rop", "UndefinedGrad", "UndefinedGradientError", "ZERO",
           "__version__", "disconnected_grad", "grad", "grad_clip", "grad_scale", "hessian", "hessian_vector_product",
           "jacobian", "register_linear", "register_pullback", "register_pushforward", "register_scalar_derivative",
           "rules", "undefined_grad", "verify_grad", "verify_rop", "zero_grad"]
