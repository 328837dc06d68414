"""Optimizers: each returns the updates of one training step, a dict ``{shared variable: new value}`` for
``function(..., updates=)``; state (velocities, moments, step count) lives in new shared variables.

``loss_or_grads`` is a scalar loss (differentiated with autograd-sym) or the list of gradients, one per
parameter; hyperparameters are numbers or symbolic scalars.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import arignote_core as ac
from arignote_core import SharedVariable, TensorSharedVariable, TensorVariable, Variable, as_tensor
from arignote_grad import grad

Updates = dict[SharedVariable, Variable]


def gradients(loss_or_grads: Any, params: Sequence[TensorSharedVariable]) -> list[TensorVariable]:
    """The given gradients, or those of a scalar loss with respect to ``params``."""
    for p in params:
        if not isinstance(p, SharedVariable):
            raise TypeError(f"optimizers update shared variables; {p} is not one")
    if isinstance(loss_or_grads, list | tuple):
        if len(loss_or_grads) != len(params):
            raise ValueError(f"got {len(loss_or_grads)} gradients for {len(params)} parameters")
        return [as_tensor(g) for g in loss_or_grads]
    return list(grad(loss_or_grads, list(params)))


def global_norm(grads: Sequence[Any]) -> TensorVariable:
    """``sqrt(sum of squares of every gradient)`` (in float64 when the gradients disagree on dtype)."""
    squares = [ac.sum(ac.square(as_tensor(g))) for g in grads]
    total = squares[0]
    for s in squares[1:]:
        total = total + s
    return ac.sqrt(total)


def clip_by_global_norm(grads: Sequence[Any], max_norm: Any, epsilon: float = 1e-6) -> list[TensorVariable]:
    """The gradients scaled together by ``min(1, max_norm / (global_norm + epsilon))`` (PyTorch's
    ``clip_grad_norm_``): their direction is kept, their joint norm is at most ``max_norm``."""
    scale = ac.minimum(as_tensor(max_norm) / (global_norm(grads) + epsilon), 1)
    return [as_tensor(g) * scale.astype(as_tensor(g).dtype) for g in grads]


def _state(param: TensorSharedVariable, name: str) -> TensorSharedVariable:
    """A zero-filled shared variable with ``param``'s dtype and (static) shape."""
    value = param.get_value(borrow=True)
    label = f"{param.name}_{name}" if param.name else name
    return ac.shared(np.zeros_like(value), name=label, shape=param.type.shape)


def _step(param: TensorSharedVariable, new_value: Any) -> TensorVariable:
    return as_tensor(new_value).astype(param.type.dtype)


def _hyper(value: Any, param: TensorSharedVariable) -> Any:
    """A hyperparameter in the parameter's dtype (numbers stay weak Python scalars)."""
    if isinstance(value, int | float):
        return value
    return as_tensor(value).astype(param.type.dtype)


def sgd(loss_or_grads: Any, params: Sequence[TensorSharedVariable], learning_rate: Any = 0.01) -> Updates:
    """``p <- p - lr * g``."""
    grads = gradients(loss_or_grads, params)
    return {p: _step(p, p - _hyper(learning_rate, p) * g) for p, g in zip(params, grads, strict=True)}


def momentum(loss_or_grads: Any, params: Sequence[TensorSharedVariable], learning_rate: Any = 0.01,
             momentum: Any = 0.9) -> Updates:
    """Heavy ball: ``v <- momentum * v - lr * g``, ``p <- p + v``."""
    updates: Updates = {}
    for p, g in zip(params, gradients(loss_or_grads, params), strict=True):
        v = _state(p, "velocity")
        new_v = _step(p, _hyper(momentum, p) * v - _hyper(learning_rate, p) * g)
        updates[v] = new_v
        updates[p] = _step(p, p + new_v)
    return updates


