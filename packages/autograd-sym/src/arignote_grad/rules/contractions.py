"""Einsum: the gradient of an operand is another einsum, of the output gradient with the other operands.

Two cases need help: a label repeated within the operand (a diagonal, ``"ii->"``) is written as a second label
tied to the first by an identity matrix, and a label that only that operand has (summed away, ``"ij->i"``)
comes back through a vector of ones of its size.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

from arignote_core import Apply, arange
from arignote_core.tensors.broadcast import broadcast_to
from arignote_core.tensors.contractions import Einsum, _parse_subscripts
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.math import equal

from ..registry import register_pullback, register_pushforward
from ..tensor_utils import cast_to, indicator, unbroadcast_to


def _size(x: Any, axis: int) -> Any:
    size = x.type.shape[axis]
    return size if size is not None else x.shape[axis]


def _identity(size: Any, dtype: str) -> Any:
    positions = arange(size, dtype="int64")
    return indicator(equal(dimshuffle(positions, [0, "x"]), dimshuffle(positions, ["x", 0])), dtype)


def _operand_gradient(labels: list[str], output: str, k: int, operands: Sequence[Any], gz: Any) -> Any:
    x = operands[k]
    unused = iter(c for c in string.ascii_letters if c not in set("".join(labels)) | set(output))
    terms = [term for j, term in enumerate(labels) if j != k] + [output]
    args = [op for j, op in enumerate(operands) if j != k] + [gz]
    target = ""
    for axis, label in enumerate(labels[k]):
        if label in target:
            twin = next(unused)
            terms.append(label + twin)
            args.append(_identity(_size(x, axis), gz.type.dtype))
            target += twin
        else:
            target += label
    present = set("".join(terms))
    for axis, label in enumerate(labels[k]):
        if label not in present:
            terms.append(label)
            args.append(broadcast_to(cast_to(1.0, gz), [_size(x, axis)]))
            present.add(label)
    g = Einsum(",".join(terms) + "->" + target)(*args)
    return unbroadcast_to(cast_to(g, x), x)


@register_pullback(Einsum)
def einsum_pullback(op: Einsum, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    if gz is None:
        return [None] * len(node.inputs)
    labels, output = _parse_subscripts(op.subscripts, [x.type.ndim for x in node.inputs])
    return [_operand_gradient(labels, output, k, node.inputs, gz) for k in range(len(node.inputs))]


@register_pushforward(Einsum)
def einsum_pushforward(op: Einsum, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    total = None
    for k, t in enumerate(tangents):
        if t is None:
            continue
        term = op(*(t if j == k else x for j, x in enumerate(node.inputs)))
        total = term if total is None else total + term
    return [cast_to(total, node.outputs[0])]
