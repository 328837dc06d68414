"""``theano.tensor`` (``T``): Arignote's tensor library under Theano's names, signatures and semantics.

Arignote's op library (graph-core's names, as in ``import arignote as ar``) is here, with Theano's versions
where they differ (the constructors
and types of :mod:`.type`, :mod:`.math`, :mod:`.shaping`, :mod:`.subtensor`, :mod:`.basic`, :mod:`.extra_ops`),
the gradient functions of :mod:`..gradient`, and the submodules ``nnet``, ``shared_randomstreams``,
``signal``, ``xlogx``.
"""

import arignote_core
from arignote_core import TensorConstant, TensorSharedVariable, TensorVariable, join

from ..compile import In, function, shared
from ..configparser import config
from ..gradient import (
    Lop,
    Rop,
    consider_constant,
    disconnected_grad,
    grad,
    grad_clip,
    grad_not_implemented,
    grad_undefined,
    hessian,
    jacobian,
    verify_grad,
    zero_grad,
)
from ..printing import pprint
from . import extra_ops, nnet, shared_randomstreams, signal, xlogx
from .basic import *  # noqa: F403
from .basic import __all__ as _basic_names
from .extra_ops import *  # noqa: F403
from .extra_ops import __all__ as _extra_names
from .math import *  # noqa: F403
from .math import __all__ as _math_names
from .shaping import *  # noqa: F403
from .shaping import __all__ as _shaping_names
from .subtensor import *  # noqa: F403
from .subtensor import __all__ as _subtensor_names
from .type import CONSTRUCTORS, TensorType, tensor

globals().update(CONSTRUCTORS)
# graph-core's names, where this namespace has no Theano version of its own
globals().update({name: getattr(arignote_core, name) for name in arignote_core.__all__ if name not in globals()})

#: Theano's ``join_`` (its Join op, called as ``join_(axis, *tensors)``): ``join``
join_ = join

__all__ = sorted({
    *arignote_core.__all__, *_basic_names, *_extra_names, *_math_names, *_shaping_names, *_subtensor_names,
    *CONSTRUCTORS, "In", "Lop", "Rop", "TensorConstant", "TensorSharedVariable", "TensorType", "TensorVariable",
    "config", "consider_constant", "disconnected_grad", "extra_ops", "function", "grad", "grad_clip",
    "grad_not_implemented", "grad_undefined", "hessian", "jacobian", "join_", "nnet", "pprint", "shared",
    "shared_randomstreams", "signal", "tensor", "verify_grad", "xlogx", "zero_grad"})
