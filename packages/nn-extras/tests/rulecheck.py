"""Numerical checks of one op's derivative rules (its ``pullback`` and ``pushforward`` in autograd-sym's
registries), node by node: central differences of ``<op(inputs), cotangent>`` along random directions against
the rules' results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import arignote_core as ac
from arignote_grad.registry import pullback_rule, pushforward_rule
from arignote_nn.testing import references


def _node(build: Callable[..., Any], values: Sequence[np.ndarray]) -> tuple[list[Any], Any]:
    inputs = [ac.tensor(v.dtype, v.shape) for v in values]
    out = build(*inputs)
    node = out.owner
    assert node is not None and list(node.inputs[: len(inputs)]) == inputs, "build must apply one op to its inputs"
    return inputs, node


def _perturbed(values: Sequence[np.ndarray], i: int, step: np.ndarray) -> list[np.ndarray]:
    moved = list(values)
    moved[i] = values[i] + step
    return moved


def check_pullback(build: Callable[..., Any], values: Sequence[np.ndarray], wrt: Sequence[int],
                   rng: np.random.Generator, eps: float = 1e-6, rtol: float = 1e-7) -> None:
    """``<pullback(cotangent)[i], d> == d/dt <op(x + t d), cotangent>`` for inputs ``wrt`` and random ``d``."""
    inputs, node = _node(build, values)
    forward = ac.function(inputs, node.outputs[0])
    cotangent = rng.normal(size=forward(*values).shape)
    grads = pullback_rule(node.op)(node.op, node, [ac.constant(cotangent)])
    assert len(grads) == len(node.inputs)
    for i in wrt:
        assert grads[i] is not None, f"input {i} has no gradient"
        assert grads[i].type.is_compatible(inputs[i].type), f"gradient {grads[i].type} for input {inputs[i].type}"
        analytic = ac.function(inputs, grads[i], on_unused_input="ignore")(*values)
        assert analytic.shape == values[i].shape and analytic.dtype == values[i].dtype
        d = rng.normal(size=values[i].shape)
        up = np.sum(forward(*_perturbed(values, i, eps * d)) * cotangent)
        down = np.sum(forward(*_perturbed(values, i, -eps * d)) * cotangent)
        numeric = (up - down) / (2 * eps)
        np.testing.assert_allclose(np.sum(analytic * d), numeric, rtol=rtol, atol=rtol,
                                   err_msg=f"pullback of {node.op} in input {i}")


def check_pushforward(build: Callable[..., Any], values: Sequence[np.ndarray], wrt: Sequence[int],
                      rng: np.random.Generator, eps: float = 1e-6, rtol: float = 1e-7) -> None:
    """``pushforward(d) == d/dt op(x + t d)`` with random tangents ``d`` on inputs ``wrt`` (None elsewhere)."""
    inputs, node = _node(build, values)
    forward = ac.function(inputs, node.outputs[0])
    tangents = [rng.normal(size=v.shape) if i in wrt else None for i, v in enumerate(values)]
    symbolic = [None if t is None else ac.constant(t) for t in tangents] + [None] * (len(node.inputs) - len(values))
    (jvp,) = pushforward_rule(node.op)(node.op, node, symbolic)
    analytic = ac.function(inputs, jvp, on_unused_input="ignore")(*values)
    up = [v if t is None else v + eps * t for v, t in zip(values, tangents, strict=True)]
    down = [v if t is None else v - eps * t for v, t in zip(values, tangents, strict=True)]
    numeric = (forward(*up) - forward(*down)) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=rtol, err_msg=f"pushforward of {node.op}")


def conv_operands(rng: np.random.Generator, x_shape: Sequence[int], w_shape: Sequence[int],
                  settings: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random operands of a convolution of any number of spatial axes and the settings (keyword arguments):
    the input of ``x_shape``, filters of ``w_shape`` with the input's channels split by ``groups``, and an output
    gradient of the convolution's output shape."""
    x = rng.normal(size=x_shape)
    w = rng.normal(size=(w_shape[0], x_shape[1] // settings.get("groups", 1), *w_shape[2:]))
    gy = rng.normal(size=references.convnd(x, w, **settings).shape)
    return x, w, gy