def nesterov(loss_or_grads: Any, params: Sequence[TensorSharedVariable], learning_rate: Any = 0.01,
             momentum: Any = 0.9) -> Updates:
    """Nesterov momentum (Sutskever's form): ``v <- momentum * v - lr * g``, ``p <- p + momentum * v - lr * g``."""
    updates: Updates = {}
    for p, g in zip(params, gradients(loss_or_grads, params), strict=True):
        v = _state(p, "velocity")
        mu, lr = _hyper(momentum, p), _hyper(learning_rate, p)
        new_v = _step(p, mu * v - lr * g)
        updates[v] = new_v
        updates[p] = _step(p, p + mu * new_v - lr * g)
    return updates


def adagrad(loss_or_grads: Any, params: Sequence[TensorSharedVariable], learning_rate: Any = 0.01,
            epsilon: float = 1e-10) -> Updates:
    """``s <- s + g^2``, ``p <- p - lr * g / (sqrt(s) + eps)`` (PyTorch's form)."""
    updates: Updates = {}
    for p, g in zip(params, gradients(loss_or_grads, params), strict=True):
        s = _state(p, "sum_of_squares")
        new_s = _step(p, s + g * g)
        updates[s] = new_s
        updates[p] = _step(p, p - _hyper(learning_rate, p) * g / (ac.sqrt(new_s) + epsilon))
    return updates


def rmsprop(loss_or_grads: Any, params: Sequence[TensorSharedVariable], learning_rate: Any = 0.01, rho: Any = 0.99,
            epsilon: float = 1e-8) -> Updates:
    """``s <- rho * s + (1 - rho) * g^2``, ``p <- p - lr * g / (sqrt(s) + eps)`` (PyTorch's form)."""
    updates: Updates = {}
    for p, g in zip(params, gradients(loss_or_grads, params), strict=True):
        s = _state(p, "mean_square")
        r = _hyper(rho, p)
        new_s = _step(p, r * s + (1 - r) * g * g)
        updates[s] = new_s
        updates[p] = _step(p, p - _hyper(learning_rate, p) * g / (ac.sqrt(new_s) + epsilon))
    return updates


def adam(loss_or_grads: Any, params: Sequence[TensorSharedVariable], learning_rate: Any = 0.001, beta1: float = 0.9,
         beta2: float = 0.999, epsilon: float = 1e-8, weight_decay: Any = 0.0) -> Updates:
    """Adam (Kingma and Ba, 2015) with bias-corrected moments, as PyTorch computes it:
    ``p <- p - lr * m_hat / (sqrt(v_hat) + eps)``. ``weight_decay`` is decoupled (AdamW): ``p`` first shrinks
    by ``lr * weight_decay * p``."""
    grads = gradients(loss_or_grads, params)
    step = ac.shared(np.int64(0), name="adam_step")
    t = step + 1
    updates: Updates = {step: t}
    for p, g in zip(params, grads, strict=True):
        m, v = _state(p, "first_moment"), _state(p, "second_moment")
        b1, b2, lr = beta1, beta2, _hyper(learning_rate, p)
        new_m = _step(p, m * b1 + g * (1 - b1))
        new_v = _step(p, v * b2 + g * g * (1 - b2))
        m_hat = new_m / (1 - b1 ** t).astype(p.type.dtype)
        v_hat = new_v / (1 - b2 ** t).astype(p.type.dtype)
        decayed = p if isinstance(weight_decay, int | float) and weight_decay == 0 \
            else p * (1 - lr * _hyper(weight_decay, p))
        updates[m], updates[v] = new_m, new_v
        updates[p] = _step(p, decayed - lr * m_hat / (ac.sqrt(v_hat) + epsilon))
    return updates


def adamw(loss_or_grads: Any, params: Sequence[TensorSharedVariable], learning_rate: Any = 0.001, beta1: float = 0.9,
          beta2: float = 0.999, epsilon: float = 1e-8, weight_decay: Any = 0.01) -> Updates:
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019; PyTorch's ``AdamW``)."""
    return adam(loss_or_grads, params, learning_rate, beta1, beta2, epsilon, weight_decay)
